#!/usr/bin/env bash
# The gateway benchmark (docs/benchmarks.md#the-web-gateway): bookings through the
# gateway's JSON API against bookings over gRPC, on the same server in the same run,
# alternated BENCH_REPS times (each run on a fresh desk); prints both medians and
# the ratio gateway / gRPC (target: at least 0.8), and the server's threads and
# memory while the gateway holds BENCH_IDLE idle keep-alive connections.
# Everything shares every core (the single-machine default); durable PostgreSQL
# settings. Figures, never a pass/fail test.
#
# Environment (defaults in brackets):
#   BENCH_CLIENTS [8]    concurrent clients (gRPC channels or HTTP connections)
#   BENCH_SECONDS [10]   measured seconds per run
#   BENCH_WARMUP  [2]    warm-up seconds per run
#   BENCH_REPS    [3]    gRPC/gateway pairs
#   BENCH_IDLE    [500]  idle connections held open for the thread and memory figure
#   BENCH_POOL    [8]    ACCUEIL_DATABASE_POOL_SIZE
#   BENCH_OUT     [.local/bench-results/gateway-UTC-TIMESTAMP]  raw outputs
#   BUILD_DIR     [build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
CLIENTS=${BENCH_CLIENTS:-8}
SECONDS_RUN=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
REPS=${BENCH_REPS:-3}
IDLE=${BENCH_IDLE:-500}
POOL=${BENCH_POOL:-8}
OUT=${BENCH_OUT:-.local/bench-results/gateway-$(date -u +%Y%m%dT%H%M%SZ)}

for v in CLIENTS SECONDS_RUN WARMUP REPS IDLE POOL; do
  if [[ ! "${!v}" =~ ^[0-9]+$ ]] || { [[ $v != WARMUP && $v != IDLE ]] && ((${!v} == 0)); }; then
    echo "bench: $v must be a positive integer, got '${!v}'" >&2
    exit 2
  fi
done

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

SERVER_BIN="$BUILD_DIR/services/allinone/accueil-server"
BENCH_BIN="$BUILD_DIR/clients/bench/accueil-bench"
bench_build accueil-server accueil-bench

PG_DIR=".local/bench-gateway-pg-$$"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)

{
  bench_header
  echo "bench: $CLIENTS clients, ${WARMUP} s warm-up + ${SECONDS_RUN} s per run, $REPS pairs; pool $POOL; everything shares every core"
  echo "bench: raw outputs in $OUT"
} | tee "$OUT/summary.txt"

bench_start_cluster "$PG_DIR" accueil_bench ""
bench_start_server "$SERVER_BIN" "$OUT/server.log" "$PG_DIR" accueil_bench "$POOL" warn
bench_dev_token ADMINISTRATOR bench-admin "$PG_DIR/admin.token"

days=$(( (SECONDS_RUN + WARMUP) * 2000 / (288 * 100) + 2 ))
run() { # run NAME [accueil-bench flags...]: prints the RESULT's booking_rps
  local name=$1
  shift
  "$BENCH_BIN" --server "$address" --token-file "$PG_DIR/admin.token" --clients "$CLIENTS" \
    --seconds "$SECONDS_RUN" --warmup-seconds "$WARMUP" --days "$days" "$@" >"$OUT/$name.txt" 2>&1 ||
    { echo "bench: $name failed:" >&2; tail -n 20 "$OUT/$name.txt" >&2; exit 1; }
  sed -n 's/^RESULT .*booking_rps=\([0-9.]*\).*/\1/p' "$OUT/$name.txt"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

grpc_rps=() http_rps=()
for rep in $(seq "$REPS"); do
  grpc_rps+=("$(run "grpc-$rep")")
  http_rps+=("$(run "gateway-$rep" --http "$web")")
  echo "pair $rep: gRPC ${grpc_rps[-1]} bookings/s, gateway ${http_rps[-1]} bookings/s;" \
    "p99 $(sed -n 's/^RESULT .*p99_ms=\([0-9.]*\).*/\1/p' "$OUT/grpc-$rep.txt") ms /" \
    "$(sed -n 's/^RESULT .*p99_ms=\([0-9.]*\).*/\1/p' "$OUT/gateway-$rep.txt") ms" | tee -a "$OUT/summary.txt"
done
g=$(printf '%s\n' "${grpc_rps[@]}" | median)
h=$(printf '%s\n' "${http_rps[@]}" | median)
awk -v g="$g" -v h="$h" 'BEGIN { printf "RESULT grpc_rps=%.1f gateway_rps=%.1f ratio=%.2f (target >= 0.80)\n", g, h, h / g }' |
  tee -a "$OUT/summary.txt"

# Threads and memory of the server with IDLE keep-alive connections open on the
# gateway (a connection costs no thread).
threads_before=$(ls "/proc/$server_pid/task" | wc -l)
rss_before=$(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status")
/usr/bin/python3 - "$web" "$IDLE" "$OUT/idle.txt" <<'PY' &
import socket, sys, time, urllib.parse
url, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host = urllib.parse.urlparse(url)
socks = []
for _ in range(count):
    s = socket.create_connection((host.hostname, host.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(4096)
    socks.append(s)
open(out, "w").write("open\n")
time.sleep(5)
PY
idle_pid=$!
for _ in $(seq 100); do [[ -s "$OUT/idle.txt" ]] && break; sleep 0.1; done
sleep 1
threads_idle=$(ls "/proc/$server_pid/task" | wc -l)
rss_idle=$(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status")
wait "$idle_pid" || true
echo "RESULT idle_connections=$IDLE server_threads=$threads_before->$threads_idle rss_mib=$((rss_before / 1024))->$((rss_idle / 1024))" |
  tee -a "$OUT/summary.txt"
