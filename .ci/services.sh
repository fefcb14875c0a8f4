# shellcheck shell=bash
# Starts throw-away PostgreSQL 15 and MariaDB servers on loopback for the storage tests, and stops
# them again. Sourceable by .ci/run and by developers:
#
#   source .ci/services.sh && start_services     # exports SIPCLUSTER_TEST_PG_URL / _MYSQL_URL
#   node scripts/run-tests.mjs src/store
#   stop_services
#
# Each server gets its own data folder under one `mktemp -d` folder and a non-default port, so
# nothing collides with a system cluster (which we never use). Needs root (PostgreSQL runs as the
# `postgres` user through runuser; MariaDB runs as root with a password-less loopback root).
# Ports can be overridden: SIPCLUSTER_PG_PORT (default 55432), SIPCLUSTER_MYSQL_PORT (53306).

SIPCLUSTER_PG_BIN=${SIPCLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}
SIPCLUSTER_PG_PORT=${SIPCLUSTER_PG_PORT:-55432}
SIPCLUSTER_MYSQL_PORT=${SIPCLUSTER_MYSQL_PORT:-53306}
SIPCLUSTER_SERVICES_DIR=${SIPCLUSTER_SERVICES_DIR:-}
SIPCLUSTER_MYSQL_PID=${SIPCLUSTER_MYSQL_PID:-}
SIPCLUSTER_SERVICES_TIMEOUT_S=${SIPCLUSTER_SERVICES_TIMEOUT_S:-60}

_svc_log() { printf '[services] %s\n' "$*" >&2; }

# _svc_wait <what> <pid|''> <command...>: polls the command every 0.2 s until it succeeds, the
# deadline passes, or the server process (if a pid is given) has died (port taken, bad datadir).
_svc_wait() {
  local what=$1 pid=$2; shift 2
  local deadline=$((SECONDS + SIPCLUSTER_SERVICES_TIMEOUT_S))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      _svc_log "$what exited during start-up; see $SIPCLUSTER_SERVICES_DIR"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      _svc_log "$what did not accept connections within ${SIPCLUSTER_SERVICES_TIMEOUT_S}s"
      return 1
    fi
    sleep 0.2
  done
}

# Something already listening would make a server fail to bind (or worse, answer our readiness
# probe in its place): say so at once.
_svc_port_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
    _svc_log "$1: port 127.0.0.1:$2 is already in use (set SIPCLUSTER_${1}_PORT to another one)"
    return 1
  fi
}

_start_postgres() {
  local data="$SIPCLUSTER_SERVICES_DIR/pg" started=$SECONDS
  _svc_port_free PG "$SIPCLUSTER_PG_PORT" || return 1
  mkdir -p "$data"
  chown postgres: "$SIPCLUSTER_SERVICES_DIR" "$data"
  # PostgreSQL refuses to run as root: initdb and pg_ctl run as postgres on a folder it owns.
  runuser -u postgres -- "$SIPCLUSTER_PG_BIN/initdb" -D "$data" -A trust -U postgres --no-sync \
    >"$SIPCLUSTER_SERVICES_DIR/pg-initdb.log" 2>&1 || return 1
  runuser -u postgres -- "$SIPCLUSTER_PG_BIN/pg_ctl" -D "$data" -l "$SIPCLUSTER_SERVICES_DIR/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $SIPCLUSTER_PG_PORT -k $data -c fsync=off" start >/dev/null || return 1
  _svc_wait PostgreSQL '' runuser -u postgres -- "$SIPCLUSTER_PG_BIN/pg_isready" -h 127.0.0.1 -p "$SIPCLUSTER_PG_PORT" || return 1
  runuser -u postgres -- "$SIPCLUSTER_PG_BIN/psql" -h 127.0.0.1 -p "$SIPCLUSTER_PG_PORT" -U postgres -q \
    -c 'CREATE DATABASE sipcluster_test' >/dev/null || return 1
  export SIPCLUSTER_TEST_PG_URL="postgres://postgres@127.0.0.1:$SIPCLUSTER_PG_PORT/sipcluster_test"
  _svc_log "PostgreSQL up on 127.0.0.1:$SIPCLUSTER_PG_PORT in $((SECONDS - started))s"
}

