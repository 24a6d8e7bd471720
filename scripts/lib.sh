# Shared helpers of scripts/run.sh and scripts/test.sh. Source it, don't run it.
#
# Configuration (environment variables, all optional):
#   PYTHON           interpreter to use (default: ./.venv/bin/python if present, else python3)
#   PGHOST, PGPORT   PostgreSQL server (default 127.0.0.1:5432); when nothing answers there,
#                    a project-local cluster is started under .build/pgdata on SAC_LOCAL_PGPORT
#   PGUSER           database role (default: the current OS user)
#   PGPASSWORD       its password, if the server asks for one
#   SAC_LOCAL_PGPORT port of the project-local cluster (default 55432)
#   SAC_SKIP_PIP=1   do not pip-install requirements.txt (offline machines)
#   SAC_SKIP_APT=1   do not apt-get install wkhtmltopdf when it is missing

set -euo pipefail

ADDON=sale_amazon_connector
# The glue addon that runs the connector's work on OCA's queue_job (optional).
QUEUE_ADDON=sale_amazon_connector_queue
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/.build"
ADDONS_DIR="$BUILD/addons"
ADDON_LINK="$ADDONS_DIR/$ADDON"
QUEUE_ADDON_LINK="$ADDONS_DIR/$QUEUE_ADDON"
mkdir -p "$BUILD" "$ADDONS_DIR"

log() { printf '[%s %s] %s\n' "$(basename "$0" .sh)" "$(date +%H:%M:%S)" "$*" >&2; }

# --- Python -------------------------------------------------------------------
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
export PYTHON

install_requirements() {
  if [ "${SAC_SKIP_PIP:-0}" = 1 ]; then return 0; fi
  log "installing Python requirements into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" >&2
}

# OCA's queue_job for the glue addon, from PyPI (18.0 series). Without its
# dependencies: they are Odoo itself (installed the usual way, maybe not by
# pip) and requests (in requirements.txt).
install_queue_job() {
  if [ "${SAC_SKIP_PIP:-0}" = 1 ] || "$PYTHON" -c "import odoo.addons.queue_job" 2>/dev/null; then
    return 0
  fi
  log "installing OCA's queue_job (odoo-addon-queue_job 18.0) for $QUEUE_ADDON"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps \
    "odoo-addon-queue_job>=18.0,<18.1" >&2
}

# moto's SQS server (the tests' and the demo's queue) in a virtualenv of its
# own, kept between clones under the user's cache (keyed by its requirements),
# its moto_server exported as SAC_MOTO_SERVER.
install_sqs_server() {
  if [ -n "${SAC_MOTO_SERVER:-}" ] && [ -x "$SAC_MOTO_SERVER" ]; then return 0; fi
  local key venv
  key="$(sha1sum "$ROOT/requirements-sqs-server.txt" | cut -c1-12)"
  venv="${SAC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sale_amazon_connector}/sqs-server-$key"
  if [ ! -x "$venv/bin/moto_server" ]; then
    if [ "${SAC_SKIP_PIP:-0}" = 1 ]; then
      log "moto_server is not installed (SAC_SKIP_PIP=1): the notifications tests will skip"
      return 0
    fi
    log "installing moto's SQS server into $venv"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" >&2 \
      && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$ROOT/requirements-sqs-server.txt" >&2 \
      || { log "moto's SQS server could not be installed: the notifications tests will skip"; return 0; }
  fi
  export SAC_MOTO_SERVER="$venv/bin/moto_server"
}

# Odoo makes PDFs (the invoices uploaded to Amazon) with wkhtmltopdf, Debian's
# package. Installed when missing where we may (root, apt-get); elsewhere the
# upload says why it cannot run, and its tests skip.
ensure_wkhtmltopdf() {
  if command -v wkhtmltopdf >/dev/null 2>&1; then return 0; fi
  if [ "${SAC_SKIP_APT:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "wkhtmltopdf is not installed: Odoo cannot make invoice PDFs (install the 'wkhtmltopdf' package)"
    return 0
  fi
  log "installing wkhtmltopdf (Debian package) for invoice PDFs"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq wkhtmltopdf || { apt-get update -qq && apt-get install -y -qq wkhtmltopdf; }; } \
    >"$BUILD/wkhtmltopdf-install.log" 2>&1 \
    || log "wkhtmltopdf could not be installed (see $BUILD/wkhtmltopdf-install.log)"
}

odoo_version() {
  # Prints the Odoo series when an Odoo 18 is importable, nothing otherwise.
  "$PYTHON" - <<'PY' 2>/dev/null || true
import odoo.release as r
if r.version_info[0] == 18:
    print(r.serie)
PY
}

