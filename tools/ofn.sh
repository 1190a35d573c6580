#!/usr/bin/env bash
# One script behind the Makefile: sets up what the project needs and runs it.
#
#   tools/ofn.sh setup        system packages, .venv, Odoo 18.0 (from an importable odoo, ODOO_SRC,
#                             /opt/odoo-18.0, or Odoo's official source when online)
#   tools/ofn.sh test [ARGS]  fresh test database with the three addons, then pytest (ARGS go to pytest)
#   tools/ofn.sh demo         demo database + sandbox Stripe + Odoo on 127.0.0.1:8069
#   tools/ofn.sh run          Odoo with config/.env (real Stripe), no sandbox
#   tools/ofn.sh bench        benchmark: N standing orders across E hubs (N=, E=, LATENCY_MS=, WORKERS=)
#   tools/ofn.sh lint         pre-commit (ruff + pylint-odoo) on the whole tree, then i18n-check
#   tools/ofn.sh i18n         export each addon's i18n/<addon>.pot with Odoo, msgmerge its fr/es/de.po
#   tools/ofn.sh i18n-check   fails when a committed .pot differs from Odoo's export or a .po is incomplete
#   tools/ofn.sh test-db      only (re)create the test database (then run pytest yourself, see README)
#   tools/ofn.sh pg-start | pg-stop | odoo ARGS...
#
# Everything it creates lives in .run/ (ignored) and .venv/ (ignored).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="$ROOT/.run"
VENV="${OFN_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
CONSTRAINTS="$ROOT/tools/pip-constraints.txt"
ODOO_CONVENTIONAL_SRC=/opt/odoo-18.0
ODOO_GIT_URL=https://github.com/odoo/odoo.git
MODULES=ofn_stripe_connect,ofn_customer_wallet,ofn_standing_orders
export TZ=UTC
export PATH="$PATH:/usr/sbin:/sbin"   # runuser, useradd
export PIP_CONSTRAINT="$CONSTRAINTS" PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONPATH="$ROOT/tools${PYTHONPATH:+:$PYTHONPATH}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }
mkdir -p "$RUN"

# --------------------------------------------------------------------------- system packages
pg_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    done
    command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")"
}

ensure_system() {
    local missing=()
    [ -n "$(pg_bindir)" ] || missing+=(postgresql)
    command -v pg_config >/dev/null 2>&1 || missing+=(libpq-dev)   # psycopg2 builds from source
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    command -v gcc >/dev/null 2>&1 || missing+=(build-essential)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)       # Odoo browser tours
    [ ${#missing[@]} -eq 0 ] && return
    if [ "$(id -u)" != 0 ]; then
        die "missing system packages: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and run again."
    fi
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$RUN/apt.log" 2>&1 \
        || { tail -20 "$RUN/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $RUN/apt.log)"; }
}

# --------------------------------------------------------------------------- Odoo 18.0 + venv
is_odoo18_tree() { [ -f "$1/odoo/release.py" ] && [ -f "$1/requirements.txt" ] && grep -q "^version_info = (18, 0" "$1/odoo/release.py"; }

# Prints the Odoo source tree to install from, or "importable" when the interpreter in use has Odoo 18.
find_odoo() {
    local py=${PYTHON:-python3}
    if "$py" -c 'import odoo.release as r, sys; sys.exit(r.version_info[:2] != (18, 0))' 2>/dev/null; then
        echo importable; return
    fi
    if [ -n "${ODOO_SRC:-}" ]; then
        is_odoo18_tree "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 18.0 source tree (expected odoo/release.py with version 18.0 and requirements.txt)."
        (cd "$ODOO_SRC" && pwd); return
    fi
    if is_odoo18_tree "$ODOO_CONVENTIONAL_SRC"; then echo "$ODOO_CONVENTIONAL_SRC"; return; fi
    if is_odoo18_tree "$RUN/odoo-src"; then echo "$RUN/odoo-src"; return; fi
    if command -v git >/dev/null 2>&1 && timeout 20 git ls-remote --heads "$ODOO_GIT_URL" 18.0 >/dev/null 2>&1; then
        say "Cloning Odoo 18.0 from $ODOO_GIT_URL into $RUN/odoo-src (shallow)"
        git clone -q --depth 1 --branch 18.0 "$ODOO_GIT_URL" "$RUN/odoo-src" >&2
        echo "$RUN/odoo-src"; return
    fi
    die "Odoo 18.0 not found. Provide one of:
  - ODOO_SRC=/path/to/odoo-18.0 (an Odoo 18.0 Community source tree: odoo/, addons/, odoo-bin, requirements.txt)
  - an Odoo 18.0 source tree at $ODOO_CONVENTIONAL_SRC
  - a python3 (or \$PYTHON) that can already 'import odoo' (version 18.0)
  - internet access to $ODOO_GIT_URL (branch 18.0 is then cloned into .run/odoo-src)"
}

