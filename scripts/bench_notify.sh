#!/usr/bin/env bash
# The notify benchmark (docs/benchmarks.md#notify-e-mails-and-sms): how many messages
# per second notify's senders hand to a local SMTP server (scripts/smtp_sink.py,
# aiosmtpd) and to Kannel's smsbox (fake SMSC), everything on this machine.
#
# For each layout, on a fresh throwaway cluster:
#   1. accueil-server without any provider (so notify's decider does not run) takes
#      BENCH_BOOK_SECONDS of bookings from accueil-bench (each person with a phone and
#      an e-mail address);
#   2. it is stopped and started again with the providers and BENCH_SENDERS sending
#      threads: the decider turns every booking into a confirmation per channel and
#      the senders send them. Measured: confirmations accepted per second per channel,
#      from the first accepted to the last, and the CPU each process took.
# Layouts: email (SMTP only), email+sms (both channels, sharing the senders), and
# email-postfix (SMTP only, to postfix's smtp-sink, a C server that accepts and
# discards: what notify does when the SMTP server is not the limit; the postfix
# package is downloaded into .local/tools, never installed).
# Figures, never a pass/fail test; durable PostgreSQL settings.
#
# Environment (defaults in brackets):
#   BENCH_BOOK_SECONDS [10]   seconds of booking load per layout
#   BENCH_CLIENTS [16]        booking clients
#   BENCH_SENDERS [8]         notify_senders
#   BENCH_LAYOUTS ["email email+sms email-postfix"]
#   BENCH_POOL [16]           ACCUEIL_DATABASE_POOL_SIZE
#   BENCH_OUT [.local/bench-results/notify-UTC-TIMESTAMP]  raw outputs
#   BUILD_DIR [build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
BOOK_SECONDS=${BENCH_BOOK_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-16}
SENDERS=${BENCH_SENDERS:-8}
LAYOUTS=${BENCH_LAYOUTS:-email email+sms email-postfix}
POOL=${BENCH_POOL:-16}
OUT=${BENCH_OUT:-.local/bench-results/notify-$(date -u +%Y%m%dT%H%M%SZ)}

for v in BOOK_SECONDS CLIENTS SENDERS POOL; do
  if [[ ! "${!v}" =~ ^[0-9]+$ ]] || ((${!v} == 0)); then
    echo "bench: $v must be a positive integer, got '${!v}'" >&2
    exit 2
  fi
done

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/bench_lib.sh
source scripts/bench_lib.sh
# shellcheck source=scripts/kannel.sh
source scripts/kannel.sh

SERVER_BIN="$BUILD_DIR/services/allinone/accueil-server"
BENCH_BIN="$BUILD_DIR/clients/bench/accueil-bench"
bench_build accueil-server accueil-bench

bench_pid="" server_pid="" PG_DIR=""
sink_pids=()
stop_sinks() {
  local pid
  for pid in "${sink_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  sink_pids=()
}
cleanup() {
  stop_sinks
  if [[ -n "$PG_DIR" ]]; then bench_cleanup; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

{
  bench_header
  echo "bench: $BOOK_SECONDS s of bookings by $CLIENTS clients per layout; $SENDERS sending threads; pool $POOL; everything shares every core"
  echo "bench: raw outputs in $OUT"
} | tee "$OUT/summary.txt"

# postfix's smtp-sink, from the Debian package unpacked into .local/tools (no
# daemon, no configuration: only the binary and its libraries).
POSTFIX_DIR=.local/tools/postfix
postfix_sink_start() {
  local port=$1 log=$2
  if [[ ! -x "$POSTFIX_DIR/usr/sbin/smtp-sink" ]]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download postfix >/dev/null) ||
      { echo "bench: cannot download the postfix package" >&2; exit 1; }
    mkdir -p "$POSTFIX_DIR"
    dpkg-deb -x "$tmp"/postfix_*.deb "$POSTFIX_DIR"
    rm -rf -- "$tmp"
  fi
  local user=()
  ((EUID == 0)) && user=(-u nobody)
  LD_LIBRARY_PATH="$POSTFIX_DIR/usr/lib/postfix" "$POSTFIX_DIR/usr/sbin/smtp-sink" "${user[@]}" \
    "127.0.0.1:$port" 1024 >"$log" 2>&1 &
  sink_pid=$!
}

