#!/usr/bin/env bash
# The booking benchmark (docs/benchmarks.md): steady CreateAppointment load through
# accueil-server, against pgbench running the booking path's own SQL statement on the
# same PostgreSQL, alternated BENCH_REPS times in one run; prints the medians and the
# ratio service / pgbench.
#
# Durable settings on purpose: fsync and synchronous_commit keep their defaults.
#
# Environment (defaults in brackets):
#   BENCH_CLIENTS [8]   concurrent gRPC clients, and pgbench clients
#   BENCH_SECONDS [15]  measured seconds per run
#   BENCH_WARMUP  [3]   warm-up seconds before each run
#   BENCH_REPS    [3]   service/pgbench pairs
#   BENCH_DAYS    [20]  days of 5-minute slots per desk (capacity 100 each)
#   BENCH_POOL    [8]   ACCUEIL_DATABASE_POOL_SIZE
#   BENCH_LOG_LEVEL [warn]  ACCUEIL_LOG_LEVEL (info writes one access line per call)
#   BENCH_PG_OPTS []    extra PostgreSQL options for a diagnostic run; fsync=off refused
#   BENCH_LAYOUT [both] isolated: PostgreSQL alone on CPU 0, the server, accueil-bench
#                       and pgbench on the other cores (the database on its own
#                       machine, as the Helm chart deploys it); shared: every process
#                       on every core (the one-machine run command); both: the
#                       isolated pairs, then the shared ones
#   BENCH_OUT     [.local/bench-results/UTC-TIMESTAMP]  raw outputs
#   BUILD_DIR     [build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
CLIENTS=${BENCH_CLIENTS:-8}
SECONDS_RUN=${BENCH_SECONDS:-15}
WARMUP=${BENCH_WARMUP:-3}
REPS=${BENCH_REPS:-3}
DAYS=${BENCH_DAYS:-20}
POOL=${BENCH_POOL:-8}
LOG_LEVEL=${BENCH_LOG_LEVEL:-warn}
LAYOUT=${BENCH_LAYOUT:-both}
OUT=${BENCH_OUT:-.local/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}

for v in CLIENTS SECONDS_RUN WARMUP REPS DAYS POOL; do
  if [[ ! "${!v}" =~ ^[0-9]+$ ]] || { [[ $v != WARMUP ]] && ((${!v} == 0)); }; then
    echo "bench: $v must be a positive integer, got '${!v}'" >&2
    exit 2
  fi
done
case "$LAYOUT" in
  shared) LAYOUTS=(shared) ;;
  isolated) LAYOUTS=(isolated) ;;
  both) LAYOUTS=(isolated shared) ;;
  *)
    echo "bench: BENCH_LAYOUT must be isolated, shared or both, got '$LAYOUT'" >&2
    exit 2
    ;;
esac
if [[ "$LAYOUT" != shared ]] && (($(nproc) < 2)); then
  echo "bench: the isolated layout needs at least 2 cores (BENCH_LAYOUT=shared)" >&2
  exit 2
fi

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

SERVER_BIN="$BUILD_DIR/services/allinone/accueil-server"
BENCH_BIN="$BUILD_DIR/clients/bench/accueil-bench"
bench_build accueil-server accueil-bench

PG_DIR=".local/bench-pg-$$"
# The EXIT trap covers errors; INT/TERM must exit explicitly so that it runs too.
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)

# Benchmarks keep durable settings; BENCH_PG_OPTS only adds diagnostic options.
DB=accueil_bench
bench_start_cluster "$PG_DIR" "$DB" "${BENCH_PG_OPTS:-}"
PGBENCH="$PG_BIN/pgbench"

# PIN prefixes what the script starts for the load (accueil-bench, pgbench): see
# apply_layout.
PIN=()

# The server (scripts/bench_lib.sh): a random secret key, any free port, the same
# pool size as pgbench's client count. Log level warn: no access line per call (at
# info, the default, every call writes one; BENCH_LOG_LEVEL=info measures that too).
# Access control: the setup RPCs need an administrator; the development issuer
# (loopback only) hands out the token. Bookings are made as the public, from
# 127.0.0.1, which is exempt from the per-address rate limits and booking cap.
bench_start_server "$SERVER_BIN" "$OUT/server.log" "$PG_DIR" "$DB" "$POOL" "$LOG_LEVEL"
TOKEN_FILE="$PG_DIR/admin.token"
bench_dev_token ADMINISTRATOR bench-admin "$TOKEN_FILE"

