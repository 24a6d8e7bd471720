#!/usr/bin/env bash
# Performance and scale benchmark: a fresh database, the emulator in process,
# the real importer and stock pusher. Prints a table and writes
# .build/benchmark-results.json (the table: scripts/benchmark_table.py). Not a
# test: numbers, not assertions.
#
#   SAC_BENCH_ORDERS=1000,10000 SAC_BENCH_FLAT=0,10000,100000 bash scripts/benchmark.sh
#   SAC_BENCH_ONLY=orders SAC_BENCH_FLAT=0 bash scripts/benchmark.sh  (orders and stock only)
#   SAC_BENCH_ONLY=fba SAC_BENCH_FBA_SKUS=1000,10000 bash scripts/benchmark.sh  (FBA only)
#   SAC_BENCH_ONLY=payout SAC_BENCH_PAYOUT_TRANSACTIONS=1000,10000 bash scripts/benchmark.sh
#   SAC_BENCH_ONLY=labels SAC_BENCH_LABELS=50 bash scripts/benchmark.sh
#     (Buy Shipping: rate and buy per delivery)
#   SAC_BENCH_ONLY=scale SAC_BENCH_SCALE_ORDERS=1000 bash scripts/benchmark.sh
#     (20 accounts, crons against queue_job, 1 and 2 workers; real Odoo servers)
#   SAC_BENCH_ONLY=notifications bash scripts/benchmark.sh
#     (orders in through the notifications queue: latency at 10 and 100 orders a
#     minute, 1 and 2 readers; real Odoo processes, moto's SQS server)
source "$(dirname "$0")/lib.sh"

install_requirements
install_queue_job
install_sqs_server
[ -n "$(odoo_version)" ] || { log "Odoo 18.0 is not importable by $PYTHON"; exit 1; }
link_addon
ensure_postgres
DB="sac_bench_$$"
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true; dropdb --if-exists "${DB}_queue" >/dev/null 2>&1 || true; stop_local_postgres' EXIT
log "creating benchmark database $DB"
odoo_cmd -d "$DB" -i sale_amazon_connector --without-demo=all --stop-after-init --log-level=warn
rm -f "$BUILD/benchmark-results.json"
ONLY="${SAC_BENCH_ONLY:-}"
if [ -z "$ONLY" ] || [ "$ONLY" = "orders" ]; then
  log "running the benchmark (orders: ${SAC_BENCH_ORDERS:-1000}, database sizes: ${SAC_BENCH_FLAT:-0,10000})"
  SAC_BENCH_OUT="$BUILD/benchmark-results.json" odoo_shell -d "$DB" --no-http --log-level=warn \
    <"$ROOT/scripts/benchmark.py"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = "fba" ]; then
  log "running the FBA reconciliation benchmark (SKUs: ${SAC_BENCH_FBA_SKUS:-1000,10000})"
  SAC_BENCH_OUT="$BUILD/benchmark-results.json" odoo_shell -d "$DB" --no-http --log-level=warn \
    <"$ROOT/scripts/benchmark_fba.py"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = "payout" ]; then
  log "running the payout benchmark (transactions: ${SAC_BENCH_PAYOUT_TRANSACTIONS:-1000,10000})"
  SAC_BENCH_OUT="$BUILD/benchmark-results.json" odoo_shell -d "$DB" --no-http --log-level=warn \
    <"$ROOT/scripts/benchmark_payout.py"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = "labels" ]; then
  log "running the Buy Shipping benchmark (deliveries: ${SAC_BENCH_LABELS:-50})"
  SAC_BENCH_OUT="$BUILD/benchmark-results.json" odoo_shell -d "$DB" --no-http --log-level=warn \
    <"$ROOT/scripts/benchmark_labels.py"
fi
if [ "$ONLY" = "scale" ]; then
  # Opt-in: it starts real Odoo servers, for minutes per configuration.
  createdb -T "$DB" "${DB}_queue"
  odoo_cmd -d "${DB}_queue" -i "$QUEUE_ADDON" --without-demo=all --stop-after-init --log-level=warn
  log "running the scale benchmark (${SAC_BENCH_SCALE_ACCOUNTS:-20} accounts x ${SAC_BENCH_SCALE_ORDERS:-100} orders)"
  SAC_BENCH_OUT="$BUILD/benchmark-results.json" SAC_BENCH_DB_CRON="$DB" SAC_BENCH_DB_QUEUE="${DB}_queue" \
    SAC_ADDONS_PATH="$ADDONS_DIR" "$PYTHON" "$ROOT/scripts/benchmark_scale.py"
fi
if [ "$ONLY" = "notifications" ]; then
  # Opt-in: a few minutes per configuration, in real time.
  log "running the notifications benchmark (${SAC_BENCH_NOTIFY_CONFIGS:-10x1,10x2,100x1,100x2})"
  SAC_BENCH_OUT="$BUILD/benchmark-results.json" SAC_BENCH_DB="$DB" SAC_ADDONS_PATH="$ADDONS_DIR" \
    "$PYTHON" "$ROOT/scripts/benchmark_notifications.py"
fi
log "results against the targets (also in $BUILD/benchmark-results.json):"
"$PYTHON" "$ROOT/scripts/benchmark_table.py" "$BUILD/benchmark-results.json"
