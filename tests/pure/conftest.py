"""Pure-Python tests: they import the addon's Odoo-free packages (the SP-API
adapter, payload conversion, the emulator) as top-level packages, so they run
without Odoo."""

import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
