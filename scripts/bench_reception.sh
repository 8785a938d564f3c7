#!/usr/bin/env bash
# The reception benchmark (docs/benchmarks.md#reception-counters-and-the-waiting-room-display):
# accueil-reception-bench against accueil-server on a throwaway cluster, everything
# on this machine:
#   counters: 10 counters call, start and finish the visits of checked-in people
#             until the queue is empty (visits/s, calls/s, latency per RPC);
#   display:  500 WatchQueue streams; one counter calls 50 people one after another;
#             the time from CallNextVisitor to each watcher's receipt of the call
#             (p50, p95, p99, max; target p99 under 1 s);
#   screens:  (BENCH_PART=screens) 500 waiting-room displays on the gateway's event
#             stream (/ecran/flux); the same calls; the time from CallNextVisitor to
#             each screen's receipt of the call, and the gateway process's threads and
#             memory before and with the screens connected.
# Figures, never a pass/fail test. Durable settings: fsync and synchronous_commit keep
# their defaults.
#
# Environment (defaults in brackets):
#   BENCH_VISITORS [900]         people checked in for the counters (at most 999)
#   BENCH_COUNTERS [10]          counters, one client thread each
#   BENCH_WATCHERS [500]         WatchQueue streams
#   BENCH_WATCH_CHANNELS [10]    connections the streams are spread over
#   BENCH_CALLS [50]             calls the display part measures
#   BENCH_CALL_INTERVAL_MS [150] time from one call to the next
#   BENCH_SCREENS [500]          displays on the gateway (BENCH_PART=screens)
#   BENCH_PART [both]            counters, display, both, or screens
#   BENCH_POOL [8]               ACCUEIL_DATABASE_POOL_SIZE
#   BENCH_LOG_LEVEL [warn]       ACCUEIL_LOG_LEVEL
#   BENCH_PG_OPTS []             extra PostgreSQL options for a diagnostic run (e.g.
#                                "-c shared_preload_libraries=pg_stat_statements"); fsync=off refused
#   BENCH_OUT [.local/bench-results/reception-UTC-TIMESTAMP]  raw outputs
#   BUILD_DIR [build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
VISITORS=${BENCH_VISITORS:-900}
COUNTERS=${BENCH_COUNTERS:-10}
WATCHERS=${BENCH_WATCHERS:-500}
SCREENS=${BENCH_SCREENS:-500}
WATCH_CHANNELS=${BENCH_WATCH_CHANNELS:-10}
CALLS=${BENCH_CALLS:-50}
CALL_INTERVAL_MS=${BENCH_CALL_INTERVAL_MS:-150}
PART=${BENCH_PART:-both}
POOL=${BENCH_POOL:-8}
LOG_LEVEL=${BENCH_LOG_LEVEL:-warn}
OUT=${BENCH_OUT:-.local/bench-results/reception-$(date -u +%Y%m%dT%H%M%SZ)}

for v in VISITORS COUNTERS WATCHERS SCREENS WATCH_CHANNELS CALLS CALL_INTERVAL_MS POOL; do
  if [[ ! "${!v}" =~ ^[0-9]+$ ]] || { [[ $v != CALL_INTERVAL_MS ]] && ((${!v} == 0)); }; then
    echo "bench: $v must be a positive integer, got '${!v}'" >&2
    exit 2
  fi
done
case "$PART" in
  counters | display | both | screens) ;;
  *)
    echo "bench: BENCH_PART must be counters, display, both or screens, got '$PART'" >&2
    exit 2
    ;;
esac

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

SERVER_BIN="$BUILD_DIR/services/allinone/accueil-server"
BENCH_BIN="$BUILD_DIR/clients/bench/accueil-reception-bench"
bench_build accueil-server accueil-reception-bench

PG_DIR=".local/bench-reception-pg-$$"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
DB=accueil_bench
bench_start_cluster "$PG_DIR" "$DB" "${BENCH_PG_OPTS:-}"

bench_start_server "$SERVER_BIN" "$OUT/server.log" "$PG_DIR" "$DB" "$POOL" "$LOG_LEVEL"
# Tokens for every site: the administrator sets up, the lodge agent checks people in
# and watches the queue (as the lodge's screen does), the counter agent calls.
bench_dev_token ADMINISTRATOR bench-admin "$PG_DIR/admin.token"
bench_dev_token LODGE_AGENT bench-lodge "$PG_DIR/lodge.token"
bench_dev_token COUNTER_AGENT bench-counter "$PG_DIR/counter.token"