# Odoo only loads an addon from a folder carrying its technical name: link the checkout
# under that name, whatever the clone's folder is called.
link_addon() {
  if [ "$(readlink "$ADDON_LINK" 2>/dev/null)" != "$ROOT" ]; then
    rm -f "$ADDON_LINK"
    ln -s "$ROOT" "$ADDON_LINK"
  fi
  if [ "$(readlink "$QUEUE_ADDON_LINK" 2>/dev/null)" != "$ROOT/addons/$QUEUE_ADDON" ]; then
    rm -f "$QUEUE_ADDON_LINK"
    ln -s "$ROOT/addons/$QUEUE_ADDON" "$QUEUE_ADDON_LINK"
  fi
}

# --- PostgreSQL -----------------------------------------------------------------
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-$(id -un)}"
export PGHOST PGPORT PGUSER
LOCAL_PGDATA="$BUILD/pgdata"
LOCAL_PG_STARTED=0

pg_answers() { pg_isready -q -h "$PGHOST" -p "$PGPORT" >/dev/null 2>&1; }

pg_bin() {
  # initdb/pg_ctl are often outside PATH on Debian (/usr/lib/postgresql/N/bin).
  local tool="$1"
  if command -v "$tool" >/dev/null 2>&1; then command -v "$tool"; return; fi
  local candidate
  candidate="$(ls -d /usr/lib/postgresql/*/bin/"$tool" 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$candidate" ] || { log "PostgreSQL's $tool is not installed"; return 1; }
  echo "$candidate"
}

# initdb and the server refuse to run as root: use the postgres OS user then.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { log "running as root and no 'postgres' OS user to own a local cluster"; return 1; }
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_postgres() {
  if pg_answers; then
    log "using PostgreSQL at $PGHOST:$PGPORT as $PGUSER"
    return 0
  fi
  local initdb pg_ctl
  initdb="$(pg_bin initdb)"
  pg_ctl="$(pg_bin pg_ctl)"
  PGHOST=127.0.0.1
  PGPORT="${SAC_LOCAL_PGPORT:-55432}"
  export PGHOST PGPORT
  if [ ! -s "$LOCAL_PGDATA/PG_VERSION" ]; then
    log "no PostgreSQL answers; creating a project-local cluster in $LOCAL_PGDATA"
    mkdir -p "$LOCAL_PGDATA"
    [ "$(id -u)" != 0 ] || chown postgres "$LOCAL_PGDATA"
    as_pg_owner "$initdb" -D "$LOCAL_PGDATA" -U "$PGUSER" --auth=trust -E UTF8 >"$BUILD/initdb.log"
  fi
  if ! pg_answers; then
    log "starting the project-local PostgreSQL on $PGHOST:$PGPORT"
    as_pg_owner "$pg_ctl" -D "$LOCAL_PGDATA" -l "$LOCAL_PGDATA/server.log" -w \
      -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $LOCAL_PGDATA" start >/dev/null
    LOCAL_PG_STARTED=1
  fi
}

stop_local_postgres() {
  if [ "$LOCAL_PG_STARTED" = 1 ]; then
    log "stopping the project-local PostgreSQL"
    as_pg_owner "$(pg_bin pg_ctl)" -D "$LOCAL_PGDATA" -m fast -w stop >/dev/null || true
    LOCAL_PG_STARTED=0
  fi
}

db_exists() {
  [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" 2>/dev/null)" = 1 ]
}

# A short key of this Odoo and the modules given: its version, where it is and
# when its files last changed (a new nightly in place is a new key).
deps_key() {
  "$PYTHON" - "$1" <<'PY'
import hashlib, os, sys
import odoo
from odoo import release
root = os.path.dirname(odoo.__file__)
stamp = max(os.stat(os.path.join(root, name)).st_mtime for name in ("release.py", "__init__.py"))
key = f"{release.version}|{root}|{stamp}|{sys.argv[1]}"
print(hashlib.sha1(key.encode()).hexdigest()[:12])
PY
}

odoo_db_args() {
  printf '%s\n' "--db_host=$PGHOST" "--db_port=$PGPORT" "--db_user=$PGUSER"
  if [ -n "${PGPASSWORD:-}" ]; then printf '%s\n' "--db_password=$PGPASSWORD"; fi
}

# Runs Odoo with the addon on its path and the configured database server.
odoo_cmd() {
  local db_args=()
  mapfile -t db_args < <(odoo_db_args)
  "$PYTHON" -m odoo --addons-path="$ADDONS_DIR" "${db_args[@]}" "$@"
}

# The same for `odoo shell` (the subcommand comes first), script on stdin.
odoo_shell() {
  local db_args=()
  mapfile -t db_args < <(odoo_db_args)
  "$PYTHON" -m odoo shell --addons-path="$ADDONS_DIR" "${db_args[@]}" "$@"
}