# --- CPU accounting: machine_ticks, proc_ticks, pg_ticks in scripts/bench_lib.sh -----
# pgbench's backends exit when it does; until the postmaster has reaped them their
# CPU is in neither the postmaster's reaped-children counters nor, if one goes
# between the two reads, a live child's. wait_backends_reaped COUNT waits (at most
# 5 s) until the postmaster is back to COUNT children, none a zombie.
wait_backends_reaped() {
  local _
  for _ in $(seq 50); do
    if ! ps -o stat= --ppid "$POSTMASTER" | grep -q Z &&
      (($(ps -o pid= --ppid "$POSTMASTER" | wc -l) <= $1)); then
      return
    fi
    sleep 0.1
  done
}
# The shell's own reaped children (pgbench is one) in ticks, into CHILD_TICKS: `times`
# must run in this shell, not in a $(...) subshell whose counters start at zero.
TIMES_FILE="$PG_DIR/times"
read_children_ticks() {
  times >"$TIMES_FILE"
  CHILD_TICKS=$(sed -n 2p "$TIMES_FILE" | awk -v tick="$TICK" '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
    printf "%d\n", t * tick + 0.5 }')
}
# sample CLIENT_TICKS -> "machine_busy machine_total postgres server client" in ticks
sample() {
  echo "$(machine_ticks) $(pg_ticks) $(proc_ticks "$server_pid") $1"
}
# cpu_report BEFORE AFTER CALLS -> "busy% pg% server% client% other% pg_us server_us
# client_us": percentages of the whole machine (all cores), then microseconds of CPU per
# call. "other" is whatever else ran on the machine meanwhile.
cpu_report() {
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  awk -v busy=$((b[0] - a[0])) -v total=$((b[1] - a[1])) -v pg=$((b[2] - a[2])) \
    -v srv=$((b[3] - a[3])) -v cli=$((b[4] - a[4])) -v calls="$3" -v tick="$TICK" 'BEGIN {
      other = busy - pg - srv - cli; if (other < 0) other = 0
      if (total <= 0) total = 1; if (calls <= 0) calls = 1
      us = 1e6 / tick / calls
      printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", 100 * busy / total,
        100 * pg / total, 100 * srv / total, 100 * cli / total, 100 * other / total,
        pg * us, srv * us, cli * us }'
}

# --- The pgbench script: booking.create_appointment exactly as the service calls it ---
# (statement booking_create_appointment in services/booking/booking_service.cc), with
# the parameters the service computes: a random 128-bit request id, a payload hash, the
# time, a slot, a fresh reference, a random 32-byte person key, names, a mobile number.
# References come from a per-client counter scrambled by an odd multiplier modulo
# 32^8, so that pgbench never draws the same one twice (the column is UNIQUE and a
# unique violation would abort the pgbench client).
# If the service's statement changes, this script must change with it: the prepared
# statement's text, as booking_service.cc spells it.
SERVICE_SQL=(
  '"id, reference, code_version, status, slot_id, desk_id, site_id, start_micros, "'
  '"end_micros, given_name, family_name, email, phone, preferred_language, "'
  '"accessibility_need, accessibility_note, companions, channel, create_micros, "'
  '"update_micros, cancel_reason"'
  '" FROM booking.create_appointment("'
  "\"\$1, decode(\$2, 'hex'), \$3::timestamptz, \$4, \$5, decode(\$6, 'hex'), \""
  "\"\$7, \$8, NULLIF(\$9, ''), NULLIF(\$10, ''), \$11, \$12, \$13, \$14, \$15, \""
  "\"NULLIF(\$16, ''), booking.keys_from_hex(\$17), \$18)\""
)
for fragment in "${SERVICE_SQL[@]}"; do
  if ! grep -qF -- "$fragment" services/booking/booking_service.cc; then
    echo "bench: services/booking/booking_service.cc no longer prepares" \
      "booking_create_appointment as this script expects ($fragment):" \
      "update the pgbench script in scripts/bench.sh" >&2
    exit 1
  fi