run_layout() {
  local layout=$1 dir="$OUT/$1" smtp_port sink_pid ports=() i mail
  mkdir -p "$dir"
  # The SMTP server's Maildir on local disk (one file per mail).
  mail=$(mktemp -d /tmp/accueil-bench-mail-XXXXXX)
  PG_DIR=".local/bench-notify-pg-$$"
  bench_start_cluster "$PG_DIR" accueil_bench ""

  # 1. Bookings, no provider.
  unset ACCUEIL_NOTIFY_SMTP_URL ACCUEIL_NOTIFY_SMS_URL
  bench_start_server "$SERVER_BIN" "$dir/server-book.log" "$PG_DIR" accueil_bench "$POOL" warn
  bench_dev_token ADMINISTRATOR bench-admin "$PG_DIR/admin.token"
  "$BENCH_BIN" --server "$address" --token-file "$PG_DIR/admin.token" --clients "$CLIENTS" \
    --seconds "$BOOK_SECONDS" --warmup-seconds 0 --email >"$dir/booking.txt" 2>&1
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  local booked
  booked=$(psql -XAtc "SELECT count(*) FROM events.log WHERE type = 'appointment.booked'")

  # 2. The providers, then the same server with them.
  smtp_port=$(free_port)
  if [[ "$layout" == email-postfix ]]; then
    postfix_sink_start "$smtp_port" "$dir/smtp.log"
  else
    /usr/bin/python3 scripts/smtp_sink.py "$mail" "$smtp_port" serve >"$dir/smtp.log" 2>&1 &
    sink_pid=$!
  fi
  sink_pids+=("$sink_pid")
  for _ in $(seq 50); do
    (echo >"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
    sleep 0.1
  done
  export ACCUEIL_NOTIFY_SMTP_URL="smtp://127.0.0.1:$smtp_port"
  export ACCUEIL_NOTIFY_SENDERS=$SENDERS
  if [[ "$layout" == *sms* ]]; then
    for i in 1 2 3 4; do ports+=("$(free_port)"); done
    kannel_start "$dir" "${ports[@]}" bench bench-sendsms
    export ACCUEIL_NOTIFY_SMS_URL="http://127.0.0.1:${ports[3]}/cgi-bin/sendsms"
    export ACCUEIL_NOTIFY_SMS_USER=bench ACCUEIL_NOTIFY_SMS_PASSWORD=bench-sendsms
  fi
  local before_pg before_srv before_sink start end
  start=$(date +%s.%N)
  bench_start_server "$SERVER_BIN" "$dir/server-send.log" "$PG_DIR" accueil_bench "$POOL" warn
  before_pg=$(pg_ticks) before_sink=$(proc_ticks "$sink_pid")
  before_srv=$(proc_ticks "$server_pid")
  local channels=1
  [[ "$layout" == *sms* ]] && channels=2
  for _ in $(seq 1200); do
    local done_count
    done_count=$(psql -XAtc "SELECT count(*) FROM notify.messages WHERE template = 'confirmation' AND state NOT IN ('pending', 'sending')")
    ((done_count >= booked * channels)) && break
    sleep 0.5
  done
  end=$(date +%s.%N)
  local cpu_pg cpu_srv cpu_sink
  cpu_pg=$(($(pg_ticks) - before_pg)) cpu_srv=$(($(proc_ticks "$server_pid") - before_srv))
  cpu_sink=$(($(proc_ticks "$sink_pid") - before_sink))
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  local mails="(discarded by smtp-sink)"
  [[ -d "$mail/new" ]] && mails=$(find "$mail/new" -type f | wc -l)
  rm -rf -- "$mail"
  {
    echo "layout $layout: $booked bookings; $mails e-mails in the SMTP server's Maildir"
    psql -XAtF ' ' -c "SELECT 'RESULT layout=$layout channel=' || channel || ' accepted=' || count(*) FILTER (WHERE state = 'accepted') || ' other=' || count(*) FILTER (WHERE state <> 'accepted') || ' per_s=' || round(count(*) FILTER (WHERE state = 'accepted') / greatest(extract(epoch FROM max(update_time) - min(update_time)), 0.001), 1) || ' seconds=' || round(extract(epoch FROM max(update_time) - min(update_time)), 2) FROM notify.messages WHERE template = 'confirmation' GROUP BY channel ORDER BY channel"
    awk -v s="$start" -v e="$end" -v pg="$cpu_pg" -v srv="$cpu_srv" -v sink="$cpu_sink" -v tick="$TICK" \
      'BEGIN { w = e - s; printf "CPU over the %.1f s from the server'"'"'s start to the last confirmation: PostgreSQL %.1f s, accueil-server %.1f s, SMTP server %.1f s (%d cores)\n", w, pg / tick, srv / tick, sink / tick, '"$(nproc)"' }'
  } | tee -a "$OUT/summary.txt"
  stop_sinks
  unset ACCUEIL_NOTIFY_SMTP_URL ACCUEIL_NOTIFY_SMS_URL ACCUEIL_NOTIFY_SMS_USER ACCUEIL_NOTIFY_SMS_PASSWORD
  pg_stop "$PG_DIR" || true
  rm -rf -- "$PG_DIR"
  PG_DIR=""
}

for layout in $LAYOUTS; do
  case "$layout" in
    email | email+sms | email-postfix) run_layout "$layout" ;;
    *)
      echo "bench: unknown layout '$layout' (email, email+sms, email-postfix)" >&2
      exit 2
      ;;
  esac
done
