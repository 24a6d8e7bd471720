"""The addon installs, upgrades and uninstalls with a clean log.

The test command installs the addon into a fresh database and keeps that log
(``install.log``); this test reads it, then upgrades (``-u``) and uninstalls the
addon in a copy of that database and reads those logs too. Skipped when the
test command did not prepare the databases (no Odoo here)."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ADDON = "sale_amazon_connector"
ARTIFACTS = pathlib.Path(os.environ.get("SAC_TEST_ARTIFACTS", "."))
LIFECYCLE_DB = os.environ.get("SAC_LIFECYCLE_DB")
BAD_LEVEL = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")

pytestmark = pytest.mark.skipif(
    not LIFECYCLE_DB, reason="needs Odoo and the databases made by scripts/test.sh"
)


def bad_lines(log_text):
    return [line for line in log_text.splitlines() if BAD_LEVEL.match(line)]


def odoo_command(*args, logfile):
    return [
        sys.executable,
        "-m",
        "odoo",
        *args,
        f"--addons-path={os.environ['SAC_ADDONS_PATH']}",
        f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        f"--db_user={os.environ.get('PGUSER', 'odoo')}",
        f"--database={LIFECYCLE_DB}",
        "--log-level=info",
        f"--logfile={logfile}",
    ]


def psql(query):
    return subprocess.run(
        ["psql", "-d", LIFECYCLE_DB, "-tAc", query],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_install_log_is_clean():
    log_text = (ARTIFACTS / "install.log").read_text()
    assert f"module {ADDON}: creating or updating database tables" in log_text
    assert bad_lines(log_text) == []


def test_upgrade_then_uninstall_are_clean():
    upgrade_log = ARTIFACTS / "upgrade.log"
    subprocess.run(
        odoo_command("-u", ADDON, "--stop-after-init", logfile=upgrade_log),
        check=True,
        timeout=900,
    )
    upgrade_text = upgrade_log.read_text()
    assert f"module {ADDON}: creating or updating database tables" in upgrade_text
    assert bad_lines(upgrade_text) == []

    uninstall_log = ARTIFACTS / "uninstall.log"
    script = (
        f"env['ir.module.module'].search([('name', '=', '{ADDON}')])"
        ".button_immediate_uninstall()\nenv.cr.commit()\n"
    )
    subprocess.run(
        odoo_command("shell", logfile=uninstall_log),
        input=script,
        text=True,
        check=True,
        timeout=900,
    )
    assert bad_lines(uninstall_log.read_text()) == []
    assert psql(f"SELECT state FROM ir_module_module WHERE name = '{ADDON}'") == ("uninstalled")
    assert psql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'amazon\\_%'") == "0"