done
PGB_SCRIPT="$OUT/create_appointment.sql"
cat >"$PGB_SCRIPT" <<'EOF'
\set n :n + 1
\set ref (((:ref_base + :client_id * 1073741824 + :n) % 1099511627776) * 5039177) % 1099511627776
\set c0 1 + :ref % 32
\set c1 1 + (:ref / 32) % 32
\set c2 1 + (:ref / 1024) % 32
\set c3 1 + (:ref / 32768) % 32
\set c4 1 + (:ref / 1048576) % 32
\set c5 1 + (:ref / 33554432) % 32
\set c6 1 + (:ref / 1073741824) % 32
\set c7 1 + (:ref / 34359738368) % 32
\set r1 random(0, 9223372036854775806)
\set r2 random(0, 9223372036854775806)
\set k1 random(0, 9223372036854775806)
\set k2 random(0, 9223372036854775806)
\set k3 random(0, 9223372036854775806)
\set k4 random(0, 9223372036854775806)
\set phone random(600000000, 689999999)
\set slot random(:first_slot, :last_slot)
SELECT id, reference, code_version, status, slot_id, desk_id, site_id, start_micros,
  end_micros, given_name, family_name, email, phone, preferred_language,
  accessibility_need, accessibility_note, companions, channel, create_micros,
  update_micros, cancel_reason
FROM booking.create_appointment(
  lpad(to_hex(:r1::bigint), 16, '0') || lpad(to_hex(:r2::bigint), 16, '0'),
  decode(:hash, 'hex'), :now::timestamptz, :slot,
  substr(:alphabet::text, :c0, 1) || substr(:alphabet::text, :c1, 1) ||
  substr(:alphabet::text, :c2, 1) || substr(:alphabet::text, :c3, 1) ||
  substr(:alphabet::text, :c4, 1) || substr(:alphabet::text, :c5, 1) ||
  substr(:alphabet::text, :c6, 1) || substr(:alphabet::text, :c7, 1),
  decode(lpad(to_hex(:k1::bigint), 16, '0') || lpad(to_hex(:k2::bigint), 16, '0') ||
         lpad(to_hex(:k3::bigint), 16, '0') || lpad(to_hex(:k4::bigint), 16, '0'), 'hex'),
  :given_name, :family_name, NULLIF('', ''), NULLIF('+33' || :phone, ''),
  'fr', 'none', '', 0, 'online', NULLIF('', ''), booking.keys_from_hex(''), 'public');
EOF
PAYLOAD_HASH=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
pgbench_index=0

# run_pgbench SECONDS FIRST_SLOT LAST_SLOT LOG_PREFIX(or -) OUTPUT
run_pgbench() {
  local rc=0 log_args=()
  pgbench_index=$((pgbench_index + 1))
  [[ "$4" != - ]] && log_args=(-l --log-prefix="$4")
  "${PIN[@]}" "$PGBENCH" -n -M prepared -c "$CLIENTS" -j 2 -T "$1" --max-tries=1 --failures-detailed \
    "${log_args[@]}" -f "$PGB_SCRIPT" \
    -D n=0 -D ref_base=$((pgbench_index * CLIENTS * (1 << 30))) \
    -D first_slot="$2" -D last_slot="$3" -D hash="$PAYLOAD_HASH" \
    -D now="$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" \
    -D alphabet=23456789ABCDEFGHJKLMNPQRSTUVWXYZ \
    -D given_name=Camille -D family_name=Martin >"$5" 2>&1 || rc=$?
  # 2: some clients aborted (an error pgbench cannot retry); the figures still print.
  if ((rc != 0 && rc != 2)); then
    echo "bench: pgbench failed ($rc):" >&2
    tail -n 20 "$5" >&2
    exit 1
  fi
}

