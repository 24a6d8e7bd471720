#!/usr/bin/env bash
# Brings the whole stack up and serves Odoo on http://localhost:8069:
# Python requirements, PostgreSQL (the configured one, or a project-local
# cluster), the SP-API emulator seeded with demo orders, a database with the
# addon installed (upgraded when it exists) and a demo account linked to the
# emulator, a first order sync, then the Odoo server in the foreground.
# Idempotent; Ctrl-C stops everything it started.
#
#   bash scripts/run.sh
#
# Extra configuration: SAC_DB (database name, default amazon_demo),
# SAC_HTTP_PORT (default 8069), SAC_EMULATOR_PORT (default 8079), plus the
# variables listed in scripts/lib.sh.
source "$(dirname "$0")/lib.sh"

DB="${SAC_DB:-amazon_demo}"
HTTP_PORT="${SAC_HTTP_PORT:-8069}"
EMULATOR_PORT="${SAC_EMULATOR_PORT:-8079}"
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
EMULATOR_PID=""
SQS_PORT="${SAC_SQS_PORT:-8089}"
SQS_URL=""
SQS_PID=""

install_requirements
install_sqs_server
ensure_wkhtmltopdf
if [ -z "$(odoo_version)" ]; then
  log "Odoo 18.0 is not importable by $PYTHON. Install Odoo 18.0 Community first (see README.md)."
  exit 1
fi
link_addon
ensure_postgres
stop_all() {
  if [ -n "$EMULATOR_PID" ]; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    log "SP-API emulator stopped"
  fi
  if [ -n "$SQS_PID" ]; then
    kill "$SQS_PID" 2>/dev/null || true
    wait "$SQS_PID" 2>/dev/null || true
  fi
  stop_local_postgres
}
trap stop_all EXIT

# Amazon's notifications go to an SQS queue: moto's server plays the seller's.
EMULATOR_SQS=()
if [ -n "${SAC_MOTO_SERVER:-}" ]; then
  log "starting moto's SQS server on 127.0.0.1:$SQS_PORT (the demo's notifications queue)"
  "$SAC_MOTO_SERVER" -H 127.0.0.1 -p "$SQS_PORT" >"$BUILD/sqs.log" 2>&1 &
  SQS_PID=$!
  SQS_URL="http://127.0.0.1:$SQS_PORT"
  EMULATOR_SQS=(--sqs-endpoint "$SQS_URL" --new-order-every 60)
fi

log "starting the SP-API emulator on $EMULATOR_URL (demo seed)"
(cd "$ROOT" && exec "$PYTHON" -m spapi_emulator --port "$EMULATOR_PORT" --seed demo \
  "${EMULATOR_SQS[@]}") >"$BUILD/emulator.log" 2>&1 &
EMULATOR_PID=$!
for _ in $(seq 1 50); do
  if "$PYTHON" -c "import urllib.request as u; u.urlopen('$EMULATOR_URL/_emulator/health')" \
    >/dev/null 2>&1; then break; fi
  if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
    log "the emulator did not start:"; cat "$BUILD/emulator.log" >&2; exit 1
  fi
  sleep 0.2
done

addon_state="$(psql -d "$DB" -tAc \
  "SELECT state FROM ir_module_module WHERE name = '$ADDON'" 2>/dev/null || true)"
if [ "$addon_state" = installed ]; then
  log "database $DB exists: upgrading $ADDON"
  odoo_cmd -d "$DB" -u "$ADDON" --stop-after-init --log-level=warn
else
  log "creating database $DB with $ADDON installed (a few minutes the first time)"
  odoo_cmd -d "$DB" -i "$ADDON" --without-demo=all --stop-after-init --log-level=warn
fi

log "setting up the demo account and synchronizing the emulator's orders"
SAC_EMULATOR_URL="$EMULATOR_URL" SAC_SQS_URL="$SQS_URL" odoo_shell -d "$DB" --no-http --log-level=warn \
  <"$ROOT/scripts/demo_setup.py"

log "Odoo is starting on http://localhost:$HTTP_PORT (database $DB, login admin, password admin)"
log "press Ctrl-C to stop"
rc=0
odoo_cmd -d "$DB" --db-filter="^$DB\$" --http-port="$HTTP_PORT" --log-level=info || rc=$?
# Ctrl-C ends Odoo with 130 or 0 depending on when it arrives: both are a normal stop.
[ "$rc" = 130 ] && rc=0
exit "$rc"
