#!/usr/bin/env bash
# The metrics benchmark (docs/benchmarks.md#metrics-the-quality-officers-report): on a
# throwaway cluster with durable settings, everything on this machine, in one run:
#   load:     `accueil-server demo-history` writes 12 months of a large site (40 desks,
#             10 million appointments, their visits, walk-ins and events) and rebuilds
#             the figures with the set-based backfill: both times;
#   report:   accueil-metrics-bench times GetIndicatorReport over the 12 months against
#             one GROUP BY over metrics' raw fact rows (target: under 20 ms, at least
#             50x faster);
#   ingest:   a second site's month is loaded without rebuilding (--no-rebuild) while
#             this script holds the consumer's lock; then the running server's consumer
#             metrics.rollup applies its events: events/s from its first batch to its
#             catching up (target: at least 5,000 events/s).
# Figures, never a pass/fail test.
#
# Environment (defaults in brackets):
#   BENCH_APPOINTMENTS [10000000]     appointments of the large site, over 12 months
#   BENCH_DESKS [40]                  its desks (Monday-Friday, 08:30-12:30 and 13:30-16:30,
#                                     15-minute slots; places per slot follow the count)
#   BENCH_INGEST_APPOINTMENTS [50000] appointments of the month the consumer ingests
#   BENCH_RUNS [50]                   GetIndicatorReport calls timed
#   BENCH_NAIVE_RUNS [5]              runs of the naive query timed
#   BENCH_POOL [8]                    ACCUEIL_DATABASE_POOL_SIZE
#   BENCH_PG_OPTS []                  extra PostgreSQL options (fsync=off refused)
#   BENCH_OUT [.local/bench-results/metrics-UTC-TIMESTAMP]  raw outputs
#   BUILD_DIR [build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
APPOINTMENTS=${BENCH_APPOINTMENTS:-10000000}
DESKS=${BENCH_DESKS:-40}
INGEST_APPOINTMENTS=${BENCH_INGEST_APPOINTMENTS:-50000}
RUNS=${BENCH_RUNS:-50}
NAIVE_RUNS=${BENCH_NAIVE_RUNS:-5}
POOL=${BENCH_POOL:-8}
OUT=${BENCH_OUT:-.local/bench-results/metrics-$(date -u +%Y%m%dT%H%M%SZ)}

for v in APPOINTMENTS DESKS INGEST_APPOINTMENTS RUNS NAIVE_RUNS POOL; do
  if [[ ! "${!v}" =~ ^[0-9]+$ ]] || ((${!v} == 0)); then
    echo "bench: $v must be a positive integer, got '${!v}'" >&2
    exit 2
  fi
done

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh

SERVER_BIN="$BUILD_DIR/services/allinone/accueil-server"
BENCH_BIN="$BUILD_DIR/clients/bench/accueil-metrics-bench"
CLI_BIN="$BUILD_DIR/clients/cli/accueil"
bench_build accueil-server accueil accueil-metrics-bench

PG_DIR=".local/bench-metrics-pg-$$"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
DB=accueil_bench
# pg_stat_statements: where the consumer's time goes (ingest-statements.txt).
bench_start_cluster "$PG_DIR" "$DB" \
  "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all ${BENCH_PG_OPTS:-}"
bench_start_server "$SERVER_BIN" "$OUT/server.log" "$PG_DIR" "$DB" "$POOL" warn
bench_dev_token ADMINISTRATOR bench-admin "$PG_DIR/admin.token"
bench_dev_token QUALITY_OFFICER bench-quality "$PG_DIR/quality.token"
chmod 600 "$PG_DIR/admin.token" "$PG_DIR/quality.token"
DATABASE_URL="host=$PGHOST port=$PGPORT user=postgres dbname=$DB"