_start_mariadb() {
  local data="$SIPCLUSTER_SERVICES_DIR/mariadb" sock="$SIPCLUSTER_SERVICES_DIR/mariadb.sock" started=$SECONDS
  _svc_port_free MYSQL "$SIPCLUSTER_MYSQL_PORT" || return 1
  mkdir -p "$data"
  mariadb-install-db --user=root --datadir="$data" --auth-root-authentication-method=normal \
    --skip-test-db >"$SIPCLUSTER_SERVICES_DIR/mariadb-install.log" 2>&1 || return 1
  mariadbd --no-defaults --user=root --datadir="$data" --port="$SIPCLUSTER_MYSQL_PORT" \
    --bind-address=127.0.0.1 --socket="$sock" --pid-file="$SIPCLUSTER_SERVICES_DIR/mariadb.pid" \
    --skip-log-bin --innodb-flush-log-at-trx-commit=0 --log-error="$SIPCLUSTER_SERVICES_DIR/mariadb.log" \
    >>"$SIPCLUSTER_SERVICES_DIR/mariadb.log" 2>&1 &
  SIPCLUSTER_MYSQL_PID=$!
  export SIPCLUSTER_MYSQL_PID
  # Poll the server we started, and give up early if it died (port taken, bad datadir).
  _svc_wait MariaDB "$SIPCLUSTER_MYSQL_PID" \
    mariadb-admin --no-defaults --connect-timeout=2 -h 127.0.0.1 -P "$SIPCLUSTER_MYSQL_PORT" -u root ping || return 1
  mariadb --no-defaults -h 127.0.0.1 -P "$SIPCLUSTER_MYSQL_PORT" -u root -e 'CREATE DATABASE sipcluster_test' || return 1
  export SIPCLUSTER_TEST_MYSQL_URL="mysql://root@127.0.0.1:$SIPCLUSTER_MYSQL_PORT/sipcluster_test"
  _svc_log "MariaDB up on 127.0.0.1:$SIPCLUSTER_MYSQL_PORT in $((SECONDS - started))s"
}

# Starts both servers and exports their URLs. Returns non-zero (after stopping whatever started)
# if either fails; the logs stay in $SIPCLUSTER_SERVICES_DIR for a look.
start_services() {
  SIPCLUSTER_SERVICES_DIR=$(mktemp -d /tmp/sipcluster-services.XXXXXX)
  export SIPCLUSTER_SERVICES_DIR
  chmod 755 "$SIPCLUSTER_SERVICES_DIR"
  if ! _start_postgres || ! _start_mariadb; then
    _svc_log "start failed; logs in $SIPCLUSTER_SERVICES_DIR (their ends below)"
    # CI removes the folder on exit: show the logs now.
    tail -n 15 "$SIPCLUSTER_SERVICES_DIR"/*.log >&2 2>/dev/null || true
    stop_services keep-logs
    return 1
  fi
}

# Stops what start_services started (by data folder and PID, never by process name) and removes
# the temp folder unless asked to keep it. Safe to call twice or when nothing started.
stop_services() {
  local dir=$SIPCLUSTER_SERVICES_DIR
  [[ -n $dir && -d $dir ]] || return 0
  if [[ -f $dir/pg/postmaster.pid ]]; then
    runuser -u postgres -- "$SIPCLUSTER_PG_BIN/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n $SIPCLUSTER_MYSQL_PID ]] && kill -0 "$SIPCLUSTER_MYSQL_PID" 2>/dev/null; then
    kill -TERM "$SIPCLUSTER_MYSQL_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$SIPCLUSTER_MYSQL_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$SIPCLUSTER_MYSQL_PID" 2>/dev/null || true
    wait "$SIPCLUSTER_MYSQL_PID" 2>/dev/null || true
  fi
  SIPCLUSTER_MYSQL_PID=
  if [[ ${1:-} != keep-logs ]]; then rm -rf "$dir"; SIPCLUSTER_SERVICES_DIR=; fi
  unset SIPCLUSTER_TEST_PG_URL SIPCLUSTER_TEST_MYSQL_URL
}