pip_install() {   # pip, without the noise of this machine's unreachable extra indexes
    local rc=0
    "$PY" -m pip install -q "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    rc=${PIPESTATUS[0]}
    return "$rc"
}

ensure_venv() {
    local odoo_src stamp want
    odoo_src=$(find_odoo)
    want=$(cat "$ROOT/requirements.txt" "$CONSTRAINTS" \
        $( [ "$odoo_src" != importable ] && echo "$odoo_src/requirements.txt") | sha1sum | cut -c1-12)
    want="$want $odoo_src $(${PYTHON:-python3} -c 'import sys; print(sys.version.split()[0])')"
    stamp="$VENV/.ofn-stamp"
    if [ -x "$PY" ] && "$PY" -c 'import odoo, stripe, pytest_odoo' 2>/dev/null && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return
    fi
    say "Building $VENV (Odoo from: $odoo_src)"
    rm -rf "$VENV"
    if [ "$odoo_src" = importable ]; then
        ${PYTHON:-python3} -m venv --system-site-packages "$VENV"
    else
        ${PYTHON:-python3} -m venv "$VENV"
    fi
    pip_install --upgrade 'pip<25' 'setuptools<75' wheel
    if [ "$odoo_src" != importable ]; then
        # Odoo's own pins (psycopg2 built against libpq-dev, lxml with lxml.html.clean, ...).
        # python-ldap is only for auth_ldap, which this project does not use.
        grep -v '^python-ldap' "$odoo_src/requirements.txt" >"$RUN/odoo-requirements.txt"
        say "Installing Odoo 18.0's requirements"
        pip_install -r "$RUN/odoo-requirements.txt" || die "pip could not install Odoo's requirements (see above)"
        # Install Odoo from the source tree in development mode (a .pth entry: the tree stays where it is).
        "$PY" - "$odoo_src" <<'EOF'
import sys, sysconfig, pathlib
pathlib.Path(sysconfig.get_paths()["purelib"], "odoo-src.pth").write_text(sys.argv[1] + "\n")
EOF
    fi
    say "Installing the project's requirements"
    # localstripe's sdist declares its licence the PEP 639 way, which only setuptools>=77 reads:
    # it is built without the setuptools<75 constraint meant for Odoo's older sdists.
    (unset PIP_CONSTRAINT; pip_install "$(grep -E '^localstripe==' "$ROOT/requirements.txt")") \
        || die "pip could not install localstripe (see above)"
    grep -v '^odoo-addon-' "$ROOT/requirements.txt" >"$RUN/requirements-pip.txt"
    pip_install -r "$RUN/requirements-pip.txt" || die "pip could not install requirements.txt (see above)"
    install_oca_addons
    "$PY" -c 'import odoo.release as r; assert r.version_info[:2] == (18, 0), r.version' \
        || die "the venv does not import Odoo 18.0"
    echo "$want" >"$stamp"
}