{
  bench_header
  echo "bench: $("$PG_BIN/postgres" --version); settings: $(psql -XAtc "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers')")"
  echo "bench: server $address (pool $POOL, log level $LOG_LEVEL); the server, PostgreSQL and the load share every core"
  echo "bench: raw outputs in $OUT"
} | tee "$OUT/summary.txt"

"$BENCH_BIN" --server "$address" --admin-token-file "$PG_DIR/admin.token" \
  --lodge-token-file "$PG_DIR/lodge.token" --counter-token-file "$PG_DIR/counter.token" \
  --part "$PART" --visitors "$VISITORS" --counters "$COUNTERS" --watchers "$WATCHERS" \
  --watch-channels "$WATCH_CHANNELS" --calls "$CALLS" --call-interval-ms "$CALL_INTERVAL_MS" \
  --gateway "${web#http://}" --screens "$SCREENS" --gateway-pid "$server_pid" \
  >"$OUT/reception.txt" 2>&1 &
bench_pid=$!

# CPU over each part's measured phase, between the "<part>: start" and "<part>: end"
# lines the benchmark prints. The load reports its own CPU (client_cpu_s): it may
# have exited before the last sample.
sample() {
  echo "$(machine_ticks) $(pg_ticks) $(proc_ticks "$server_pid")"
}
# cpu_shares BEFORE AFTER CLIENT_SECONDS -> "busy% pg% server% load% other%" of the
# whole machine (all cores); "other" is whatever else ran meanwhile.
cpu_shares() {
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  awk -v busy=$((b[0] - a[0])) -v total=$((b[1] - a[1])) -v pg=$((b[2] - a[2])) \
    -v srv=$((b[3] - a[3])) -v cli_s="$3" -v tick="$TICK" 'BEGIN {
      cli = cli_s * tick; other = busy - pg - srv - cli; if (other < 0) other = 0
      if (total <= 0) total = 1
      printf "%.0f %.0f %.0f %.0f %.0f\n", 100 * busy / total, 100 * pg / total,
        100 * srv / total, 100 * cli / total, 100 * other / total }'
}
declare -A before after
for part in counters display screens; do
  [[ ("$PART" == both && "$part" != screens) || "$PART" == "$part" ]] || continue
  while kill -0 "$bench_pid" 2>/dev/null && ! grep -q "^$part: start" "$OUT/reception.txt"; do
    sleep 0.05
  done
  before[$part]=$(sample)
  while kill -0 "$bench_pid" 2>/dev/null && ! grep -q "^$part: end" "$OUT/reception.txt"; do
    sleep 0.05
  done
  after[$part]=$(sample)
done
rc=0
wait "$bench_pid" || rc=$?
bench_pid=""
if ((rc != 0)) || ! grep -q '^RESULT ' "$OUT/reception.txt"; then
  echo "bench: accueil-reception-bench failed ($rc):" >&2
  tail -n 20 "$OUT/reception.txt" >&2
  if ! kill -0 "$server_pid" 2>/dev/null; then
    src=0
    wait "$server_pid" || src=$?
    server_pid=""
    echo "bench: accueil-server exited with status $src; its log ends:" >&2
    tail -n 5 "$OUT/server.log" >&2
  fi
  exit 1
fi

results=()
{
  grep -v '^RESULT \|: start$\|: end$' "$OUT/reception.txt"
  echo
  for part in counters display screens; do
    line=$(grep "^RESULT part=$part " "$OUT/reception.txt" || true)
    [[ -n "$line" && -n "${after[$part]:-}" ]] || continue
    read -r busy pg srv cli other <<<"$(cpu_shares "${before[$part]}" "${after[$part]}" \
      "$(sed -n 's/.* client_cpu_s=\([0-9.]*\).*/\1/p' <<<"$line")")"
    echo "CPU during $part, % of $(nproc) cores: busy $busy, PostgreSQL $pg, server $srv, load $cli, other $other$( ((other > 15)) && echo ' (disturbed: other processes took more than 15%)')"
    results+=("$line cpu_busy_pct=$busy cpu_pg_pct=$pg cpu_server_pct=$srv cpu_load_pct=$cli cpu_other_pct=$other")
  done
  printf '%s\n' "${results[@]}"
} | tee -a "$OUT/summary.txt"
