#!/usr/bin/env bash
# Run Accueil on this machine with demo data: install the dependencies, build
# the server and the CLI, start PostgreSQL (a cluster kept in .local/pg, reused
# from run to run) and the server, load the demo prefecture (scripts/demo.sh),
# then wait. Ctrl-C stops the server and the database cleanly; the data stays
# for the next run.
#
#   scripts/run.sh                      # listens on 127.0.0.1:50051
#   ACCUEIL_PORT=50061 scripts/run.sh   # another port
#   ACCUEIL_DEV_ISSUER_PORT=50062 scripts/run.sh
#                                       # the development issuer elsewhere
#
# The server runs with its development issuer (dev_issuer_listen) on
# 127.0.0.1:50052: `accueil login --dev --role ...` signs in as an agent or an
# administrator there. The demo data is loaded as the administrator
# "demo-admin", whose token stays in .local/demo-admin/.
#
# From another script, stop it with SIGTERM: a shell starts background jobs with
# SIGINT ignored, and an ignored signal cannot be trapped.
#
# Files, all under .local/: pg/ (the cluster), secret.key (the server's key,
# made once), server.conf (rewritten every run), server.log, demo-admin/token
# (the demo administrator's token, 8 hours), mail/new/ (every e-mail the
# server sent, one file each: a local SMTP server, scripts/smtp_sink.py),
# sms/received.log (every SMS, through a local Kannel with a fake SMSC).
#
# Ports: ACCUEIL_PORT (50051), the issuer (50052), the web gateway
# (ACCUEIL_WEB_PORT, 8080), and the six after the first for the local SMTP
# server (+3), Kannel (+4 to +7) and notify's delivery reports (+8).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build}
PORT=${ACCUEIL_PORT:-50051}
ADDRESS=127.0.0.1:$PORT
ISSUER_PORT=${ACCUEIL_DEV_ISSUER_PORT:-50052}
ISSUER=http://127.0.0.1:$ISSUER_PORT
WEB_PORT=${ACCUEIL_WEB_PORT:-8080}
LOCAL=$ROOT/.local
PG_DIR=$LOCAL/pg
CONF=$LOCAL/server.conf
KEY=$LOCAL/secret.key
LOG=$LOCAL/server.log
SERVER_BIN=$BUILD_DIR/services/allinone/accueil-server
MAIL_DIR=$LOCAL/mail
SMS_DIR=$LOCAL/sms
SMTP_PORT=$((PORT + 3))
KANNEL_ADMIN_PORT=$((PORT + 4))
KANNEL_BOX_PORT=$((PORT + 5))
KANNEL_SMSC_PORT=$((PORT + 6))
KANNEL_SENDSMS_PORT=$((PORT + 7))
REPORT_PORT=$((PORT + 8))
CLI=$BUILD_DIR/clients/cli/accueil

say() { echo "run: $*"; }
die() {
  echo "run: $*" >&2
  exit 1
}

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
  die "ACCUEIL_PORT must be a TCP port number (1-65535), got \"$PORT\""
fi
if ! [[ "$ISSUER_PORT" =~ ^[0-9]+$ ]] || ((ISSUER_PORT < 1 || ISSUER_PORT > 65535)); then
  die "ACCUEIL_DEV_ISSUER_PORT must be a TCP port number (1-65535), got \"$ISSUER_PORT\""
fi
if ! [[ "$WEB_PORT" =~ ^[0-9]+$ ]] || ((WEB_PORT < 1 || WEB_PORT > 65535)); then
  die "ACCUEIL_WEB_PORT must be a TCP port number (1-65535), got \"$WEB_PORT\""
fi
if ((ISSUER_PORT == PORT)); then
  die "ACCUEIL_PORT and ACCUEIL_DEV_ISSUER_PORT must differ (both are $PORT)"
fi

