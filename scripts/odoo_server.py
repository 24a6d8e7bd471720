"""Odoo's command line, as ``odoo-bin`` runs it, for the scale benchmark's
servers (scripts/benchmark_scale.py). With --workers, Odoo starts its
long-polling process by running its own argv[0] again: ``python -m odoo``
leaves that as odoo/__main__.py, which cannot run as a script, and Odoo would
keep respawning it (using the CPU the benchmark measures)."""

import odoo.cli

if __name__ == "__main__":
    odoo.cli.main()
