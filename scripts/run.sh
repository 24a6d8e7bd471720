#!/usr/bin/env bash
# Brings the whole stack up and serves Odoo on http://localhost:8069:
# Python requirements, PostgreSQL (the configured one, or a project-local
# cluster), a database with the addon installed (upgraded when it exists),
# then the Odoo server in the foreground. Ctrl-C stops everything it started.
#
#   bash scripts/run.sh
#
# Extra configuration: SAC_DB (database name, default amazon_demo),
# SAC_HTTP_PORT (default 8069), plus the variables listed in scripts/lib.sh.
source "$(dirname "$0")/lib.sh"

DB="${SAC_DB:-amazon_demo}"
HTTP_PORT="${SAC_HTTP_PORT:-8069}"

install_requirements
if [ -z "$(odoo_version)" ]; then
  log "Odoo 18.0 is not importable by $PYTHON. Install Odoo 18.0 Community first (see README.md)."
  exit 1
fi
link_addon
ensure_postgres
trap stop_local_postgres EXIT

addon_state="$(psql -d "$DB" -tAc \
  "SELECT state FROM ir_module_module WHERE name = '$ADDON'" 2>/dev/null || true)"
if [ "$addon_state" = installed ]; then
  log "database $DB exists: upgrading $ADDON"
  odoo_cmd -d "$DB" -u "$ADDON" --stop-after-init --log-level=warn
else
  log "creating database $DB with $ADDON installed (a few minutes the first time)"
  odoo_cmd -d "$DB" -i "$ADDON" --without-demo=all --stop-after-init --log-level=warn
fi

log "Odoo is starting on http://localhost:$HTTP_PORT (database $DB, login admin, password admin)"
log "press Ctrl-C to stop"
rc=0
odoo_cmd -d "$DB" --db-filter="^$DB\$" --http-port="$HTTP_PORT" --log-level=info || rc=$?
# Ctrl-C ends Odoo with 130 or 0 depending on when it arrives: both are a normal stop.
[ "$rc" = 130 ] && rc=0
exit "$rc"