# True when something accepts connections on 127.0.0.1:$1. A bind test would
# not do: gRPC servers set SO_REUSEPORT, so a second one binds the same port
# without error and the two share the connections.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_taken PORT VARIABLE: reports the port in use and exits.
port_taken() {
  local port=$1 variable=$2
  echo "run: port $port on 127.0.0.1 is already in use" >&2
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$port" 2>/dev/null | sed 's/^/run:   /' >&2 || true
  fi
  echo "run: another scripts/run.sh may still be running: stop it (Ctrl-C), or choose" >&2
  echo "run: another port, e.g. $variable=$((port > 65525 ? 50060 : port + 10)) scripts/run.sh" >&2
  exit 1
}

check_ports() {
  if port_in_use "$PORT"; then port_taken "$PORT" ACCUEIL_PORT; fi
  if port_in_use "$ISSUER_PORT"; then port_taken "$ISSUER_PORT" ACCUEIL_DEV_ISSUER_PORT; fi
  if port_in_use "$WEB_PORT"; then port_taken "$WEB_PORT" ACCUEIL_WEB_PORT; fi
}

# The ports of the demo's message sinks (before they start).
check_sink_ports() {
  local p
  for p in "$SMTP_PORT" "$KANNEL_ADMIN_PORT" "$KANNEL_BOX_PORT" "$KANNEL_SMSC_PORT" \
    "$KANNEL_SENDSMS_PORT" "$REPORT_PORT"; do
    if port_in_use "$p"; then port_taken "$p" ACCUEIL_PORT; fi
  done
}

# Before the long build, so that a taken port is known at once.
check_ports
check_sink_ports

scripts/deps.sh
# Only the binaries this script runs: the server, and the CLI that it and demo.sh call.
scripts/build.sh accueil-server accueil

# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/kannel.sh
source scripts/kannel.sh

server_pid=""
sink_pids=()
pg_up=0
# shellcheck disable=SC2317  # only called by the traps
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    say "stopping the server (pid $server_pid)"
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  local pid
  for pid in "${sink_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((pg_up)); then
    pg_stop "$PG_DIR" || status=1
  fi
  say "stopped"
  exit "$status"
}
trap cleanup EXIT
# The EXIT trap covers errors; INT/TERM must exit explicitly so that it runs too.
trap 'echo; exit 130' INT
trap 'exit 143' TERM

mkdir -p "$LOCAL"
chmod 755 "$LOCAL" # the cluster runs as postgres when we are root
pg_up=1 # before pg_start: a Ctrl-C during the start must stop it too
pg_start "$PG_DIR" || die "cannot start PostgreSQL in $PG_DIR"

if [[ -z "$(psql "$ACCUEIL_PG_ADMIN_URL" -XtAq -c "SELECT 1 FROM pg_database WHERE datname = 'accueil'")" ]]; then
  psql "$ACCUEIL_PG_ADMIN_URL" -Xq -c 'CREATE DATABASE accueil' || die "cannot create the database accueil"
  say "created database accueil"
fi