# percentiles FILE -> "mean p50 p95 p99" in ms, from one latency (us) a line
percentiles() {
  sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END {
    if (NR == 0) { print "0 0 0 0"; exit }
    printf "%.2f %.2f %.2f %.2f\n", s / NR / 1000, v[int(0.50 * (NR - 1) + 1.5)] / 1000,
      v[int(0.95 * (NR - 1) + 1.5)] / 1000, v[int(0.99 * (NR - 1) + 1.5)] / 1000 }'
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

field() { # field NAME LINE: value of NAME=value in a RESULT/SETUP line
  sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"
}

echo "bench: machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
echo "bench: $("$PG_BIN/postgres" --version); settings: $(psql -XAtc "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_wal_size')")"
echo "bench: server $address (pool $POOL, log level $LOG_LEVEL), $CLIENTS clients, ${WARMUP} s warm-up + ${SECONDS_RUN} s, $REPS repetitions, $DAYS days of slots per run"
echo "bench: raw outputs in $OUT"

# apply_layout LAYOUT: moves the postmaster, the processes it has started and every
# thread of the server to their cores (backends forked later inherit the
# postmaster's), and sets PIN for the load.
apply_layout() {
  local all="0-$(($(nproc) - 1))" rest="1-$(($(nproc) - 1))" pg_cpus server_cpus pid
  if [[ "$1" == isolated ]]; then pg_cpus=0 server_cpus=$rest; else pg_cpus=$all server_cpus=$all; fi
  for pid in "$POSTMASTER" $(ps -o pid= --ppid "$POSTMASTER"); do
    taskset -a -p -c "$pg_cpus" "$pid" >/dev/null 2>&1 || true # a backend may just have exited
  done
  taskset -a -p -c "$server_cpus" "$server_pid" >/dev/null
  if [[ "$1" == isolated ]]; then PIN=(taskset -c "$rest"); else PIN=(); fi
}

# measure LAYOUT: BENCH_REPS service/pgbench pairs in that layout, their table and
# summary, and one RESULT line.
measure() {
  local layout=$1
  apply_layout "$layout"
  echo
  echo "bench: layout $layout$([[ "$layout" == isolated ]] && echo ": PostgreSQL on CPU 0, the server and the load on CPUs 1-$(($(nproc) - 1))")"
  svc_rps=() pgb_rps=() svc_cpu=() pgb_cpu=() quiet_ratios=() pair_ratios=()
  table=()
  disturbed=0
  # Share of the machine taken by other processes above which a run is marked.
  OTHER_LIMIT=15
  for ((rep = 1; rep <= REPS; rep++)); do
    # The service: accueil-bench sets up its own desk, warms up, then measures.
    svc_out="$OUT/$layout-service-$rep.txt"
    "${PIN[@]}" "$BENCH_BIN" --server "$address" --token-file "$TOKEN_FILE" --clients "$CLIENTS" --seconds "$SECONDS_RUN" \
      --warmup-seconds "$WARMUP" --days "$DAYS" >"$svc_out" 2>&1 &
    bench_pid=$!
    # CPU is sampled over the measured window: from the "window: start" line that
    # accueil-bench prints, for the window's length; the client reports its own.
    before="" after=""
    while kill -0 "$bench_pid" 2>/dev/null; do
      if grep -q '^window: start' "$svc_out" 2>/dev/null; then
        before=$(sample 0)
        sleep "$SECONDS_RUN"
        after=$(sample 0)
        break
      fi
      sleep 0.01
    done
    rc=0
    wait "$bench_pid" || rc=$?
    bench_pid=""
    result=$(grep '^RESULT ' "$svc_out" || true)
    if ((rc != 0)) || [[ -z "$result" || -z "$before" ]]; then
      echo "bench: accueil-bench failed ($rc):" >&2
      tail -n 20 "$svc_out" >&2
      exit 1
    fi
    rps=$(field booking_rps "$result")
    ok=$(field ok "$result")
    svc_rps+=("$rps")
    client_ticks=$(awk -v s="$(field client_cpu_s "$result")" -v tick="$TICK" \
      'BEGIN { printf "%d\n", s * tick + 0.5 }')
    after="${after% *} $client_ticks"
    read -r busy pg srv cli other pg_us srv_us cli_us <<<"$(cpu_report "$before" "$after" "$ok")"
    svc_line=$(printf '| %d | service | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s | %s / %s / %s |' \
      "$rep" "$rps" "$(field errors "$result")" "$(field mean_ms "$result")" "$(field p50_ms "$result")" \
      "$(field p95_ms "$result")" "$(field p99_ms "$result")" "$busy" "$pg" "$srv" "$cli" "$other" \
      "$pg_us" "$srv_us" "$cli_us")
    svc_cpu+=("$((pg_us + srv_us + cli_us))")
    svc_quiet=1
    if ((other > OTHER_LIMIT)); then
      svc_line+=" disturbed"
      disturbed=$((disturbed + 1))
      svc_quiet=0
    fi
    table+=("$svc_line")
    echo "$svc_line"

    # pgbench: a fresh desk made through the service, the same statement, same clients.
    setup=$("$BENCH_BIN" --server "$address" --token-file "$TOKEN_FILE" --setup-only --days "$DAYS")
    first=$(field first_slot_id "$setup")
    last=$(field last_slot_id "$setup")
    if [[ "$(field contiguous "$setup")" != 1 ]]; then
      echo "bench: slot ids of the pgbench desk are not contiguous: $setup" >&2
      exit 1
    fi
    pg_children=$(ps -o pid= --ppid "$POSTMASTER" | wc -l)
    if ((WARMUP > 0)); then
      run_pgbench "$WARMUP" "$first" "$last" - "$OUT/$layout-pgbench-$rep-warmup.txt"
      wait_backends_reaped "$pg_children"
    fi
    pgb_out="$OUT/$layout-pgbench-$rep.txt"
    read_children_ticks
    before=$(sample "$CHILD_TICKS")
    run_pgbench "$SECONDS_RUN" "$first" "$last" "$OUT/$layout-pgbench-$rep-log" "$pgb_out"
    wait_backends_reaped "$pg_children"
    read_children_ticks
    after=$(sample "$CHILD_TICKS")
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$pgb_out")
    tps=$(printf '%.1f' "${tps:-0}")
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$pgb_out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$pgb_out")
    aborted=$(grep -cE 'client [0-9]+ script [0-9]+ aborted' "$pgb_out" || true)
    awk '$3 ~ /^[0-9]+$/ { print $3 }' "$OUT/$layout-pgbench-$rep-log".* >"$OUT/$layout-pgbench-$rep-latency.txt"
    read -r mean p50 p95 p99 <<<"$(percentiles "$OUT/$layout-pgbench-$rep-latency.txt")"
    rm -f -- "$OUT/$layout-pgbench-$rep-log".*
    pgb_rps+=("$tps")
    read -r busy pg srv cli other pg_us srv_us cli_us <<<"$(cpu_report "$before" "$after" "${processed:-0}")"
    pgb_line=$(printf '| %d | pgbench | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s | %s / %s / %s |' \
      "$rep" "$tps" "$((${failed:-0} + aborted))" "$mean" "$p50" "$p95" "$p99" "$busy" "$pg" "$srv" \
      "$cli" "$other" "$pg_us" "$srv_us" "$cli_us")
    pgb_cpu+=("$((pg_us + cli_us))")
    pair_ratios+=("$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
    if ((other > OTHER_LIMIT)); then
      pgb_line+=" disturbed"
      disturbed=$((disturbed + 1))
    elif ((svc_quiet)); then
      quiet_ratios+=("$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
    fi
    table+=("$pgb_line")
    echo "$pgb_line"
  done

  svc_median=$(median "${svc_rps[@]}")
  pgb_median=$(median "${pgb_rps[@]}")
  ratio=$(awk -v a="$svc_median" -v b="$pgb_median" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  svc_cpu_median=$(median "${svc_cpu[@]}")
  pgb_cpu_median=$(median "${pgb_cpu[@]}")
  cpu_ratio=$(awk -v a="$svc_cpu_median" -v b="$pgb_cpu_median" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')
  {
    echo
    echo "| rep | what | calls/s | errors | mean ms | p50 ms | p95 ms | p99 ms | CPU busy % of $(nproc) cores | CPU % pg / server / client / other | CPU us per call pg / server / client |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${table[@]}"
    echo
    echo "median service: $svc_median calls/s; median pgbench: $pgb_median calls/s; ratio service/pgbench: $ratio (target >= 0.7)"
    echo "CPU per call (PostgreSQL + server + client), median: service $svc_cpu_median us, pgbench $pgb_cpu_median us; pgbench/service: $cpu_ratio (the throughput ratio a CPU-bound machine would show)"
    # The two runs of a pair are adjacent in time; the machine's speed drifts
    # between pairs (up to 2x on a shared VM), so each pair's own ratio is
    # steadier than the ratio of the two medians.
    pair_ratio=$(median "${pair_ratios[@]}")
    echo "ratio service/pgbench of each pair: ${pair_ratios[*]} (median $pair_ratio)"
    quiet_ratio=-
    if ((disturbed > 0)); then
      echo "warning: $disturbed of $((2 * REPS)) runs marked disturbed: other processes took more than $OTHER_LIMIT% of the machine; rerun on a quiet machine"
      if ((${#quiet_ratios[@]} > 0)); then
        quiet_ratio=$(median "${quiet_ratios[@]}")
        echo "ratio service/pgbench over the ${#quiet_ratios[@]} undisturbed pair(s): ${quiet_ratios[*]} (median $quiet_ratio)"
      fi
    fi
    echo "RESULT layout=$layout service_rps=$svc_median pgbench_tps=$pgb_median ratio=$ratio pair_ratio=$pair_ratio cpu_ratio=$cpu_ratio disturbed_runs=$disturbed quiet_pair_ratio=$quiet_ratio"
  } | tee -a "$OUT/summary.txt"
}

for layout in "${LAYOUTS[@]}"; do
  measure "$layout"
done
