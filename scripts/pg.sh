#!/usr/bin/env bash
# Throwaway PostgreSQL clusters, each confined to one directory:
#   DIR/data (cluster), DIR/sock (Unix socket), DIR/port, DIR/server.log.
#
# As a library:   source scripts/pg.sh; pg_start .local/pg; ...; pg_stop .local/pg
#   pg_start exports PGHOST, PGPORT, PGUSER and ACCUEIL_PG_ADMIN_URL.
#   PG_EXTRA_OPTS adds server options, e.g. "-c fsync=off -c synchronous_commit=off".
# As a command:   eval "$(scripts/pg.sh start .local/pg)";  scripts/pg.sh stop .local/pg
#
# Sourcing does not change the caller's shell options, so every step checks its own
# errors and the functions return non-zero on failure.

# Directory of the server binaries. An existing cluster needs the binaries of its own
# major version; a new one gets 15 (what Debian 12 ships) or else the newest installed.
_pg_bindir() {
  local data=$1 ver best
  if [[ -f "$data/PG_VERSION" ]]; then
    ver=$(<"$data/PG_VERSION")
    if [[ -x "/usr/lib/postgresql/$ver/bin/pg_ctl" ]]; then
      echo "/usr/lib/postgresql/$ver/bin"
      return 0
    fi
  fi
  if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
    echo /usr/lib/postgresql/15/bin
    return 0
  fi
  best=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [[ -x "$best/pg_ctl" ]]; then
    echo "$best"
    return 0
  fi
  echo "pg: no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/deps.sh)" >&2
  return 1
}

# initdb and pg_ctl refuse to run as root: as root, act as the postgres user.
_pg_as_owner() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A free loopback TCP port. The server does not listen on TCP (listen_addresses=''),
# but a port that is free everywhere keeps DIR/port meaningful if someone enables TCP.
_pg_free_port() {
  local port
  if command -v python3 >/dev/null 2>&1 &&
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null) &&
    [[ -n "$port" ]]; then
    echo "$port"
    return 0
  fi
  for ((port = 20000 + RANDOM % 20000; port < 65000; port++)); do
    if [[ -z "$(ss -Htan "sport = :$port" 2>/dev/null)" ]]; then
      echo "$port"
      return 0
    fi
  done
  echo "pg: no free TCP port found" >&2
  return 1
}

_pg_export() {
  local dir=$1 port=$2
  export PGHOST="$dir/sock"
  export PGPORT="$port"
  export PGUSER=postgres
  export ACCUEIL_PG_ADMIN_URL="host=$dir/sock port=$port user=postgres dbname=postgres"
}

pg_start() {
  if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: pg_start DIR" >&2
    return 2
  fi
  local dir bindir port rc log
  mkdir -p -- "$1" || return 1
  dir=$(cd -- "$1" && pwd -P) || return 1
  # The path goes unquoted into a conninfo string and into postgres -o options.
  if [[ "$dir" =~ [[:space:]\'\"\\] ]]; then
    echo "pg_start: $dir: spaces, quotes and backslashes are not supported" >&2
    return 1
  fi
  # Unix socket paths are limited to 107 bytes (sun_path); the suffix
  # "/sock/.s.PGSQL.65535" takes 20 of them.
  if ((${#dir} + 20 > 107)); then
    echo "pg_start: $dir is too long for a Unix socket path" >&2
    return 1
  fi

  # The server runs as postgres when we are root: it must be able to reach DIR.
  chmod 755 "$dir" || return 1
  if ((EUID == 0)); then
    if ! id -u postgres >/dev/null 2>&1; then
      echo "pg_start: no postgres user (run scripts/deps.sh)" >&2
      return 1
    fi
    install -d -o postgres -g postgres -m 755 "$dir/sock" || return 1
    if ! runuser -u postgres -- test -x "$dir/sock"; then
      echo "pg_start: user postgres cannot reach $dir: make its parent directories 755" >&2
      return 1
    fi
  else
    install -d -m 755 "$dir/sock" || return 1
  fi

  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    # A half-made data directory (interrupted initdb) makes initdb refuse: start over.
    rm -rf -- "$dir/data"
    if ((EUID == 0)); then
      install -d -o postgres -g postgres -m 700 "$dir/data" || return 1
    else
      install -d -m 700 "$dir/data" || return 1
    fi
    bindir=$(_pg_bindir "$dir/data") || return 1
    if ! _pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
      echo "pg_start: initdb failed, see $dir/initdb.log:" >&2
      tail -n 20 "$dir/initdb.log" >&2
      return 1
    fi
  fi
  bindir=$(_pg_bindir "$dir/data") || return 1

  # pg_ctl status: 0 running, 3 not running (including a stale postmaster.pid).
  rc=0
  _pg_as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || rc=$?
  if ((rc == 0)); then
    # Reuse it; postmaster.pid line 4 is the port it really runs on.
    port=$(sed -n 4p "$dir/data/postmaster.pid") || return 1
    echo "$port" >"$dir/port" || return 1
    echo "pg: reusing running cluster in $dir (port $port)" >&2
    _pg_export "$dir" "$port"
    return 0
  elif ((rc != 3)); then
    echo "pg_start: pg_ctl status failed ($rc) for $dir/data" >&2
    return 1
  fi
  # Left by a crash or a killed machine: the postmaster would refuse to start if the
  # recorded pid has since been reused by some other process.
  rm -f -- "$dir/data/postmaster.pid"

  port=$(_pg_free_port) || return 1
  log="$dir/server.log"
  # pg_ctl opens the log as the server user.
  if ((EUID == 0)); then
    touch "$log" || return 1
    chown postgres:postgres "$log" || return 1
  fi
  # PG_EXTRA_OPTS is deliberately unquoted inside -o: pg_ctl hands the string to a shell.
  if ! _pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 \
    -o "-c port=$port -c unix_socket_directories=$dir/sock -c listen_addresses='' ${PG_EXTRA_OPTS:-}" \
    start >/dev/null; then
    echo "pg_start: server did not start, see $log:" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  echo "$port" >"$dir/port" || return 1
  echo "pg: started cluster in $dir (port $port)" >&2
  _pg_export "$dir" "$port"
}

pg_stop() {
  if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: pg_stop DIR" >&2
    return 2
  fi
  local dir bindir
  # Only ever DIR/data: nothing here looks at other clusters.
  [[ -f "$1/data/PG_VERSION" ]] || return 0
  dir=$(cd -- "$1" && pwd -P) || return 1
  bindir=$(_pg_bindir "$dir/data") || return 1
  if _pg_as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    _pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -w -t 60 stop -m fast >/dev/null || return 1
    echo "pg: stopped cluster in $dir" >&2
  fi
}

# Run as a command: print the exports so that a caller can eval them.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-} $#" in
    "start 2")
      pg_start "$2"
      printf 'export %s=%q\n' PGHOST "$PGHOST" PGPORT "$PGPORT" PGUSER "$PGUSER" \
        ACCUEIL_PG_ADMIN_URL "$ACCUEIL_PG_ADMIN_URL"
      ;;
    "stop 2") pg_stop "$2" ;;
    *)
      echo "usage: $0 start|stop DIR" >&2
      exit 2
      ;;
  esac
fi