if [[ ! -s "$KEY" ]]; then
  # A key ring of one key (docs/operations.md#secrets).
  (umask 077 && printf 'accueil-keys 1\n%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" \
    >"$KEY.tmp") && mv "$KEY.tmp" "$KEY"
  say "created the server's secret key $KEY"
fi
chmod 600 "$KEY"

# Where the demo's messages go (docs/notify.md): a local SMTP server keeping
# every e-mail in $MAIL_DIR/new, and Kannel (bearerbox with a fake SMSC whose
# client writes every SMS to $SMS_DIR/received.log, smsbox for sendsms).
mkdir -p "$MAIL_DIR" "$SMS_DIR"
/usr/bin/python3 scripts/smtp_sink.py "$MAIL_DIR" "$SMTP_PORT" serve >"$MAIL_DIR/sink.log" 2>&1 &
sink_pids+=($!)
kannel_start "$SMS_DIR" "$KANNEL_ADMIN_PORT" "$KANNEL_BOX_PORT" "$KANNEL_SMSC_PORT" \
  "$KANNEL_SENDSMS_PORT" accueil demo-sendsms || die "Kannel did not start; see $SMS_DIR"

# The cluster gets a new port at each start: the configuration follows it.
cat >"$CONF" <<EOF
# Written by scripts/run.sh at each run; edits are lost.
listen = $ADDRESS
database_url = host=$PG_DIR/sock port=$PGPORT user=postgres dbname=accueil
secret_key_file = $KEY
log_level = info
# Development only: signs anyone in with the role they ask for (loopback).
dev_issuer_listen = 127.0.0.1:$ISSUER_PORT
# The demo's messages: the local SMTP server and Kannel above.
notify_smtp_url = smtp://127.0.0.1:$SMTP_PORT
notify_mail_from = ne-pas-repondre@prefecture.localhost
notify_sms_url = http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms
notify_sms_user = accueil
notify_sms_password = demo-sendsms
notify_report_listen = 127.0.0.1:$REPORT_PORT
# The JSON API and the web pages (docs/web.md); the links in messages lead there.
gateway_listen = 127.0.0.1:$WEB_PORT
notify_public_base_url = http://localhost:$WEB_PORT
EOF

# The file decides these; an override left in the environment would not match
# what this script waits for.
unset ACCUEIL_LISTEN ACCUEIL_DATABASE_URL ACCUEIL_SECRET_KEY_FILE ACCUEIL_DEV_ISSUER_LISTEN ACCUEIL_GATEWAY_LISTEN

check_ports
"$SERVER_BIN" --config "$CONF" >"$LOG" 2>&1 &
server_pid=$!
say "server starting (pid $server_pid), log in $LOG"

# Ready when it answers a read, within 60 s.
ready=0
for ((i = 0; i < 300; i++)); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    if grep -q "cannot listen on" "$LOG"; then port_taken "$PORT" ACCUEIL_PORT; fi
    echo "run: the server stopped during start-up; the end of $LOG:" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
  if "$CLI" --server "$ADDRESS" --timeout 1 sites >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.2
done
((ready)) || die "the server did not answer on $ADDRESS within 60 s; see $LOG"

ACCUEIL_SERVER=$ADDRESS ACCUEIL_CLI=$CLI ACCUEIL_DEV_ISSUER=$ISSUER \
  ACCUEIL_DEMO_TOKEN_FILE=$LOCAL/demo-admin/token scripts/demo.sh ||
  die "loading the demo data failed"

# Six months of past activity for the demo site, so that the quality
# officer's report has figures (once: --if-empty; docs/indicators.md#demo-history).
demo_site=$("$CLI" --server "$ADDRESS" --json sites |
  python3 -c 'import json,sys; s=json.load(sys.stdin).get("sites",[]); print(s[0]["name"] if s else "")')
if [[ -n "$demo_site" ]]; then
  "$SERVER_BIN" demo-history --site "$demo_site" --months 6 --if-empty --config "$CONF" 2>>"$LOG" ||
    die "generating the demo site's history failed; see $LOG"
fi

# A site, a desk and a free slot, for examples that work as printed (public
# reads: no token).
public() { ACCUEIL_TOKEN="" ACCUEIL_TOKEN_FILE=/nonexistent "$CLI" --server "$ADDRESS" "$@"; }
desks_json=$(public --json desks)
desk=$(python3 -c 'import json,sys; d=json.load(sys.stdin).get("desks",[]); print(d[0]["name"] if d else "desks/1")' <<<"$desks_json")
site=$(python3 -c 'import json,sys; d=json.load(sys.stdin).get("desks",[]); print(d[0]["site"] if d else "sites/1")' <<<"$desks_json")
slot=$(public --json slots --desk "$desk" --limit 1 |
  python3 -c 'import json,sys; s=json.load(sys.stdin).get("slots",[]); print(s[0]["name"] if s else "slots/1")')

cli=$BUILD_DIR/clients/cli/accueil
cat <<EOF

Accueil is running on $ADDRESS (pid $server_pid).
It speaks plaintext gRPC, on loopback only; beyond loopback the server requires TLS (docs/security.md#transport).
  web and JSON API: http://localhost:$WEB_PORT (docs/web.md, docs/api.md), e.g.
                curl http://localhost:$WEB_PORT/v1/sites
  server log:   $LOG
  database:     accueil, PostgreSQL cluster in $PG_DIR (socket $PG_DIR/sock)
  sign-in:      development issuer on $ISSUER (anyone can sign in: never in production)
  e-mails sent: $MAIL_DIR/new/ (one file each; local SMTP server on 127.0.0.1:$SMTP_PORT)
  SMS sent:     $SMS_DIR/received.log (Kannel's fake SMSC; sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT)

In a browser:
  http://localhost:$WEB_PORT/          book, manage an appointment (French, English, Arabic)
  http://localhost:$WEB_PORT/agent     the agents' pages: sign in through the development issuer
                with a role (LODGE_AGENT, COUNTER_AGENT, QUALITY_OFFICER, ADMINISTRATOR) and
                a site ($site), or no site for every site
  http://localhost:$WEB_PORT/ecran, /borne   the waiting-room display and the lodge kiosk: link
                each once with a device token an administrator creates on /agent/admin/ID

Things to try, in another terminal from $ROOT:
EOF
if [[ "$ADDRESS" != "127.0.0.1:50051" ]]; then
  echo "  export ACCUEIL_SERVER=$ADDRESS"
fi
if [[ "$ISSUER" != "http://127.0.0.1:50052" ]]; then
  echo "  export ACCUEIL_DEV_ISSUER=$ISSUER"
fi
cat <<EOF

As the public (no sign-in):
  $cli sites
  $cli desks
  $cli slots --desk $desk --limit 10
  $cli book --slot $slot --given-name Awa --family-name Diallo --phone "06 12 34 56 78" --email awa@example.org
      (prints the appointment's name, a reference, an access code and a check-in token: use them below)
  $cli show --reference REFERENCE --code ACCESS_CODE
  $cli move --reference REFERENCE --code ACCESS_CODE --slot slots/ID
  $cli cancel --reference REFERENCE --code ACCESS_CODE --reason "Je ne peux pas venir"
  $cli admin show-hours --desk $desk

As a lodge agent of $site (the token is kept in ~/.config/accueil/token until 'logout'):
  $cli login --dev --role lodge --site $site --subject agent-loge
  $cli noshow appointments/ID                (after its start; arrivals go through reception)
  $cli lodge today $site                     (today's people; the demo's round-the-clock desk has a live queue)
  $cli lodge checkin $site REFERENCE         (a ticket, in the desk's queue)
  $cli queue --watch $site                   (the waiting-room display, live: Ctrl-C to stop)
  $cli --reason "Personne au guichet sans son code" show --reference REFERENCE
  $cli --reason "Code perdu, identite verifiee" reset-code appointments/ID

As a counter agent, then as an administrator:
  $cli login --dev --role counter --site $site --subject agent-guichet
  $cli counter next counters/1               (calls the next person: "A-002 -> Guichet 1")
  $cli counter start VISIT; $cli counter finish VISIT --outcome served
  $cli noshow appointments/ID
  $cli login --dev --role admin --subject admin-demo
  $cli admin audit                           (who did what, newest first)
  $cli admin roles
  $cli whoami

As the quality officer (the demo site has six generated months of activity):
  $cli login --dev --role quality --site $site --subject qualite
  $cli report --site $site --from $(date -d "-6 months" +%Y-%m) --to $(date +%Y-%m)
  $cli report --site $site --from $(date -d "-6 months" +%Y-%m) --to $(date +%Y-%m) --csv
  $cli logout

  $cli --help

Press Ctrl-C to stop the server and the database (the data is kept for the next run).
EOF

# Until Ctrl-C (the trap), or until the server stops on its own.
status=0
wait "$server_pid" || status=$?
server_pid=""
echo "run: the server exited by itself (status $status); the end of $LOG:" >&2
tail -n 20 "$LOG" >&2
exit 1
