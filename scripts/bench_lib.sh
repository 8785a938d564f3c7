#!/usr/bin/env bash
# What the benchmark scripts share (scripts/bench.sh, scripts/bench_reception.sh):
# starting accueil-server with the development issuer on loopback, tokens from
# that issuer, and CPU accounting from /proc.
#
#   source scripts/pg.sh; source scripts/bench_lib.sh
#   PG_DIR=.local/bench-pg-$$
#   trap bench_cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
#   bench_start_cluster "$PG_DIR" accueil_bench ""   # sets PG_DIR, PG_BIN, POSTMASTER
#   bench_start_server "$SERVER_BIN" "$OUT/server.log" "$PG_DIR" "$DB" "$POOL" "$LOG_LEVEL"
#   bench_dev_token ADMINISTRATOR bench-admin "$PG_DIR/admin.token"
#   before=$(machine_ticks) ...
#
# Sourcing changes no shell option; the functions exit the script on failure.

server_pid="" bench_pid="" web=""

# bench_build TARGET...: installs the dependencies and builds the targets (BUILD_DIR),
# then checks that SERVER_BIN and BENCH_BIN are executables.
bench_build() {
  local bin
  scripts/deps.sh
  scripts/build.sh "$@"
  for bin in "$SERVER_BIN" "$BENCH_BIN"; do
    [[ -x "$bin" ]] || {
      echo "bench: $bin was not built" >&2
      exit 1
    }
  done
}

# bench_cleanup (the EXIT trap): stops the load (bench_pid) and the server
# (server_pid) if they run, then the cluster in PG_DIR, and deletes it.
# shellcheck disable=SC2317  # only called by the trap
bench_cleanup() {
  local pid
  for pid in "$bench_pid" "$server_pid"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  pg_stop "$PG_DIR" || true
  rm -rf -- "$PG_DIR"
}

# bench_start_cluster DIR DB OPTIONS: a throwaway cluster in DIR (scripts/pg.sh) with
# durable settings (no PG_EXTRA_OPTS inherited from a test shell; OPTIONS are extra
# server options, fsync=off refused) and database DB. Sets PG_DIR (absolute), PG_BIN and POSTMASTER;
# exports PGDATABASE.
bench_start_cluster() {
  if [[ "$3" =~ fsync[[:space:]]*=[[:space:]]*(off|false|0) ]]; then
    echo "bench: benchmarks run with fsync on" >&2
    exit 2
  fi
  export PG_EXTRA_OPTS="$3"
  pg_start "$1"
  PG_DIR=$(cd "$1" && pwd -P)
  PG_BIN=$(_pg_bindir "$PG_DIR/data")
  "$PG_BIN/createdb" "$2"
  export PGDATABASE=$2
  POSTMASTER=$(head -n 1 "$PG_DIR/data/postmaster.pid")
}

# bench_start_server SERVER_BIN LOG PG_DIR DB POOL LOG_LEVEL: starts the server on
# the cluster of PGHOST/PGPORT, database DB, with a random secret key in PG_DIR, any
# free port, the development issuer on loopback, and 127.0.0.1 exempt from the
# public rate limits and booking cap (the exemption the digital access point's
# machines get: one address cannot otherwise book more than a few times an hour).
# Sets server_pid, address (HOST:PORT of gRPC), issuer (its URL) and web (the
# gateway's URL).
bench_start_server() {
  local bin=$1 log=$2 dir=$3 db=$4 pool=$5 level=$6 port="" _
  # The gateway's port: free now (its log line is info, below a benchmark's level).
  local web_port
  web_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'accueil-keys 1\n%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" \
    >"$dir/secret.key"
  chmod 600 "$dir/secret.key"
  ACCUEIL_DATABASE_URL="host=$PGHOST port=$PGPORT user=postgres dbname=$db" \
    ACCUEIL_SECRET_KEY_FILE="$dir/secret.key" \
    ACCUEIL_LISTEN=127.0.0.1:0 \
    ACCUEIL_GATEWAY_LISTEN="127.0.0.1:$web_port" \
    ACCUEIL_DATABASE_POOL_SIZE="$pool" \
    ACCUEIL_LOG_LEVEL="$level" \
    ACCUEIL_DEV_ISSUER_LISTEN=127.0.0.1:0 \
    ACCUEIL_RATE_LIMIT_EXEMPT=127.0.0.1 \
    "$bin" 2>"$log" &
  server_pid=$!
  # The issuer's address is a warn line; the gRPC port is "server.started" (info), or
  # else the process's listening socket that is neither the issuer's nor the gateway's.
  address="" issuer=""
  for _ in $(seq 600); do
    issuer=$(sed -n 's/.*"event":"dev_issuer.started".*"address":"\([^"]*\)".*/\1/p' "$log")
    address=$(sed -n 's/.*"event":"server.started".*"address":"\([^"]*\)".*/\1/p' "$log")
    if [[ -z "$address" && -n "$issuer" ]]; then
      port=$(ss -Htlnp 2>/dev/null | awk -v pid="pid=$server_pid," -v issuer_port="${issuer##*:}" \
        -v web_port="$web_port" \
        'index($0, pid) { n = split($4, a, ":"); if (a[n] != issuer_port && a[n] != web_port) { print a[n]; exit } }')
      [[ -n "$port" ]] && address="127.0.0.1:$port"
    fi
    [[ -n "$address" && -n "$issuer" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "bench: accueil-server exited:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ -z "$address" || -z "$issuer" ]]; then
    echo "bench: accueil-server is not listening after 60 s:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  [[ "$issuer" == http* ]] || issuer="http://$issuer"
  web="http://127.0.0.1:$web_port"
}

# bench_dev_token ROLE SUBJECT FILE: a token of the development issuer for that role on
# every site (the issuer records the role binding), written to FILE.
bench_dev_token() {
  curl -sS --fail -d grant_type=urn:accueil:dev -d role="$1" -d subject="$2" \
    "$issuer/token" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p' >"$3"
  if [[ ! -s "$3" ]]; then
    echo "bench: no $1 token from the development issuer $issuer" >&2
    exit 1
  fi
}

# bench_header: two lines naming the run: when, which tree (modified or not), and
# the machine (cores, processor, memory, kernel).
bench_header() {
  echo "bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
  echo "bench: machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
}

# --- CPU accounting (Linux /proc, clock ticks) --------------------------------------
# shellcheck disable=SC2034  # read by the scripts that source this one
TICK=$(getconf CLK_TCK)
# machine: "busy total"
machine_ticks() {
  local _cpu u n s i w irq sirq st _rest
  read -r _cpu u n s i w irq sirq st _rest </proc/stat
  echo "$((u + n + s + irq + sirq + st)) $((u + n + s + i + w + irq + sirq + st))"
}
# proc_ticks PID [all]: user+system ticks of one process; with "all", plus those of
# the children it has reaped.
proc_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
    echo 0
    return
  }
  stat=${stat##*) } # fields from 3 on: the command name may contain spaces
  local mode=${2:-}
  # shellcheck disable=SC2086
  set -- $stat
  if [[ "$mode" == all ]]; then
    echo "$((${12} + ${13} + ${14} + ${15}))"
  else
    echo "$((${12} + ${13}))"
  fi
}
# PostgreSQL as a whole (POSTMASTER: its pid): the postmaster, its live children, and
# the children it already reaped (a backend that exited between two samples still
# counts).
pg_ticks() {
  local total child
  total=$(proc_ticks "$POSTMASTER" all)
  for child in $(ps -o pid= --ppid "$POSTMASTER"); do
    total=$((total + $(proc_ticks "$child")))
  done
  echo "$total"
}