cli() { ACCUEIL_TOKEN_FILE="$PG_DIR/admin.token" "$CLI_BIN" --server "$address" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
# history SITE ARGS...: the server binary's command, on the server's database and key.
# Its CPU time goes to $OUT/cpu-SITE.txt (user and system seconds).
history() {
  local site=$1
  shift
  ACCUEIL_DATABASE_URL="$DATABASE_URL" ACCUEIL_SECRET_KEY_FILE="$PG_DIR/secret.key" \
    ACCUEIL_LOG_LEVEL=warn /usr/bin/time -f "%U %S" -o "$OUT/cpu-${site//\//-}.txt" \
    "$SERVER_BIN" demo-history --site "$site" "$@"
}
sql() { "$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# make_site NAME DESKS: a site in Europe/Paris with DESKS weekday desks; prints its name.
make_site() {
  local site desk i ranges=()
  site=$(cli --json admin create-site --name "$1" --address "1 rue de la Préfecture" \
    --time-zone Europe/Paris | field name)
  for day in mon tue wed thu fri; do ranges+=(--range "$day 08:30-12:30" --range "$day 13:30-16:30"); done
  for ((i = 1; i <= $2; i++)); do
    desk=$(cli --json admin create-desk --site "$site" --name "Guichet $i" --kind renewal \
      --slot-minutes 15 --capacity 1 | field name)
    cli admin hours --desk "$desk" "${ranges[@]}" >/dev/null
  done
  echo "$site"
}

echo "bench: sites and desks"
site=$(make_site "Préfecture (banc d'essai)" "$DESKS")
ingest_site=$(make_site "Sous-préfecture (banc d'essai)" 4)

echo "bench: loading $APPOINTMENTS appointments over 12 months on $DESKS desks of $site"
start=$(date +%s.%N)
pg_before=$(pg_ticks)
history "$site" --months 12 --appointments "$APPOINTMENTS" | tee "$OUT/load.txt"
load_s=$(echo "$(date +%s.%N) - $start" | bc)
pg_cpu_load=$(($(pg_ticks) - pg_before))
events=$(sql "SELECT count(*) FROM events.log")
sizes=$(sql "SELECT 'events.log ' || pg_size_pretty(pg_total_relation_size('events.log')) ||
  ', metrics.appointments ' || pg_size_pretty(pg_total_relation_size('metrics.appointments')) ||
  ', metrics.visits ' || pg_size_pretty(pg_total_relation_size('metrics.visits')) ||
  ', metrics.day_measures ' || pg_size_pretty(pg_total_relation_size('metrics.day_measures')) ||
  ', metrics.month_measures ' || pg_size_pretty(pg_total_relation_size('metrics.month_measures')) ||
  ', database ' || pg_size_pretty(pg_database_size(current_database()))")
sql "VACUUM ANALYZE" >/dev/null

from=$(date -d "$(date +%Y-%m-01) -12 months" +%Y-%m)
to=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
echo "bench: the report of $from to $to"
"$BENCH_BIN" --server "$address" --token-file "$PG_DIR/quality.token" --site "$site" \
  --from "$from" --to "$to" --database-url "$DATABASE_URL" --runs "$RUNS" \
  --naive-runs "$NAIVE_RUNS" | tee "$OUT/report.txt"

echo "bench: a month of $ingest_site for the consumer ($INGEST_APPOINTMENTS appointments)"
sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
# The consumer stands by while the month is written: this script holds its
# lock (the consumer's class and name, services/common/consumer.cc), taken
# from the server's instance by ending the session that held it (the server
# reconnects and waits). Otherwise the consumer applies the events while the
# command still runs its purge, and nothing is left to time.
lock_class=1633903361  # kLockClass
lock_name="hashtext('metrics.rollup')"
coproc HOLDER { "$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 2>&1; }
echo "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'
        AND classid = $lock_class AND objid = ($lock_name::bigint & 4294967295)::text::oid
        AND objsubid = 2;
      SELECT 'held' || pg_advisory_lock($lock_class, $lock_name)::text;" >&"${HOLDER[1]}"
read -r -t 60 _ <&"${HOLDER[0]}" || true # the count of sessions ended
read -r -t 60 held <&"${HOLDER[0]}" || true
[[ "$held" == "held" ]] || { echo "bench: could not hold the consumer's lock: $held" >&2; exit 1; }
history "$ingest_site" --months 1 --appointments "$INGEST_APPOINTMENTS" --no-rebuild |
  tee "$OUT/ingest-load.txt"
# cursor: the consumer's, as "txid position"; caught up: at or after the last event
# written so far.
cursor() { sql "SELECT txid || ' ' || position FROM events.cursors WHERE consumer = 'metrics.rollup'"; }
# between TXID POSITION TXID POSITION: the events after the first cursor, up to the second.
between() {
  sql "SELECT count(*) FROM events.log
       WHERE (txid, position) > ('$1'::xid8, $2) AND (txid, position) <= ('$3'::xid8, $4)"
}
read -r txid0 position0 <<<"$(cursor)"
read -r last_txid last_position <<<"$(sql "SELECT txid || ' ' || position FROM events.log
  ORDER BY txid DESC, position DESC LIMIT 1")"
pending=$(between "$txid0" "$position0" "$last_txid" "$last_position")
sql "SELECT pg_stat_statements_reset()" >/dev/null
exec {HOLDER[1]}>&-  # the lock goes with the session
wait "$HOLDER_PID" 2>/dev/null || true
start=$(date +%s.%N)
# From the consumer's first batch (it takes the lock within its retry interval, 2 s).
while [[ "$(cursor)" == "$txid0 $position0" ]]; do sleep 0.05; done
first=$(date +%s.%N)
read -r txid1 position1 <<<"$(cursor)"
until [[ $(sql "SELECT (txid, position) >= ('$last_txid'::xid8, $last_position)
                FROM events.cursors WHERE consumer = 'metrics.rollup'") == t ]]; do
  sleep 0.05
done
end=$(date +%s.%N)
ingest_s=$(echo "$end - $first" | bc)
wait_s=$(echo "$first - $start" | bc)
# Counted once the consumer is done, so as not to compete with it.
pending1=$(between "$txid1" "$position1" "$last_txid" "$last_position")
# The statements that took the most time while the consumer caught up (its
# own, nested ones included, and everything else the server ran meanwhile).
sql "SELECT round(total_exec_time)::bigint || ' ms, ' || calls || ' calls: ' ||
       left(regexp_replace(query, '\s+', ' ', 'g'), 100)
     FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
     ORDER BY total_exec_time DESC LIMIT 12" >"$OUT/ingest-statements.txt"

cpu=$(nproc)
mem=$(free -g | awk '/^Mem:/ { print $2 }')
{
  echo
  echo "== metrics benchmark, $(date -u +%FT%TZ), $cpu CPUs, ${mem} GiB, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
  echo "load:   $(grep -o '[0-9]* days.*' "$OUT/load.txt" | head -1)"
  echo "        $(grep 'metrics:' "$OUT/load.txt")"
  printf 'load:   %.0f s end to end (generation, COPY, purge, backfill); %s events in the log\n' "$load_s" "$events"
  read -r user system <"$OUT/cpu-${site//\//-}.txt"
  printf 'load:   CPU: the command %.0f s (user %.0f, system %.0f), PostgreSQL %.0f s\n' \
    "$(echo "$user + $system" | bc)" "$user" "$system" "$(echo "$pg_cpu_load / $TICK" | bc -l)"
  echo "sizes:  $sizes"
  grep -E '^(report|floor|naive):' "$OUT/report.txt" | grep -v -E ': (start|end)$'
  printf 'ingest: %s events pending; metrics.rollup active %.1f s after its lock was free, then\n' \
    "$pending" "$wait_s"
  printf 'ingest: %s events applied after its first batch in %.1f s: %.0f events/s\n' "$pending1" \
    "$ingest_s" "$(echo "$pending1 / $ingest_s" | bc -l)"
  echo "ingest: the statements that took the most time (all of them in ingest-statements.txt):"
  head -n 5 "$OUT/ingest-statements.txt" | sed 's/^/        /'
} | tee "$OUT/summary.txt"