# The OCA addons pinned in requirements.txt (odoo-addon-* lines): each wheel is downloaded without
# its `odoo` requirement (Odoo is no pip distribution here) and its addon unpacked into OCA_ADDONS.
OCA_ADDONS="$VENV/oca-addons"
install_oca_addons() {
    local wheels="$VENV/oca-wheels" wheel
    say "Installing the OCA addons pinned in requirements.txt into $OCA_ADDONS"
    rm -rf "$wheels" "$OCA_ADDONS"; mkdir -p "$wheels" "$OCA_ADDONS"
    "$PY" -m pip download -q --no-deps --dest "$wheels" $(grep '^odoo-addon-' "$ROOT/requirements.txt") 2>&1 \
        | { grep -v 'is ignored: it is neither a file nor a directory' || true; } >&2
    for wheel in "$wheels"/*.whl; do
        [ -f "$wheel" ] || die "pip could not download the OCA addons of requirements.txt (see above)"
        "$PY" -m zipfile -e "$wheel" "$wheels/unpacked" || die "cannot unpack $wheel"
    done
    cp -r "$wheels"/unpacked/odoo/addons/* "$OCA_ADDONS"/
    [ -f "$OCA_ADDONS/queue_job/__manifest__.py" ] || die "queue_job is missing from $OCA_ADDONS"
}

odoo_addons_path() {
    "$PY" - "$ROOT" "$OCA_ADDONS" <<'EOF'
import os, sys, odoo
base = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
paths = [os.path.join(base, "odoo", "addons"), os.path.join(base, "addons"), sys.argv[2], os.path.join(sys.argv[1], "addons")]
print(",".join(p for p in paths if os.path.isdir(p)))
EOF
}

setup() { ensure_system; ensure_venv; }

# --------------------------------------------------------------------------- PostgreSQL
# Default: a private cluster under .run/pg, reached only through a Unix socket (no TCP port).
# PGHOST (with PGPORT / PGUSER / PGPASSWORD) selects an existing server instead.
PGDATA_DIR="$RUN/pg/data"
pg_sockdir() {
    local d="$RUN/pg/sock"
    # Unix socket paths are limited to ~107 bytes
    [ ${#d} -gt 80 ] && d="/tmp/ofn-pg-$(echo "$ROOT" | sha1sum | cut -c1-10)"
    echo "$d"
}
pg_os_user() {   # initdb/postgres refuse to run as root: use Debian's postgres account then
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
        echo postgres
    else
        id -un
    fi
}
as_pg() { local u; u=$(pg_os_user); if [ "$u" = "$(id -un)" ]; then "$@"; else runuser -u "$u" -- "$@"; fi; }

pg_env() {
    if [ -n "${PGHOST:-}" ]; then
        DB_HOST=$PGHOST DB_PORT=${PGPORT:-5432} DB_USER=${PGUSER:-odoo} DB_PASSWORD=${PGPASSWORD:-}
    else
        DB_HOST=$(pg_sockdir) DB_PORT=5432 DB_USER=odoo DB_PASSWORD=
    fi
    export DB_HOST DB_PORT DB_USER DB_PASSWORD
}

pg_start() {
    pg_env
    if [ -n "${PGHOST:-}" ]; then
        say "Using the PostgreSQL server at $PGHOST:${PGPORT:-5432} as ${PGUSER:-odoo}"
        psql -d postgres -Atqc 'select 1' >/dev/null || die "cannot connect to PostgreSQL at PGHOST=$PGHOST (check PGPORT/PGUSER/PGPASSWORD)"
        return
    fi
    local bin sock pguser
    bin=$(pg_bindir); [ -n "$bin" ] || die "PostgreSQL binaries not found (apt-get install postgresql)"
    sock=$(pg_sockdir); pguser=$(pg_os_user)
    mkdir -p "$RUN/pg" "$sock"
    if [ "$pguser" != "$(id -un)" ]; then
        # the cluster's OS user must reach .run/pg: if a parent folder is private (e.g. /root), keep the
        # data in /var/tmp and link it from .run/pg
        if ! runuser -u "$pguser" -- test -x "$RUN/pg" 2>/dev/null; then
            local alt="/var/tmp/ofn-pg-$(echo "$ROOT" | sha1sum | cut -c1-10)"
            mkdir -p "$alt"; chown "$pguser" "$alt"
            [ -L "$PGDATA_DIR" ] || { rm -rf "$PGDATA_DIR"; ln -s "$alt" "$PGDATA_DIR"; }
        fi
        chown "$pguser" "$RUN/pg" "$sock"
    fi
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        say "Creating a private PostgreSQL cluster in $PGDATA_DIR"
        [ -L "$PGDATA_DIR" ] || { mkdir -p "$PGDATA_DIR"; chown "$pguser" "$PGDATA_DIR" 2>/dev/null || true; }
        as_pg "$bin/initdb" -D "$PGDATA_DIR" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$RUN/pg/initdb.log" 2>&1 \
            || { cat "$RUN/pg/initdb.log" >&2; die "initdb failed"; }
    fi
    if as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then return; fi
    say "Starting PostgreSQL (socket in $sock, no TCP)"
    as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$RUN/pg/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$sock' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=20000" \
        start >/dev/null || { tail -20 "$RUN/pg/server.log" >&2; die "PostgreSQL did not start"; }
}

pg_psql() { pg_env; PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=$DB_PASSWORD psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1 "$@"; }

pg_stop() {   # quiet: the test output must end with pytest's summary
    [ -n "${PGHOST:-}" ] && return
    pg_stop_now
}

pg_stop_at_exit() {   # OFN_KEEP_PG=1: leave the cluster running for other runs sharing it
    [ -n "${OFN_KEEP_PG:-}" ] || pg_stop
}

pg_stop_now() {
    local bin; bin=$(pg_bindir)
    [ -f "$PGDATA_DIR/postmaster.pid" ] || return 0
    as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
}

# --------------------------------------------------------------------------- Odoo config
# write_conf FILE DB [extra "key = value" lines...]
write_conf() {
    local file=$1 db=$2; shift 2
    pg_env
    {
        echo "[options]"
        echo "addons_path = $(odoo_addons_path)"
        echo "data_dir = $RUN/data"
        echo "db_host = $DB_HOST"
        echo "db_port = $DB_PORT"
        echo "db_user = $DB_USER"
        echo "db_password = ${DB_PASSWORD:-False}"
        echo "db_name = $db"
        echo "dbfilter = ^$db\$"
        echo "list_db = False"
        echo "admin_passwd = $(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
        echo "http_interface = 127.0.0.1"
        echo "http_port = ${OFN_HTTP_PORT:-8069}"
        echo "gevent_port = ${OFN_GEVENT_PORT:-8072}"
        echo "without_demo = all"
        echo "workers = 0"
        echo "max_cron_threads = ${OFN_CRON_THREADS:-1}"
        # OCA queue_job: its jobrunner starts with every Odoo server
        echo "server_wide_modules = base,web,queue_job"
        for line in "$@"; do echo "$line"; done
        # the job channels and their capacity (README, "Job queue")
        echo "[queue_job]"
        echo "channels = ${OFN_QUEUE_CHANNELS:-root:2,root.ofn.batch:1,root.ofn.charge:1}"
    } >"$file"
}

odoo() { "$PY" -m odoo "$@"; }

# install_db CONF DB LOG: a fresh database with the three addons; fails on any WARNING/ERROR in the log
install_db() {
    local conf=$1 db=$2 log=$3
    say "Creating database $db with $MODULES"
    pg_psql -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    rm -rf "$RUN/data/filestore/$db" "$log"
    odoo -c "$conf" -d "$db" -i "$MODULES" --stop-after-init --log-level=info --logfile="$log" \
        || { tail -40 "$log" >&2; die "installing $MODULES failed (log: $log)"; }
    if grep -E ' (WARNING|ERROR|CRITICAL) ' "$log" >&2; then
        die "installing $MODULES logged the warnings/errors above (log: $log)"
    fi
    say "Installed $MODULES in $db: no warnings in the log"
}

# --------------------------------------------------------------------------- sandbox Stripe
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

sandbox_start() {   # [more sandbox options...]; sets SANDBOX_URL, SANDBOX_PID; files in $SANDBOX_DIR
    # its data is kept in $SANDBOX_DIR/state.pickle, unless SANDBOX_IN_MEMORY=1 (the benchmark:
    # never restarted, and writing thousands of objects to the file would slow the sandbox down)
    local port dir=${SANDBOX_DIR:-$RUN/sandbox} state=(); port=$(free_port)
    mkdir -p "$dir"
    [ "${SANDBOX_IN_MEMORY:-}" = 1 ] || state=(--state-file "$dir/state.pickle")
    "$PY" -m stripe_sandbox --host 127.0.0.1 --port "$port" "${state[@]}" --from-scratch \
        --client-id "$OFN_STRIPE_CLIENT_ID" \
        --webhook-url "http://127.0.0.1:${OFN_HTTP_PORT:-8069}/ofn/stripe/webhook" \
        --webhook-secret "$OFN_STRIPE_WEBHOOK_SECRET" "$@" >"$dir/server.log" 2>&1 &
    SANDBOX_PID=$!
    SANDBOX_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        curl -fsS "$SANDBOX_URL/_sandbox/health" >/dev/null 2>&1 && return
        kill -0 "$SANDBOX_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -20 "${SANDBOX_DIR:-$RUN/sandbox}/server.log" >&2; die "the Stripe sandbox did not start"
}

sandbox_env() {   # fake keys, built at run time: the sandbox accepts any sk_test_/pk_test_ key
    export OFN_STRIPE_SECRET_KEY="sk_test_ofn_$(printf sandbox)"
    export OFN_STRIPE_PUBLISHABLE_KEY="pk_test_ofn_$(printf sandbox)"
    export OFN_STRIPE_CLIENT_ID="ca_ofn_$(printf sandbox)"
    export OFN_STRIPE_WEBHOOK_SECRET="whsec_ofn_$(printf sandbox)"
}

# --------------------------------------------------------------------------- commands
TEST_DB=${OFN_TEST_DB:-ofn_test}
TEST_CONF="$RUN/odoo-test${OFN_TEST_DB:+-$OFN_TEST_DB}.conf"
cmd_test_db() {   # a fresh test database with the three addons
    pg_start
    # root:0: no jobrunner in the test process; the tests perform the jobs themselves
    OFN_QUEUE_CHANNELS=root:0 OFN_HTTP_PORT=$(free_port) write_conf "$TEST_CONF" "$TEST_DB"
    install_db "$TEST_CONF" "$TEST_DB" "$RUN/install-$TEST_DB.log"
}

cmd_test() {
    setup
    trap pg_stop_at_exit EXIT
    cmd_test_db
    say "Running the tests"
    cd "$ROOT"
    [ $# -gt 0 ] || set -- addons tests tools/stripe_sandbox/tests
    # pytest-odoo: --odoo-http or every HttpCase is skipped; the sandbox is started by a pytest fixture
    "$PY" -m pytest -c "$ROOT/pytest.ini" --odoo-config "$TEST_CONF" --odoo-database "$TEST_DB" --odoo-http "$@"
}

cmd_demo() {
    setup
    sandbox_env
    trap 'kill ${SANDBOX_PID:-} 2>/dev/null || true; pg_stop_at_exit' EXIT
    pg_start
    sandbox_start
    export OFN_STRIPE_API_BASE="$SANDBOX_URL" OFN_STRIPE_CONNECT_BASE="$SANDBOX_URL"
    export OFN_STRIPE_JS_URL="$SANDBOX_URL/js.stripe.com/v3/"
    local db=${OFN_DEMO_DB:-ofn_demo} conf="$RUN/odoo-demo.conf"
    write_conf "$conf" "$db"
    # the demo starts from scratch every time: a fresh database and a fresh sandbox
    install_db "$conf" "$db" "$RUN/install-$db.log"
    say "Loading the demo data"
    OFN_RUN_DIR="$RUN" odoo shell -c "$conf" -d "$db" --no-http --log-level=warn <"$ROOT/tools/demo/seed.py" >"$RUN/demo-seed.log" 2>&1 \
        || { tail -30 "$RUN/demo-seed.log" >&2; die "demo data failed (log: $RUN/demo-seed.log)"; }
    cat "$RUN/demo-logins.txt"
    say "Stripe sandbox: $SANDBOX_URL   Odoo log: $RUN/odoo-demo.log   (Ctrl-C stops everything)"
    odoo -c "$conf" -d "$db" --logfile="$RUN/odoo-demo.log"
}

smtp_sink_start() {   # FILE: sets SMTP_PORT, SMTP_PID; FILE holds the number of messages accepted
    local out="$RUN/bench/smtp_sink.out"
    "$PY" -m bench.smtp_sink --port 0 --count-file "$1" >"$out" 2>&1 &
    SMTP_PID=$!
    for _ in $(seq 1 100); do
        SMTP_PORT=$(sed -n 's/^smtp_sink listening on 127.0.0.1://p' "$out")
        [ -n "$SMTP_PORT" ] && return
        kill -0 "$SMTP_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$out" >&2; die "the SMTP sink did not start"
}

# make bench (ARCHITECTURE.md §6): N standing orders across E hubs set up in `odoo shell` (not timed), then
# a real Odoo server (WORKERS HTTP workers, 2 cron workers, the queue_job jobrunner) runs the placement and
# confirmation scheduled actions, triggered and timed by tools/bench/driver.py against the sandbox
# (LATENCY_MS per Stripe call); then OCA contract, without and with contract_queue_job, invoicing N
# contracts each on the same server. The database (ofn_bench) is kept.
cmd_bench() {
    local n=${N:-500} e=${E:-20} latency=${LATENCY_MS:-0} workers=${WORKERS:-4}
    [[ "$n" =~ ^[1-9][0-9]*$ && "$e" =~ ^[1-9][0-9]*$ && "$workers" =~ ^[1-9][0-9]*$ ]] \
        || die "N, E and WORKERS are positive integers (N=$n E=$e WORKERS=$workers)"
    [[ "$latency" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "LATENCY_MS is a number of milliseconds (LATENCY_MS=$latency)"
    [ -z "${PROFILE:-}" ] || die "PROFILE is gone: the phases run in several Odoo processes (README, Benchmark)"
    setup
    sandbox_env
    local db=${OFN_BENCH_DB:-ofn_bench} dir="$RUN/bench" conf="$RUN/bench/odoo-bench.conf"
    mkdir -p "$dir"
    trap 'stop_pids ${SERVER_PID:-} ${SANDBOX_PID:-} ${SMTP_PID:-}; pg_stop_at_exit' EXIT
    pg_start
    # the server's HTTP port, where the sandbox's webhooks go (delivered a day later: not measured)
    export OFN_HTTP_PORT OFN_GEVENT_PORT; OFN_HTTP_PORT=$(free_port) OFN_GEVENT_PORT=$(free_port)
    # the charge channel may take every slot (README, "Job queue"): a charge mostly waits on
    # Stripe, and charges run ahead of the batch jobs that make them
    export OFN_QUEUE_CHANNELS=${OFN_QUEUE_CHANNELS:-root:$workers,root.ofn.batch:$workers,root.ofn.charge:$workers}
    # the untimed setup talks to Stripe at full speed; the driver sets LATENCY_MS for the phases
    SANDBOX_DIR="$dir/sandbox" SANDBOX_IN_MEMORY=1 sandbox_start --latency-ms 0 --webhook-delay 86400
    export OFN_STRIPE_API_BASE="$SANDBOX_URL" OFN_STRIPE_CONNECT_BASE="$SANDBOX_URL"
    export OFN_STRIPE_JS_URL="$SANDBOX_URL/js.stripe.com/v3/"
    smtp_sink_start "$dir/emails.count"
    write_conf "$conf" "$db" "smtp_server = 127.0.0.1" "smtp_port = $SMTP_PORT"
    install_db "$conf" "$db" "$dir/install-$db.log"
    say "Installing OCA contract and contract_queue_job in $db"
    odoo -c "$conf" -d "$db" -i contract,contract_queue_job --stop-after-init --log-level=warn \
        --logfile="$dir/install-contract.log" || die "OCA contract did not install (log: $dir/install-contract.log)"
    say "Benchmark: N=$n standing orders, E=$e hubs, Stripe latency ${latency} ms, $workers workers (setup first, not timed)"
    rm -f "$dir"/odoo-*.log
    export OFN_BENCH_N=$n OFN_BENCH_E=$e OFN_BENCH_WORLD="$dir/world.json"
    OFN_BENCH_STEP=setup odoo shell -c "$conf" -d "$db" --no-http --log-level=warn --logfile="$dir/odoo-shell.log" \
        <"$ROOT/tools/bench/shell.py" >/dev/null || die "the benchmark's setup failed (log: $dir/odoo-shell.log)"
    # limits: a scheduled action or a job is measured however long it takes, not killed
    "$PY" "$ROOT/tools/bench/odoo_server.py" -c "$conf" -d "$db" --workers="$workers" --max-cron-threads=2 --http-port="$OFN_HTTP_PORT" \
        --limit-time-cpu=86400 --limit-time-real=86400 --limit-time-real-cron=0 --logfile="$dir/odoo-server.log" \
        ${OFN_BENCH_SERVER_ARGS:-} &
    SERVER_PID=$!
    local url="http://127.0.0.1:$OFN_HTTP_PORT"
    for _ in $(seq 1 300); do
        curl -fsS "$url/web/health" >/dev/null 2>&1 && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "the Odoo server did not start (log: $dir/odoo-server.log)"
        sleep 0.2
    done
    say "Odoo server on $url (pid $SERVER_PID, log $dir/odoo-server.log)"
    OFN_BENCH_CONF="$conf" OFN_BENCH_DIR="$dir" OFN_BENCH_URL="$url" OFN_BENCH_SERVER_PID=$SERVER_PID \
    OFN_BENCH_WORKERS=$workers OFN_BENCH_LATENCY_MS=$latency OFN_BENCH_SMTP_COUNT="$dir/emails.count" \
        "$PY" -m bench.driver | tee "$dir/report.txt"
}

stop_pids() {   # PIDS...: the processes this script started, TERM then (after 30 s) KILL
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 150); do
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && { sleep 0.2; continue 2; }; done
        return 0
    done
    for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
}

cmd_run() {
    setup
    [ -f "$ROOT/config/.env" ] || die "config/.env is missing: copy config/.env.example and fill in your Stripe keys"
    set -a; . "$ROOT/config/.env"; set +a
    trap pg_stop_at_exit EXIT
    pg_start
    local db=${OFN_DB:-ofn} conf="$RUN/odoo-run.conf"
    write_conf "$conf" "$db" "proxy_mode = True"
    "$PY" "$ROOT/tools/demo/db_ready.py" "$conf" "$db" || install_db "$conf" "$db" "$RUN/install-$db.log"
    odoo -c "$conf" -d "$db"
}

cmd_lint() {
    ensure_venv
    cd "$ROOT"
    "$VENV/bin/pre-commit" run --all-files
    cmd_i18n_check
}

# --------------------------------------------------------------------------- translations
# Each addon has i18n/<addon>.pot, exported by Odoo itself (--i18n-export) from a throwaway database
# with the three addons, and one <lc>.po per language of I18N_LANGS, translated in full.
I18N_LANGS=(fr es de)
I18N_DB=${OFN_I18N_DB:-ofn_i18n}

# i18n_export DIR: DIR/<addon>.pot for each addon, exported from a throwaway database (dropped after)
i18n_export() {
    local dir=$1 conf="$RUN/odoo-i18n.conf" addon
    pg_start
    write_conf "$conf" "$I18N_DB"
    install_db "$conf" "$I18N_DB" "$RUN/install-$I18N_DB.log"
    for addon in ${MODULES//,/ }; do
        say "Exporting the terms of $addon"
        odoo -c "$conf" -d "$I18N_DB" --i18n-export="$dir/$addon.pot" --modules="$addon" \
            --log-level=warn --logfile="$RUN/i18n-export.log" \
            || { tail -20 "$RUN/i18n-export.log" >&2; die "exporting the terms of $addon failed"; }
    done
    pg_psql -qc "DROP DATABASE IF EXISTS \"$I18N_DB\" WITH (FORCE)" >/dev/null
    rm -rf "$RUN/data/filestore/$I18N_DB"
}

# po_statistics PO: fails, saying so, when PO has untranslated or fuzzy entries (or does not compile)
po_statistics() {
    local stats
    stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$1" 2>&1) || { echo "$stats" >&2; return 1; }
    if [[ "$stats" == *untranslated* || "$stats" == *fuzzy* ]]; then
        echo "$1: $stats" >&2; return 1
    fi
}

cmd_i18n() {
    local addon lc po
    ensure_venv
    I18N_TMP=$(mktemp -d); trap 'rm -rf "$I18N_TMP"; pg_stop_at_exit' EXIT
    i18n_export "$I18N_TMP"
    for addon in ${MODULES//,/ }; do
        mkdir -p "$ROOT/addons/$addon/i18n"
        cp "$I18N_TMP/$addon.pot" "$ROOT/addons/$addon/i18n/$addon.pot"
        for lc in "${I18N_LANGS[@]}"; do
            po="$ROOT/addons/$addon/i18n/$lc.po"
            [ -f "$po" ] || continue
            msgmerge --quiet --update --backup=none "$po" "$ROOT/addons/$addon/i18n/$addon.pot"
        done
        say "addons/$addon/i18n: $addon.pot exported, its .po merged"
    done
}

cmd_i18n_check() {
    local tmp addon lc po pot failed=0
    ensure_venv
    I18N_TMP=$(mktemp -d); trap 'rm -rf "$I18N_TMP"; pg_stop_at_exit' EXIT
    tmp=$I18N_TMP
    i18n_export "$tmp"
    for addon in ${MODULES//,/ }; do
        pot="$ROOT/addons/$addon/i18n/$addon.pot"
        # the header's dates change with every export: the rest must be the same
        if ! diff -q <(grep -Ev '^"(POT-Creation-Date|PO-Revision-Date): ' "$pot" 2>/dev/null) \
                <(grep -Ev '^"(POT-Creation-Date|PO-Revision-Date): ' "$tmp/$addon.pot") >/dev/null; then
            printf '\033[31mERROR:\033[0m addons/%s/i18n/%s.pot is out of date with the code: run `make i18n`, translate the new terms of its .po files and commit them\n' "$addon" "$addon" >&2
            diff -u <(grep -Ev '^"(POT-Creation-Date|PO-Revision-Date): ' "$pot" 2>/dev/null) \
                <(grep -Ev '^"(POT-Creation-Date|PO-Revision-Date): ' "$tmp/$addon.pot") | sed -n '3,40p' >&2 || true
            failed=1
        fi
        for lc in "${I18N_LANGS[@]}"; do
            po="$ROOT/addons/$addon/i18n/$lc.po"
            if [ ! -f "$po" ]; then
                printf '\033[31mERROR:\033[0m addons/%s/i18n/%s.po is missing: run `make i18n` and translate it\n' "$addon" "$lc" >&2
                failed=1
            elif ! po_statistics "$po"; then
                printf '\033[31mERROR:\033[0m addons/%s/i18n/%s.po has untranslated or fuzzy entries: translate them (after `make i18n`)\n' "$addon" "$lc" >&2
                failed=1
            fi
        done
    done
    [ "$failed" = 0 ] || die "translations are out of date (above)"
    say "Translations: every .pot matches Odoo's export, every .po is complete"
}

case "${1:-}" in
    setup) setup ;;
    test) shift; cmd_test "$@" ;;
    test-db) ensure_venv; cmd_test_db ;;
    demo) cmd_demo ;;
    bench) cmd_bench ;;
    run) cmd_run ;;
    lint) cmd_lint ;;
    i18n) cmd_i18n ;;
    i18n-check) cmd_i18n_check ;;
    pg-start) pg_start; pg_env; echo "PGHOST=$DB_HOST PGPORT=$DB_PORT PGUSER=$DB_USER" ;;
    pg-stop) pg_stop ;;
    odoo) shift; ensure_venv; odoo "$@" ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
esac
