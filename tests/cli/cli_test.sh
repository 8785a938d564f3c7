#!/usr/bin/env bash
# End-to-end test of the `accueil` CLI against a live accueil-server.
#
#   ACCUEIL_PG_ADMIN_URL=... bash tests/cli/cli_test.sh SERVER_BINARY CLI_BINARY
#
# Creates its own database on the cluster of ACCUEIL_PG_ADMIN_URL (set by
# scripts/test.sh), starts the server and its development issuer on ports it
# picks (ACCUEIL_LISTEN and ACCUEIL_DEV_ISSUER_LISTEN with port 0; both
# addresses are read from the "server.started" and "dev_issuer.started" log
# lines), then runs the CLI through the administration commands as an
# administrator signed in with `accueil login --dev`, the booking commands as
# the public (no token), and the agents' commands as lodge and counter agents
# and as a device, checking exit codes and output. Prints PASS or FAIL per
# step; exits non-zero if any step failed. The server, the database and the
# token files (all in the test's temporary directory) are removed on exit,
# whatever happens.
set -uo pipefail # not -e: a failed step is reported, and the next one runs

if (($# != 2)); then
  echo "usage: $0 SERVER_BINARY CLI_BINARY" >&2
  exit 2
fi
SERVER_BIN=$1
CLI_BIN=$2

if [[ -z "${ACCUEIL_PG_ADMIN_URL:-}" ]]; then
  echo "FAIL: ACCUEIL_PG_ADMIN_URL is not set: run the tests through scripts/test.sh" >&2
  exit 1
fi
for tool in psql python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: $tool is not installed" >&2
    exit 1
  fi
done
for binary in "$SERVER_BIN" "$CLI_BIN"; do
  if [[ ! -x "$binary" ]]; then
    echo "FAIL: $binary is not an executable" >&2
    exit 1
  fi
done

work=$(mktemp -d)
db=accueil_cli_test_$$
server_pid=""
sink_pid=""
db_created=0

# shellcheck disable=SC2317  # only called by the traps
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [[ -n "$sink_pid" ]]; then
    kill -TERM "$sink_pid" 2>/dev/null
    wait "$sink_pid" 2>/dev/null
  fi
  if ((db_created)); then
    psql "$ACCUEIL_PG_ADMIN_URL" -Xq -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null ||
      echo "warning: could not drop database $db" >&2
  fi
  rm -rf -- "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

steps=0
failures=0
pass() {
  steps=$((steps + 1))
  echo "PASS: $*"
}
fail() {
  steps=$((steps + 1))
  failures=$((failures + 1))
  echo "FAIL: $*"
}
# fatal: a step the rest depends on failed.
fatal() {
  fail "$*"
  echo "cli_test: cannot go on; server log:"
  sed 's/^/  /' "$work/server.log" 2>/dev/null | tail -n 30
  echo "cli_test: $steps steps, $failures failed"
  exit 1
}

# expect_exit CODE NAME COMMAND...: runs COMMAND (stdout in $work/out, stderr
# in $work/err) and checks its exit code.
expect_exit() {
  local expected=$1 name=$2 rc=0
  shift 2
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  if ((rc == expected)); then
    pass "$name (exit $rc)"
    return 0
  fi
  fail "$name: exit $rc, expected $expected"
  sed 's/^/  stdout: /' "$work/out"
  sed 's/^/  stderr: /' "$work/err"
  return 1
}

# expect_text NAME FILE REGEX: checks that FILE (out or err) matches REGEX.
expect_text() {
  local name=$1 file=$work/$2 regex=$3
  if grep -Eq -- "$regex" "$file"; then
    pass "$name"
    return 0
  fi
  fail "$name: no line of $2 matches /$regex/"
  sed "s/^/  $2: /" "$file"
  return 1
}

# json EXPRESSION: evaluates a Python expression over the JSON of $work/out
# (bound to `j`) and prints the result; fails if it does not parse.
json() {
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$work/out" "$1"
}

# field LABEL: the value of "LABEL:  value" in the table output $work/out.
field() {
  sed -n "s/^$1: *//p" "$work/out" | head -n 1
}

# Nothing from the caller's environment may choose the server or the
# credentials.
unset ACCUEIL_SERVER ACCUEIL_TOKEN ACCUEIL_TOKEN_FILE ACCUEIL_REASON ACCUEIL_ACCESS_CODE \
  ACCUEIL_DEV_ISSUER XDG_CONFIG_HOME
# Nor the tester's saved token (~/.config/accueil/token).
export HOME="$work/home"
mkdir -p "$HOME"

# cli: the public, without a token (the token file does not exist).
cli() {
  ACCUEIL_TOKEN_FILE="$work/no-token" "$CLI_BIN" --server "$ADDRESS" --timeout 10 "$@"
}
# admin_cli: the administrator signed in by `accueil login` below.
admin_cli() {
  ACCUEIL_TOKEN_FILE="$work/config/accueil/token" "$CLI_BIN" --server "$ADDRESS" --timeout 10 "$@"
}
# with_token TOKEN ...: a caller with that token (ACCUEIL_TOKEN).
with_token() {
  local token=$1
  shift
  ACCUEIL_TOKEN="$token" ACCUEIL_TOKEN_FILE="$work/no-token" \
    "$CLI_BIN" --server "$ADDRESS" --timeout 10 "$@"
}
# book_person GIVEN FAMILY PHONE SLOT: books as the public; sets appointment,
# reference, code and check_in from the output.
book_person() {
  expect_exit 0 "book for $1 $2" cli book --given-name "$1" --family-name "$2" \
    --phone "$3" --slot "$4" || fatal "book for $1 $2"
  appointment=$(field appointment)
  reference=$(field reference)
  code=$(field "access code")
  check_in=$(field "check-in token")
  [[ "$appointment" == appointments/* && -n "$code" && -n "$check_in" ]] ||
    fatal "book: no appointment, access code or check-in token in the output"
}

# Database, key, server.
psql "$ACCUEIL_PG_ADMIN_URL" -Xq -c "CREATE DATABASE $db" >/dev/null ||
  fatal "create database $db"
db_created=1
head -c 48 /dev/urandom >"$work/secret.key"
chmod 600 "$work/secret.key"

# A local SMTP server for notify's e-mails (scripts/smtp_sink.py), its port
# on the first line of its output.
mkdir -p "$work/mail"
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../../scripts/smtp_sink.py" "$work/mail" 0 serve \
  >"$work/smtp.port" 2>"$work/smtp.log" &
sink_pid=$!
for ((i = 0; i < 100; i++)); do
  [[ -s "$work/smtp.port" ]] && break
  sleep 0.1
done
smtp_port=$(head -n 1 "$work/smtp.port")
[[ "$smtp_port" =~ ^[0-9]+$ ]] || fatal "the SMTP sink did not start: $(cat "$work/smtp.log")"

# The public limits are tested elsewhere (tests/security); here every call
# comes from one address, many more than a person makes.
ACCUEIL_NOTIFY_SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  ACCUEIL_LISTEN=127.0.0.1:0 \
  ACCUEIL_GATEWAY_LISTEN=127.0.0.1:0 \
  ACCUEIL_DEV_ISSUER_LISTEN=127.0.0.1:0 \
  ACCUEIL_RATE_LIMIT_WRITE_PER_SECOND=20 \
  ACCUEIL_BOOKINGS_PER_CLIENT_PER_HOUR=100 \
  ACCUEIL_DATABASE_URL="$ACCUEIL_PG_ADMIN_URL dbname=$db" \
  ACCUEIL_SECRET_KEY_FILE="$work/secret.key" \
  ACCUEIL_LOG_LEVEL=info \
  "$SERVER_BIN" >"$work/server.log" 2>&1 &
server_pid=$!

# logged EVENT: the address of the log line of that event, or nothing yet.
logged() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("event") == sys.argv[2]:
        print(entry["address"])
        break
' "$work/server.log" "$1"
}

ADDRESS=""
ISSUER=""
for ((i = 0; i < 300; i++)); do
  ADDRESS=$(logged server.started)
  ISSUER=$(logged dev_issuer.started)
  [[ -n "$ADDRESS" && -n "$ISSUER" ]] && break
  kill -0 "$server_pid" 2>/dev/null || fatal "server start: it exited"
  sleep 0.1
done
[[ -n "$ADDRESS" ]] || fatal "server start: no server.started line within 30 s"
[[ -n "$ISSUER" ]] || fatal "server start: no dev_issuer.started line within 30 s"
[[ "$ISSUER" == http* ]] || ISSUER="http://$ISSUER"
pass "server started on $ADDRESS, development issuer on $ISSUER"

# Local days of the site: tomorrow and the day after (closed), a week of slots.
day1=$(TZ=Europe/Paris date -d "+1 day" +%F)
day2=$(TZ=Europe/Paris date -d "+2 days" +%F)
day7=$(TZ=Europe/Paris date -d "+7 days" +%F)

expect_exit 0 "--help" "$CLI_BIN" --help && expect_text "--help lists the exit codes" out "^Exit codes:"

# Administration needs an administrator's token.
expect_exit 6 "admin create-site without a token is refused" cli admin create-site --name "Préfecture de test" \
  --address "1 rue du Test, 00000 Test" --time-zone Europe/Paris &&
  expect_text "no token: reason AUTHENTICATION_REQUIRED" err "AUTHENTICATION_REQUIRED" &&
  expect_text "no token: says how to sign in" err "accueil login"

token_file=$work/config/accueil/token
expect_exit 0 "login --dev as administrator" env ACCUEIL_TOKEN_FILE="$token_file" \
  "$CLI_BIN" --server "$ADDRESS" login --dev --issuer "$ISSUER" --role admin --subject cli-test-admin ||
  fatal "login as administrator"
expect_text "login shows who you are" out "^subject: +cli-test-admin$" &&
  expect_text "login shows the role" out "^role: +admin on every site$"
if [[ -s "$token_file" && "$(stat -c %a "$token_file")" == 600 && "$(stat -c %a "${token_file%/*}")" == 700 ]]; then
  pass "login saved the token: file mode 600, directory mode 700"
else
  fail "login: no token file with mode 600 in a directory of mode 700"
  ls -la "${token_file%/*}" 2>&1 | sed 's/^/  /'
fi
if grep -qF -- "$(cat "$token_file")" "$work/out" "$work/err"; then
  fail "login printed the token"
else
  pass "login did not print the token"
fi
expect_exit 0 "whoami as administrator" admin_cli whoami &&
  expect_text "whoami names the administrator" out "^subject: +cli-test-admin$"
expect_exit 0 "whoami as the public" cli whoami &&
  expect_text "whoami: the public" out "^subject: +public$"

expect_exit 0 "admin create-site" admin_cli --json admin create-site --name "Préfecture de test" \
  --address "1 rue du Test, 00000 Test" --time-zone Europe/Paris --request-id cli-test-site ||
  fatal "admin create-site"
site=$(json 'j["name"]') || fatal "admin create-site: JSON output does not parse"
pass "admin create-site --json parses: $site"

expect_exit 0 "admin create-desk" admin_cli --json admin create-desk --site "$site" \
  --name "Titres de séjour - renouvellement" --kind renewal --slot-minutes 30 --capacity 1 \
  --instructions "fr=Venez 10 minutes avant" --instructions "en=Come 10 minutes early" \
  --documents "fr=Passeport" --documents "en=Passport" ||
  fatal "admin create-desk"
desk=$(json 'j["name"] if j["site"] == "'"$site"'" and len(j["instructions"]) == 2 else ""')
[[ "$desk" == desks/* ]] || fatal "admin create-desk --json: unexpected answer"
pass "admin create-desk --json parses: $desk"

ranges=()
for day in mon tue wed thu fri sat sun; do ranges+=(--range "$day 09:00-12:00"); done
expect_exit 0 "admin hours" admin_cli admin hours --desk "$desk" "${ranges[@]}" --closed "$day2:Fermeture" ||
  fatal "admin hours"
expect_text "admin hours shows the closure" out "^$day2 +Fermeture"

expect_exit 0 "admin release" admin_cli admin release --desk "$desk" --from "$day1" --to "$day7" ||
  fatal "admin release"
expect_text "admin release created slots" out "^slots created: +[1-9][0-9]*$"

# The reception site (see "Reception" below), with a desk for a late arrival
# whose slot is booked here, so that waiting for it to start overlaps the
# steps in between.
utc_hour=$((10#$(date -u +%H)))
offset=$((12 - utc_hour)) # hours east of UTC: -11 to +12, all in tzdata
if ((offset == 0)); then rzone=Etc/GMT; elif ((offset > 0)); then rzone=Etc/GMT-$offset; else rzone=Etc/GMT+$((-offset)); fi
rtoday=$(TZ=$rzone date +%F)
expect_exit 0 "admin create-site (reception, $rzone)" admin_cli admin create-site --name "Préfecture de l'accueil" \
  --address "2 rue du Test, 00000 Test" --time-zone "$rzone" || fatal "admin create-site (reception)"
rsite=$(field site)

# A desk's arrival grace period (--grace-minutes): set at creation, changed,
# refused out of range, read back.
expect_exit 0 "admin create-desk --grace-minutes 20" admin_cli admin create-desk --site "$rsite" \
  --name "Accueil des retards" --kind collection --slot-minutes 5 --grace-minutes 20 ||
  fatal "admin create-desk --grace-minutes"
ldesk=$(field desk)
[[ "$ldesk" == desks/* ]] || fatal "admin create-desk --grace-minutes: no desk in the output"
expect_text "create-desk --grace-minutes: the grace" out "^arrival grace: +20 min$"
expect_exit 0 "admin update-desk --grace-minutes 0" admin_cli admin update-desk "$ldesk" --grace-minutes 0 &&
  expect_text "update-desk --grace-minutes: the new grace" out "^arrival grace: +0 min$" &&
  expect_text "update-desk --grace-minutes: the slot length kept" out "^slot: +5 min$" &&
  expect_text "update-desk --grace-minutes: the name kept" out "^name: +Accueil des retards$"
expect_exit 3 "admin update-desk --grace-minutes 121 is refused" admin_cli admin update-desk "$ldesk" \
  --grace-minutes 121 &&
  expect_text "grace of 121 minutes: the field and reason" err "desk\.arrival_grace: .*INVALID_GRACE_PERIOD"
expect_exit 3 "admin create-desk --grace-minutes 121 is refused" admin_cli admin create-desk --site "$rsite" \
  --name "Trop tard" --kind collection --slot-minutes 5 --grace-minutes 121 &&
  expect_text "create with a grace of 121 minutes: the field and reason" err \
    "desk\.arrival_grace: .*INVALID_GRACE_PERIOD"
expect_exit 2 "admin update-desk --grace-minutes -5 (usage error)" admin_cli admin update-desk "$ldesk" \
  --grace-minutes -5 &&
  expect_text "negative grace: says what is wanted" err '^error: --grace-minutes: "-5" is not a whole number of 0 or more$'
expect_exit 2 "admin update-desk --grace-minutes 20m (usage error)" admin_cli admin update-desk "$ldesk" \
  --grace-minutes 20m &&
  expect_text "grace with a unit: says what is wanted" err '^error: --grace-minutes: "20m" is not a whole number of 0 or more$'
expect_exit 0 "desks --site" cli desks --site "$rsite" &&
  expect_text "desks: the grace of 0 minutes, kept through the refusals" out \
    "^$ldesk +$rsite +Accueil des retards +collection +5 min +1 +0 min$"
expect_exit 0 "desks --json --site" cli --json desks --site "$rsite" &&
  if [[ "$(json '[(d["name"], d["arrivalGrace"]) for d in j["desks"]]')" == "[('$ldesk', '0s')]" ]]; then
    pass "desks --json: the grace period"
  else
    fail "desks --json: not the desk with a grace of 0s"
    sed 's/^/  stdout: /' "$work/out"
  fi

# A late arrival, on the real clock: the desk's grace is now 0, its one
# 5-minute slot today starts at the next minute at least 8 s away (opening
# hours are whole minutes), the person books it before it starts, and the
# lodge checks them in once it has started, in the reception part below.
late_start=$((($(date +%s) + 8 + 59) / 60 * 60))
late_day=$(LC_ALL=C TZ=$rzone date -d "@$late_start" +%a | tr '[:upper:]' '[:lower:]')
late_range="$late_day $(TZ=$rzone date -d "@$late_start" +%H:%M)-$(TZ=$rzone date -d "@$((late_start + 300))" +%H:%M)"
expect_exit 0 "admin hours (late desk: $late_range)" admin_cli admin hours --desk "$ldesk" --range "$late_range" ||
  fatal "admin hours (late desk)"
expect_exit 0 "admin release today (late desk)" admin_cli admin release --desk "$ldesk" --from "$rtoday" --to "$rtoday" ||
  fatal "admin release (late desk)"
expect_exit 0 "slots today --json (late desk)" cli --json slots --desk "$ldesk" --from "$rtoday" --to "$rtoday" ||
  fatal "slots today (late desk)"
lslot=$(json '[s["name"] for s in j["slots"]][0] if len(j["slots"]) == 1 else ""')
[[ "$lslot" == slots/* ]] || fatal "slots today (late desk): not one slot"
book_person Karim Saidi "06 98 76 54 42" "$lslot"
late_reference=$reference

# Reading slots.
expect_exit 0 "slots" cli slots --desk "$desk" && expect_text "slots lists slots" out "^slots/[0-9]+ +$day1 +09:00-09:30 +1/1"
expect_exit 0 "slots --limit 3" cli slots --desk "$desk" --limit 3 &&
  if (($(grep -c '^slots/' "$work/out") == 3)); then pass "slots --limit 3: three slots"; else fail "slots --limit 3: not three slots"; fi
expect_exit 0 "slots on a closed day" cli slots --desk "$desk" --from "$day2" --to "$day2" &&
  expect_text "slots on a closed day: none" out "^No slots\.$"
expect_exit 0 "slots --json" cli --json slots --desk "$desk" || fatal "slots --json"
if ! slot1=$(json 'j["slots"][0]["name"]') || ! slot2=$(json 'j["slots"][1]["name"]'); then
  fatal "slots --json: output does not parse or has fewer than 2 slots"
fi
pass "slots --json parses: $slot1, $slot2"
mapfile -t more_slots < <(json '"\n".join(s["name"] for s in j["slots"][2:5])')
((${#more_slots[@]} == 3)) || fatal "slots --json: fewer than 5 slots"

# Booking, as the public.
person=(--given-name Awa --family-name Diallo --phone "06 12 34 56 78" --email awa@example.org)
expect_exit 0 "book" cli book --slot "$slot1" "${person[@]}" || fatal "book"
reference=$(field reference)
code=$(field "access code")
if [[ "$reference" =~ ^[A-Z0-9]{8}$ && -n "$code" ]]; then
  pass "book prints the reference ($reference) and the access code"
else
  fatal "book: no reference or access code in the output"
fi

expect_exit 0 "show --json" cli --json show --reference "$reference" --code "$code" &&
  if [[ "$(json '(j["reference"], j["status"], j["slot"])')" == "('$reference', 'BOOKED', '$slot1')" ]]; then
    pass "show --json parses: booked in $slot1"
  else
    fail "show --json: unexpected answer"
    sed 's/^/  stdout: /' "$work/out"
  fi

expect_exit 0 "show" cli show --reference "$reference" --code "$code" &&
  expect_text "show names the person" out "^name: +Awa Diallo$" &&
  expect_text "show gives the status" out "^status: +booked$"

expect_exit 5 "book a second appointment at the same desk" cli book --slot "$slot2" "${person[@]}" &&
  expect_text "second booking: reason ACTIVE_APPOINTMENT_EXISTS" err "ACTIVE_APPOINTMENT_EXISTS" &&
  expect_text "second booking: headline" err "^error: the request cannot be done now$"

expect_exit 0 "move" cli move --reference "$reference" --code "$code" --slot "$slot2" &&
  expect_exit 0 "show after move" cli --json show --reference "$reference" --code "$code" &&
  if [[ "$(json 'j["slot"]')" == "$slot2" ]]; then
    pass "move: the appointment is now in $slot2"
  else
    fail "move: the appointment is not in $slot2"
  fi

# A well-formed code that is not this appointment's.
last=${code: -1}
wrong_code="${code%?}$([[ "$last" == 2 ]] && echo 3 || echo 2)"
expect_exit 6 "show with a wrong access code" cli show --reference "$reference" --code "$wrong_code" &&
  expect_text "wrong code: reason WRONG_ACCESS_CODE" err "WRONG_ACCESS_CODE" &&
  expect_text "wrong code: headline" err "^error: not allowed$"

expect_exit 3 "book with a landline phone" cli book --slot "$slot1" --given-name Jean \
  --family-name Martin --phone "01 23 45 67 89" &&
  expect_text "landline: the field is named" err "person\.phone: .*PHONE_NOT_MOBILE" &&
  expect_text "landline: headline" err "^error: invalid request$"

expect_exit 0 "cancel" cli cancel --reference "$reference" --code "$code" --reason "Je ne peux pas venir" &&
  expect_text "cancel: status cancelled" out "^status: +cancelled$"
expect_exit 5 "cancel again" cli cancel --reference "$reference" --code "$code"

# Agents. Tokens from the development issuer, kept in variables (--print),
# so that the administrator's token file stays as it is.
expect_exit 0 "login --dev --print as lodge agent" "$CLI_BIN" login --dev --issuer "$ISSUER" \
  --role lodge --site "$site" --subject cli-test-lodge --print || fatal "login as lodge agent"
lodge=$(<"$work/out")
expect_exit 0 "login --dev --print as counter agent" "$CLI_BIN" login --dev --issuer "$ISSUER" \
  --role counter --site "$site" --subject cli-test-counter --print || fatal "login as counter agent"
counter=$(<"$work/out")
expect_exit 0 "whoami as lodge agent" with_token "$lodge" whoami &&
  expect_text "whoami: lodge on the site" out "^role: +lodge on $site$"

# Arrivals, service and check-in go through the reception module (its
# `accueil lodge` and `accueil counter` commands): the agent commands that
# called booking directly are gone. A no-show is still an agent's call.
book_person Jean Martin "06 98 76 54 31" "${more_slots[0]}"
for gone in arrived start complete checkin; do
  expect_exit 2 "$gone is no longer a command" with_token "$lodge" "$gone" "$appointment"
done
expect_exit 6 "noshow as the public is refused" cli noshow "$appointment"
expect_exit 5 "noshow as lodge agent before the start" with_token "$lodge" noshow "$appointment" &&
  expect_text "noshow before the start: APPOINTMENT_NOT_STARTED" err "APPOINTMENT_NOT_STARTED"

# An agent acting on the person's behalf: no access code, a reason.
book_person Omar Haddad "06 98 76 54 33" "${more_slots[2]}"
expect_exit 2 "show without --code as the public (usage error)" cli show --reference "$reference"
expect_exit 3 "show without --code nor --reason as lodge agent" with_token "$lodge" show --reference "$reference" &&
  expect_text "no reason: AGENT_REASON_REQUIRED" err "AGENT_REASON_REQUIRED"
expect_exit 0 "show without --code, with --reason, as lodge agent" with_token "$lodge" show \
  --reference "$reference" --reason "Personne au guichet, pièce d'identité vérifiée" &&
  expect_text "agent show names the person" out "^name: +Omar Haddad$"
expect_exit 0 "reset-code as lodge agent" with_token "$lodge" --reason "Code perdu" reset-code "$appointment" ||
  fatal "reset-code"
new_code=$(field "access code")
if [[ -n "$new_code" && "$new_code" != "$code" ]]; then
  pass "reset-code prints a new access code"
else
  fail "reset-code: no new access code in the output"
fi
expect_exit 6 "show with the old code after reset-code" cli show --reference "$reference" --code "$code" &&
  expect_text "old code: WRONG_ACCESS_CODE" err "WRONG_ACCESS_CODE"

expect_exit 0 "show with the new code" cli show --reference "$reference" --code "$new_code"
expect_exit 0 "cancel without --code, with --reason, as lodge agent" with_token "$lodge" cancel \
  --reference "$reference" --reason "Appel de la personne" &&
  expect_text "agent cancel: status cancelled" out "^status: +cancelled$"

# The audit log has the agents' actions, newest first, with their reasons. The
# records reach it through the audit outbox (docs/security.md#audit): wait for
# the access module to have moved them all.
for _ in $(seq 300); do
  [[ "$(psql "$ACCUEIL_PG_ADMIN_URL dbname=$db" -XAtq -c "SELECT count(*) FROM events.audit_outbox")" == 0 ]] && break
  sleep 0.1
done
expect_exit 0 "admin audit --subject (lodge agent)" admin_cli admin audit --subject cli-test-lodge &&
  expect_text "audit: the refused no-show" out \
    " cli-test-lodge +LODGE_AGENT@$site +MarkNoShow +appointments/[0-9]+ +- +FAILED_PRECONDITION$" &&
  expect_text "audit: the reason of the agent's show" out \
    "GetAppointment +$appointment +Personne au guichet, pièce d'identité vérifiée +OK$" &&
  expect_text "audit: the refused show (no reason)" out "GetAppointment .* INVALID_ARGUMENT$" &&
  expect_text "audit: the reset" out "ResetAccessCode +$appointment +Code perdu +OK$"
expect_exit 0 "admin audit --json --resource" admin_cli --json admin audit --resource "$appointment" &&
  if [[ "$(json '[e["method"].split(".")[-1] for e in j["auditEvents"]]')" == \
    "['CancelAppointment', 'ResetAccessCode', 'GetAppointment']" ]]; then
    pass "audit --json --resource: the agent's actions, newest first"
  else
    fail "audit --json --resource: unexpected events"
    sed 's/^/  stdout: /' "$work/out"
  fi
expect_exit 0 "admin audit --limit 1" admin_cli admin audit --limit 1 &&
  if (($(wc -l <"$work/out") == 2)); then pass "audit --limit 1: one event"; else fail "audit --limit 1: not one event"; fi
expect_exit 6 "admin audit as lodge agent is refused" with_token "$lodge" admin audit

# What notify sent about Omar's appointment: he gave no e-mail, so the e-mail confirmation
# is dropped for want of a contact (the server has an SMTP server, no SMS).
expect_exit 6 "notify list as the public is refused" cli notify list "$appointment"
for ((i = 0; i < 100; i++)); do
  with_token "$lodge" --reason "La personne demande si elle a été prévenue" notify list \
    "$appointment" >"$work/out" 2>"$work/err" && grep -q "NO_CONTACT" "$work/out" && break
  sleep 0.1
done
expect_exit 0 "notify list as lodge agent" with_token "$lodge" --reason "Rappel non reçu" \
  notify list "$appointment" &&
  expect_text "notify list: the confirmation, dropped without an e-mail address" out \
    "confirmation +email +dropped +NO_CONTACT"
# A notice needs a contact notify can use (Omar gave no e-mail; no SMS here).
expect_exit 5 "notify send-notice without a contact" with_token "$lodge" \
  --reason "Titre prêt, la personne est prévenue" notify send-notice "$appointment" \
  --notice permit-ready &&
  expect_text "send-notice: NO_CONTACT named" err "NO_CONTACT"
expect_exit 2 "notify send-notice with an unknown notice" with_token "$lodge" --reason x \
  notify send-notice "$appointment" --notice birthday
# Lost access: anyone, the same answer whether or not something matches.
expect_exit 0 "notify resend-access as the public" cli notify resend-access \
  --email personne.inconnue@example.org &&
  expect_text "resend-access: the same answer for everyone" out "If an appointment"
expect_exit 2 "notify resend-access needs exactly one key" cli notify resend-access \
  --email a@example.org --phone 0612345678
expect_exit 3 "notify resend-access with a bad address" cli notify resend-access \
  --email "pas une adresse" && expect_text "resend-access: the field named" err "email"
# A survey link that is not one is refused, with its field.
expect_exit 6 "notify survey with a wrong token" cli notify survey \
  "1-00000000000000000000000000000000" --overall 4 &&
  expect_text "survey: WRONG_TOKEN" err "WRONG_TOKEN"

# Following the audit log: the last event, then each new one as it is
# written, until the process is stopped.
admin_cli admin audit --follow --limit 1 >"$work/follow" 2>"$work/follow.err" &
follow_pid=$!
followed=0
# The follower prints its header once its last event is listed; the grant is
# made after, so that the stream, not the listing, brings it.
for _ in $(seq 100); do
  if (($(wc -l <"$work/follow") >= 2)); then break; fi
  sleep 0.2
done
admin_cli admin grant --subject cli-test-follow --role lodge --site "$site" >/dev/null
for _ in $(seq 100); do
  if grep -Eq "cli-test-admin +[^ ]*ADMINISTRATOR[^ ]* +GrantRole +roleBindings/[0-9]+ +- +OK$" "$work/follow"; then
    followed=1
    break
  fi
  sleep 0.2
done
kill -TERM "$follow_pid" 2>/dev/null
wait "$follow_pid" 2>/dev/null
if ((followed)) && [[ "$(head -1 "$work/follow")" == TIME* ]]; then
  pass "audit --follow: prints the grant as it is written"
else
  fail "audit --follow: the grant did not appear"
  sed 's/^/  follow: /' "$work/follow" "$work/follow.err"
fi
expect_exit 6 "admin audit --follow as lodge agent is refused" with_token "$lodge" admin audit --follow --limit 0 &&
  expect_text "audit --follow refused: ROLE_REQUIRED" err "ROLE_REQUIRED"
expect_exit 2 "admin audit --follow --subject is a usage error" admin_cli admin audit --follow --subject x

# Roles.
expect_exit 0 "admin grant" admin_cli admin grant --subject cli-test-alice --role counter --site "$site" ||
  fatal "admin grant"
binding=$(field binding)
expect_text "grant: the role" out "^role: +counter$" &&
  expect_text "grant: granted by the administrator" out "^granted by: +cli-test-admin$"
expect_exit 0 "admin roles --subject" admin_cli admin roles --subject cli-test-alice &&
  expect_text "roles lists the binding" out "^$binding +cli-test-alice +counter +$site +cli-test-admin "
expect_exit 0 "admin revoke" admin_cli admin revoke "$binding" &&
  expect_text "revoke: revoked" out "^revoked: "
expect_exit 0 "admin roles --subject after revoke" admin_cli admin roles --subject cli-test-alice &&
  expect_text "roles: no active binding" out "^No role bindings\.$"
expect_exit 0 "admin roles --all" admin_cli admin roles --subject cli-test-alice --all &&
  expect_text "roles --all shows the revoked binding" out "^$binding +cli-test-alice .* [0-9]{2}:[0-9]{2}$"

# Person rights: Awa Diallo (cancelled above) asks for her data, then its
# erasure; administrators only, with a reason.
expect_exit 3 "person export without --reason" admin_cli admin person export --site "$site" \
  --query "06 12 34 56 78" &&
  expect_text "person export: AGENT_REASON_REQUIRED" err "AGENT_REASON_REQUIRED"
expect_exit 0 "person export" admin_cli admin person export --site "$site" \
  --query "06 12 34 56 78" --reason "Demande RGPD" &&
  expect_text "person export names the person" out "^name: +Awa Diallo$" &&
  expect_text "person export shows the e-mail" out "^email: +awa@example.org$"
expect_exit 6 "person erase as lodge agent is refused" with_token "$lodge" admin person erase \
  --site "$site" --query awa@example.org --reason "Demande RGPD"
expect_exit 0 "person erase" admin_cli admin person erase --site "$site" \
  --query awa@example.org --reason "Demande RGPD" &&
  expect_text "person erase counts" out "^erased appointments: +[1-9]$"
expect_exit 0 "person export after erase" admin_cli admin person export --site "$site" \
  --query "+33612345678" --reason "Demande RGPD" &&
  if grep -q "Awa" "$work/out"; then fail "person export after erase still names Awa"; else
    pass "person export after erase names nobody"; fi
expect_exit 0 "person erase again" admin_cli admin person erase --site "$site" \
  --query awa@example.org --reason "Demande RGPD" &&
  expect_text "person erase again: nothing left" out "^erased appointments: +0$"

# Devices.
expect_exit 0 "admin device-create" admin_cli admin device-create --site "$site" --name "Borne loge entrée A" ||
  fatal "admin device-create"
device=$(field device)
device_token=$(field token)
expect_text "device-create warns to store the token" out "shown only this once"
[[ "$device" == devices/* && "$device_token" == dt1.* ]] || fatal "device-create: no device or token"
expect_exit 0 "whoami with the device token" with_token "$device_token" whoami &&
  expect_text "whoami: the device" out "^subject: +$device$" &&
  expect_text "whoami: device on the site" out "^role: +device on $site$"
expect_exit 0 "admin devices" admin_cli admin devices --site "$site" &&
  expect_text "devices lists the device" out "^$device +Borne loge entrée A +"
expect_exit 0 "admin device-revoke" admin_cli admin device-revoke "$device"
expect_exit 6 "whoami with a revoked device token" with_token "$device_token" whoami

# Reception (docs/reception.md): the lodge checks people in, a counter calls
# and serves them, the queue shows it. Booking takes arrivals only on the
# appointment's local day, from 2 hours before its slot, on the server's real
# clock: so this part runs at a site whose zone puts "now" near midday (a
# fixed-offset Etc/GMT zone), with a desk open all day, and books the first
# slot still to come, at most 30 minutes away. The site and its desk with
# no grace period (and a person booked there, late by now) are made above.
expect_exit 0 "admin create-desk (reception)" admin_cli admin create-desk --site "$rsite" \
  --name "Remise de titres" --kind collection --slot-minutes 30 --capacity 5 || fatal "admin create-desk (reception)"
rdesk=$(field desk)
expect_text "create-desk: the default arrival grace" out "^arrival grace: +15 min$"
expect_exit 0 "desks --site (reception)" cli desks --site "$rsite" &&
  expect_text "desks: the default grace" out "^$rdesk +$rsite +Remise de titres +collection +30 min +5 +15 min$" &&
  expect_text "desks: the grace of the late desk" out "^$ldesk +$rsite +Accueil des retards +collection +5 min +1 +0 min$"
all_day=()
for day in mon tue wed thu fri sat sun; do all_day+=(--range "$day 00:00-24:00"); done
expect_exit 0 "admin hours (all day)" admin_cli admin hours --desk "$rdesk" "${all_day[@]}" || fatal "admin hours (reception)"
expect_exit 0 "admin release today" admin_cli admin release --desk "$rdesk" --from "$rtoday" --to "$rtoday" ||
  fatal "admin release (reception)"
expect_exit 0 "slots today --json" cli --json slots --desk "$rdesk" --from "$rtoday" --to "$rtoday" || fatal "slots today"
mapfile -t rslots < <(json '"\n".join(s["name"] for s in j["slots"] if __import__("datetime").datetime.fromisoformat(s["startTime"].replace("Z", "+00:00")).timestamp() > __import__("time").time() + 60)')
((${#rslots[@]} >= 2)) || fatal "slots today: fewer than two slots still to come (local day $rtoday in $rzone)"

# dev_token ROLE SUBJECT: a token of the development issuer for an agent of
# the reception site, in $work/out.
dev_token() {
  expect_exit 0 "login --dev --print as $1 agent $2" "$CLI_BIN" login --dev --issuer "$ISSUER" \
    --role "$1" --site "$rsite" --subject "$2" --print || fatal "login as $1 agent $2"
}
dev_token lodge cli-test-loge
rlodge=$(<"$work/out")
dev_token counter cli-test-guichet
rcounter=$(<"$work/out")

# Administration: a counter, and the desk's ticket prefix.
expect_exit 6 "admin counter create as counter agent is refused" with_token "$rcounter" admin counter create \
  "$rsite" "Guichet 3" --desk "$rdesk"
expect_exit 0 "admin counter create" admin_cli admin counter create "$rsite" "Guichet 3" --desk "$rdesk" ||
  fatal "admin counter create"
rcounter_name=$(field counter)
[[ "$rcounter_name" == counters/* ]] || fatal "admin counter create: no counter in the output"
expect_text "counter create: closed until opened" out "^open: +no$"
expect_exit 5 "admin counter create with the same name" admin_cli admin counter create "$rsite" "Guichet 3" --desk "$rdesk" &&
  expect_text "same name: COUNTER_EXISTS" err "COUNTER_EXISTS"
expect_exit 0 "admin counter list (bare site id)" admin_cli admin counter list "${rsite#sites/}" &&
  expect_text "counter list: the counter, closed" out "^$rcounter_name +Guichet 3 +$rdesk +closed +-$"
expect_exit 0 "admin reception-settings" admin_cli admin reception-settings "$rsite" &&
  expect_text "reception-settings: the defaults" out "^$rdesk +[A-Z]{1,2} +2 +on +18:00$"
expect_exit 0 "admin reception-settings set --prefix" admin_cli admin reception-settings set "$rdesk" \
  --site "$rsite" --prefix R &&
  expect_text "settings set: the new prefix" out "^ticket prefix: +R$" &&
  expect_text "settings set: the other settings kept" out "^recalls: +2$"
expect_exit 3 "admin reception-settings set --prefix (invalid)" admin_cli admin reception-settings set "$rdesk" \
  --site "$rsite" --prefix r1 &&
  expect_text "invalid prefix: the field and reason" err "settings\.ticket_prefix: .*INVALID_TICKET_PREFIX"

# The lodge: today's list, a check-in.
expect_exit 0 "book for Lina Benali (today)" cli book --slot "${rslots[0]}" --given-name Lina --family-name Benali \
  --phone "06 98 76 54 40" --accessibility wheelchair --companions 1 || fatal "book for Lina Benali"
rreference=$(field reference)
expect_exit 0 "book for Paul Durand (today)" cli book --slot "${rslots[0]}" --given-name Paul --family-name Durand \
  --phone "06 98 76 54 41" || fatal "book for Paul Durand"
rreference2=$(field reference)
expect_exit 6 "lodge today as the public is refused" cli lodge today "$rsite"
expect_exit 0 "lodge today" with_token "$rlodge" lodge today "$rsite" &&
  expect_text "lodge today: Lina Benali, wheelchair, one companion, booked, no no-show" out \
    "^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2} +$rreference +Lina Benali +$rdesk +wheelchair +1 +booked +0$" &&
  expect_text "lodge today: Paul Durand" out " $rreference2 +Paul Durand +$rdesk +- +0 +booked +0$"
expect_exit 0 "lodge today --query (accents and case forgiven)" with_token "$rlodge" lodge today "$rsite" --query "bénali" &&
  if grep -q "Durand" "$work/out"; then fail "lodge today --query: lists Paul Durand"; else
    expect_text "lodge today --query: Lina Benali only" out " $rreference +Lina Benali "; fi
expect_exit 2 "lodge checkin with neither reference nor token" with_token "$rlodge" lodge checkin "$rsite"
expect_exit 2 "lodge checkin --late without --reason" with_token "$rlodge" lodge checkin "$rsite" "$rreference" --late
expect_exit 4 "lodge checkin with an unknown reference" with_token "$rlodge" lodge checkin "$rsite" ZZZZZZZZ
expect_exit 0 "lodge checkin" with_token "$rlodge" lodge checkin "$rsite" "$rreference" || fatal "lodge checkin"
rticket=$(field ticket)
if [[ "$rticket" =~ ^R-[0-9]+$ ]]; then pass "checkin prints the ticket: $rticket"; else fail "checkin: no R- ticket in the output"; fi
expect_text "checkin: the desk" out "^desk: +$rdesk$" &&
  expect_text "checkin: first in the queue" out "^position: +next in line$" &&
  expect_text "checkin: priority (wheelchair)" out "^priority: +yes"
expect_exit 0 "lodge checkin again" with_token "$rlodge" lodge checkin "$rsite" "$rreference" &&
  expect_text "checkin again: the same ticket" out "^ticket: +$rticket$"
expect_exit 0 "lodge checkin (second person)" with_token "$rlodge" lodge checkin "$rsite" "$rreference2" ||
  fatal "lodge checkin (second person)"
rticket2=$(field ticket)
expect_text "second checkin: one person ahead" out "^position: +1 person ahead$"
expect_exit 0 "lodge today after check-in" with_token "$rlodge" lodge today "$rsite" &&
  expect_text "lodge today: Lina Benali arrived" out " $rreference +Lina Benali .* arrived +0$"
expect_exit 0 "lodge walkin" with_token "$rlodge" lodge walkin "$rsite" --outcome informed \
  --reason "Question sur un renouvellement" &&
  expect_text "walkin: the outcome" out "^outcome: +informed$"
expect_exit 3 "lodge walkin served without a desk" with_token "$rlodge" lodge walkin "$rsite" --outcome served &&
  expect_text "walkin served without desk: DESK_REQUIRED" err "DESK_REQUIRED"

expect_exit 0 "queue" with_token "$rlodge" queue "$rsite" &&
  expect_text "queue: two waiting at the desk, no counter open" out "^$rdesk +2 +-$" &&
  expect_text "queue: the wheelchair user first" out "^$rticket +$rdesk +waiting +- "

# The counter, with the queue watched live.
with_token "$rlodge" queue --watch "$rsite" >"$work/watch" 2>"$work/watch.err" &
watch_pid=$!
for _ in $(seq 100); do
  grep -q "^$rticket2 " "$work/watch" && break
  sleep 0.1
done
expect_exit 5 "counter next before opening" with_token "$rcounter" counter next "$rcounter_name" &&
  expect_text "next before opening: COUNTER_NOT_OPEN" err "COUNTER_NOT_OPEN"
expect_exit 6 "counter open as lodge agent is refused" with_token "$rlodge" counter open "$rcounter_name"
expect_exit 0 "counter open" with_token "$rcounter" counter open "$rcounter_name" &&
  expect_text "counter open: open" out "^open: +since " &&
  expect_text "counter open: serves the desk" out "^serving today: +$rdesk$"
expect_exit 0 "counter next" with_token "$rcounter" counter next "${rcounter_name#counters/}" || fatal "counter next"
rvisit=$(field visit)
expect_text "counter next: the call as the display shows it" out "^$rticket -> Guichet 3$" &&
  expect_text "counter next: called" out "^status: +called$"
expect_exit 5 "counter next while calling" with_token "$rcounter" counter next "$rcounter_name" &&
  expect_text "next while calling: COUNTER_BUSY" err "COUNTER_BUSY"
expect_exit 0 "counter recall" with_token "$rcounter" counter recall "$rvisit" &&
  expect_text "counter recall: called again" out "^$rticket -> Guichet 3$" &&
  expect_text "counter recall: second call" out "^calls: +2$"
expect_exit 0 "counter start" with_token "$rcounter" counter start "$rvisit" &&
  expect_text "counter start: in service" out "^status: +in-service$"
expect_exit 3 "counter finish --new-slot when served" with_token "$rcounter" counter finish "$rvisit" \
  --outcome served --new-slot "${rslots[1]}" &&
  expect_text "new slot when served: NEW_SLOT_NOT_ALLOWED" err "NEW_SLOT_NOT_ALLOWED"
expect_exit 0 "counter finish --outcome served" with_token "$rcounter" counter finish "$rvisit" --outcome served &&
  expect_text "counter finish: done" out "^status: +done$" &&
  expect_text "counter finish: served" out "^outcome: +served$"
expect_exit 5 "counter start a finished visit" with_token "$rcounter" counter start "$rvisit" &&
  expect_text "start a finished visit: ILLEGAL_VISIT_TRANSITION" err "ILLEGAL_VISIT_TRANSITION"

# The second person: the file is incomplete, a new appointment is booked.
expect_exit 0 "counter next (second person)" with_token "$rcounter" counter next "$rcounter_name" &&
  expect_text "counter next: the second ticket" out "^$rticket2 -> Guichet 3$"
rvisit2=$(field visit)
expect_exit 0 "counter start (second person)" with_token "$rcounter" counter start "$rvisit2"
expect_exit 0 "counter finish --outcome incomplete --new-slot" with_token "$rcounter" counter finish "$rvisit2" \
  --outcome incomplete --new-slot "${rslots[1]#slots/}" &&
  expect_text "finish incomplete: the outcome" out "^outcome: +incomplete$" &&
  expect_text "finish incomplete: the new reference" out "^reference: +[A-Z0-9]{8}$" &&
  expect_text "finish incomplete: the new access code" out "^access code: +[^ ]+$"

# A person without an appointment served today, who then leaves.
expect_exit 0 "lodge walkin --outcome served" with_token "$rlodge" lodge walkin "${rsite#sites/}" --outcome served \
  --desk "${rdesk#desks/}" --reason "Retrait sans rendez-vous" &&
  expect_text "walkin served: a ticket" out "^ticket: +R-[0-9]+$" &&
  expect_text "walkin served: next in line" out "^position: +next in line$"
rwalkin_visit=$(field visit)
expect_exit 0 "counter left (lodge agent)" with_token "$rlodge" counter left "$rwalkin_visit" &&
  expect_text "counter left: the visit ends" out "^status: +left$"

# A check-in by the QR code's token (a kiosk's or a lodge agent's way).
book_person Nadia Kaci "06 98 76 54 43" "${rslots[0]}"
token_reference=$reference
expect_exit 2 "lodge checkin with both a reference and a token" with_token "$rlodge" lodge checkin "$rsite" \
  "$token_reference" --check-in-token "$check_in"
expect_exit 0 "lodge checkin --check-in-token" with_token "$rlodge" lodge checkin "$rsite" --check-in-token "$check_in" ||
  fatal "lodge checkin --check-in-token"
token_ticket=$(field ticket)
token_visit=$(field visit)
expect_text "checkin by token: a ticket of the desk" out "^ticket: +R-[0-9]+$" &&
  expect_text "checkin by token: the desk" out "^desk: +$rdesk$" &&
  expect_text "checkin by token: waiting" out "^status: +waiting$"
expect_exit 0 "lodge today --query (the person checked in by token)" with_token "$rlodge" lodge today "$rsite" \
  --query "$token_reference" &&
  expect_text "checkin by token: Nadia Kaci arrived" out " $token_reference +Nadia Kaci +$rdesk .* arrived +0$"

# The late arrival booked above, now that the slot has started (grace 0).
while (($(date +%s) <= late_start)); do sleep 0.5; done
expect_exit 5 "lodge checkin after the grace period, without --late" with_token "$rlodge" lodge checkin "$rsite" \
  "$late_reference" &&
  expect_text "late without --late: ARRIVAL_LATE" err "ARRIVAL_LATE"
expect_exit 0 "lodge checkin --late --reason" with_token "$rlodge" lodge checkin "$rsite" "$late_reference" \
  --late --reason "Bus en retard" || fatal "lodge checkin --late"
late_visit=$(field visit)
expect_text "late checkin: the late desk" out "^desk: +$ldesk$" &&
  expect_text "late checkin: admitted late" out "^late: +yes, admitted by an agent$" &&
  expect_text "late checkin: a ticket" out "^ticket: +[A-Z]{1,2}-[0-9]+$"

# Transfer to the counter's desk: the late person keeps their place (due
# at their slot's start, before Nadia Kaci's) under a ticket of that desk.
expect_exit 3 "counter transfer to the visit's own desk" with_token "$rcounter" counter transfer "$late_visit" "$ldesk" &&
  expect_text "transfer to the same desk: SAME_DESK" err "SAME_DESK"
expect_exit 0 "counter transfer" with_token "$rcounter" counter transfer "${late_visit#visits/}" "${rdesk#desks/}" ||
  fatal "counter transfer"
transferred_ticket=$(field ticket)
transferred_visit=$(field visit)
# The late desk's prefix is not R: ticket prefixes are unique in a site.
expect_text "transfer: a ticket of the new desk" out "^ticket: +R-[0-9]+$" &&
  expect_text "transfer: now at the counter's desk" out "^desk: +$rdesk$" &&
  expect_text "transfer: waiting" out "^status: +waiting$" &&
  expect_text "transfer: first in line" out "^position: +next in line$" &&
  expect_text "transfer: still late" out "^late: +yes"

expect_exit 0 "queue --json" with_token "$rlodge" --json queue "${rsite#sites/}" || fatal "queue --json"
queue_visits="[('$transferred_ticket', '$rdesk', 'WAITING', True), ('$token_ticket', '$rdesk', 'WAITING', False)]"
if [[ "$(json '[(v["ticket"], v["desk"], v["status"], v["late"]) for v in j["visits"]]')" == "$queue_visits" ]]; then
  pass "queue --json: the late person first, then the one checked in by token, both waiting at $rdesk"
else
  fail "queue --json: the visits are not $queue_visits"
  sed 's/^/  stdout: /' "$work/out"
fi
queue_day=$(json '(j["site"], "%04d-%02d-%02d" % (j["localDate"]["year"], j["localDate"]["month"], j["localDate"]["day"]))')
queue_desks=$(json '{d["desk"]: (d["waiting"], "estimatedWait" in d) for d in j["desks"]} == {"'"$rdesk"'": (2, True), "'"$ldesk"'": (0, False)}')
if [[ "$queue_day" == "('$rsite', '$rtoday')" && "$queue_desks" == True ]]; then
  pass "queue --json: the site's day, two waiting at $rdesk (with an estimate: a counter is open), none at $ldesk"
else
  fail "queue --json: not $rsite on $rtoday, two waiting at $rdesk with an estimate, none at $ldesk"
  sed 's/^/  stdout: /' "$work/out"
fi

expect_exit 0 "counter next (the late person, due first)" with_token "$rcounter" counter next "$rcounter_name" &&
  expect_text "counter next: the transferred ticket" out "^$transferred_ticket -> Guichet 3$" &&
  expect_text "counter next: the transferred visit" out "^visit: +$transferred_visit$"
expect_exit 0 "counter left (the late person)" with_token "$rcounter" counter left "$transferred_visit" &&
  expect_text "counter left (late person): the visit ends" out "^status: +left$"
expect_exit 0 "counter left (the person checked in by token)" with_token "$rlodge" counter left "$token_visit" &&
  expect_text "counter left (token): the visit ends" out "^status: +left$"
expect_exit 4 "counter next on an empty queue" with_token "$rcounter" counter next "$rcounter_name" &&
  expect_text "empty queue: QUEUE_EMPTY" err "QUEUE_EMPTY"
expect_exit 0 "queue after service" with_token "$rcounter" queue "$rsite" &&
  expect_text "queue: nobody waiting" out "^Nobody waiting\.$" &&
  expect_text "queue: no one at the desk" out "^$rdesk +0 +"
expect_exit 0 "counter close" with_token "$rcounter" counter close "$rcounter_name" &&
  expect_text "counter close: closed" out "^open: +no$"

for _ in $(seq 100); do
  grep -q "counter.closed" "$work/watch" && break
  sleep 0.1
done
kill -TERM "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null
if ! grep -Eq "^$rticket +$rdesk +waiting" "$work/watch" || ! grep -Eq "^$rticket2 +$rdesk +waiting" "$work/watch"; then
  fail "queue --watch: the first state does not list the two tickets"
  sed 's/^/  watch: /' "$work/watch" "$work/watch.err"
elif grep -q "^$rticket -> Guichet 3$" "$work/watch" && grep -q "^$rticket -> Guichet 3 (call 2)$" "$work/watch" &&
  grep -q "^$rticket2 -> Guichet 3$" "$work/watch" && grep -q "^visit.finished $rticket2 $rdesk done" "$work/watch"; then
  pass "queue --watch: the state, then the calls as the display shows them, and the other changes"
else
  fail "queue --watch: the calls did not appear"
  sed 's/^/  watch: /' "$work/watch" "$work/watch.err"
fi

# Indicators (docs/indicators.md): the reception day above as the quality
# officer reads it, objectives, a manual value, a publication and its
# restatement, the public report. The consumer metrics.rollup follows the
# event log: wait for it to have counted the day's people (four checked in
# with an appointment, two walk-ins).
dev_token quality cli-test-qualite
rquality=$(<"$work/out")
month=${rtoday:0:7}
prev_month=$(date -d "$month-01 -1 month" +%Y-%m)
old_month=$(date -d "$month-01 -2 month" +%Y-%m)
next_month=$(date -d "$month-01 +1 month" +%Y-%m)
# values ID...: the month's value of each indicator in the --json report in
# $work/out, as Python shows them.
values() {
  local ids
  ids=$(printf '"%s",' "$@")
  json '[next((c.get("value") for c in r["months"] if c["month"] == "'"$month"'"), None) for i in ['"$ids"'] for r in j["rows"] if r["indicator"]["id"] == i]'
}
day_values=""
for _ in $(seq 100); do
  if with_token "$rquality" --json report --site "$rsite" --from "$month" --to "$month" >"$work/out" 2>"$work/err"; then
    day_values=$(values received_total received_with_appointment received_without_appointment noshow_rate not_served_rate)
    [[ "$day_values" == "[6, 4, 2, 0, 50]" ]] && break
  fi
  sleep 0.1
done
if [[ "$day_values" == "[6, 4, 2, 0, 50]" ]]; then
  pass "report --json: 6 people received (4 with an appointment, 2 without), no no-show, half of those who came not served"
else
  fail "report --json: received total, with, without, no-show and not-served rates are $day_values, not [6, 4, 2, 0, 50]"
  sed 's/^/  stderr: /' "$work/err"
fi
expect_exit 6 "report as the public is refused" cli report --site "$rsite" --from "$month" --to "$month"
expect_exit 6 "report as a lodge agent is refused" with_token "$rlodge" report --site "$rsite" --from "$month" --to "$month"
expect_exit 3 "report --from 2026-13 is refused" with_token "$rquality" report --site "$rsite" --from 2026-13 --to "$month" &&
  expect_text "bad month: the field and INVALID_MONTH" err "from_month: .*INVALID_MONTH"
expect_exit 3 "report --to before --from is refused" with_token "$rquality" report --site "$rsite" --from "$month" --to "$prev_month" &&
  expect_text "months out of order: INVALID_MONTH_RANGE" err "INVALID_MONTH_RANGE"
expect_exit 2 "report without --to (usage error)" with_token "$rquality" report --site "$rsite" --from "$month"
expect_exit 2 "report --csv with --json (usage error)" with_token "$rquality" --json report --site "$rsite" \
  --from "$month" --to "$month" --csv

# Objectives and a manual value.
expect_exit 0 "report objective set noshow_rate" with_token "$rquality" report objective set --site "$rsite" \
  --indicator noshow_rate --value 30 &&
  expect_text "objective set: at most 30 %, the indicator's default" out "^objective: +<= 30 %$"
expect_exit 0 "report objective set received_total --direction at-least" with_token "$rquality" report objective set \
  --site "${rsite#sites/}" --indicator received_total --value 10 --direction at-least &&
  expect_text "objective set: at least 10" out "^objective: +>= 10$"
expect_exit 3 "report objective set above 100 %" with_token "$rquality" report objective set --site "$rsite" \
  --indicator noshow_rate --value 120 &&
  expect_text "objective above 100 %: INVALID_OBJECTIVE" err "INVALID_OBJECTIVE"
expect_exit 3 "report objective set of an unknown indicator" with_token "$rquality" report objective set --site "$rsite" \
  --indicator waiting_room_temperature --value 20 &&
  expect_text "unknown indicator: UNKNOWN_INDICATOR" err "UNKNOWN_INDICATOR"
expect_exit 0 "report objective list" with_token "$rquality" report objective list --site "$rsite" &&
  expect_text "objective list: no-show rate" out "^noshow_rate +<= 30 % +.* No-show rate$" &&
  expect_text "objective list: people received" out "^received_total +>= 10 +.* People received$"
expect_exit 0 "report manual" with_token "$rquality" report manual --site "$rsite" --indicator calls_answered_rate \
  --month "$month" --value 89.65 &&
  expect_text "manual: the value as a percent" out "^value: +89.65 %$"
expect_exit 3 "report manual of a computed indicator" with_token "$rquality" report manual --site "$rsite" \
  --indicator noshow_rate --month "$month" --value 5 &&
  expect_text "computed indicator: INDICATOR_NOT_MANUAL" err "INDICATOR_NOT_MANUAL"
expect_exit 3 "report manual for a month to come" with_token "$rquality" report manual --site "$rsite" \
  --indicator calls_answered_rate --month "$next_month" --value 90 &&
  expect_text "month to come: MONTH_IN_FUTURE" err "MONTH_IN_FUTURE"

# The report as a table, as CSV and as JSON.
expect_exit 0 "report" with_token "$rquality" report --site "$rsite" --from "$prev_month" --to "$month" &&
  expect_text "report: one column per month" out "^INDICATOR +UNIT +PERIODICITY +OBJECTIVE +$prev_month +$month$" &&
  expect_text "report: no-show rate met" out "^No-show rate +percent +monthly +<= 30 % +- +0\.0 % ✓$" &&
  expect_text "report: people received, not met" out "^People received +people +monthly +>= 10 +0 ✗ +6 ✗$" &&
  expect_text "report: the manual value" out "^Calls answered +percent +monthly +- +- +89\.65 %$" &&
  expect_text "report: the wait in minutes, no objective" out "^Waiting time on site \(mean\) +minutes +monthly +- +- +[0-9]+\.[0-9]$"
expect_exit 0 "report --csv" with_token "$rquality" report --site "$rsite" --from "$prev_month" --to "$month" --csv &&
  if csv_problems=$(python3 - "$work/out" "$prev_month" "$month" <<'PY'
import csv, sys
path, prev, month = sys.argv[1:]
raw = open(path, newline="").read()
records = list(csv.reader(open(path, newline="")))
problems = []
header = ["indicator", "title", "unit", "periodicity", "objective", "direction",
          prev, prev + " attainment", month, month + " attainment"]
if records[0] != header:
    problems.append("header %r" % records[0])
if raw.count("\r\n") != len(records) or raw.count("\n") != len(records):
    problems.append("records do not all end with CRLF")
rows = {r["indicator"]: r for r in csv.DictReader(open(path, newline=""))}
want = {
    ("received_total", month): "6", ("received_total", month + " attainment"): "NOT_MET",
    ("received_total", "objective"): "10", ("received_total", "direction"): "AT_LEAST",
    ("noshow_rate", month): "0", ("noshow_rate", month + " attainment"): "MET",
    ("noshow_rate", prev): "", ("noshow_rate", prev + " attainment"): "NO_DATA",
    ("noshow_rate", "objective"): "30", ("noshow_rate", "direction"): "AT_MOST",
    ("not_served_rate", month): "50", ("not_served_rate", month + " attainment"): "NO_OBJECTIVE",
    ("calls_answered_rate", month): "89.65", ("calls_answered_rate", "unit"): "percent",
    ("wait_mean", "title"): "Waiting time on site (mean)",
}
for (indicator, column), value in want.items():
    got = rows.get(indicator, {}).get(column)
    if got != value:
        problems.append("%s %s: %r, not %r" % (indicator, column, got, value))
if len(rows) != 30:
    problems.append("%d indicators" % len(rows))
print("; ".join(problems))
PY
  ) && [[ -z "$csv_problems" ]]; then
    pass "report --csv: RFC 4180, the header, 30 indicators, the day's values unformatted"
  else
    fail "report --csv: ${csv_problems:-does not parse}"
    sed 's/^/  stdout: /' "$work/out"
  fi
expect_exit 0 "report --json" with_token "$rquality" --json report --site "$rsite" --from "$prev_month" --to "$month" &&
  if [[ "$(json '(j["site"], j["months"], [(r["objective"]["value"], r["months"][1]["attainment"]) for r in j["rows"] if r["indicator"]["id"] == "noshow_rate"])')" == \
    "('$rsite', ['$prev_month', '$month'], [(30, 'MET')])" ]]; then
    pass "report --json: the site, the months, the no-show objective met"
  else
    fail "report --json: unexpected answer"
    sed 's/^/  stdout: /' "$work/out"
  fi

# Publication: a month over (two months ago) with a manual value, corrected
# afterwards: the report flags it, publishing again needs a reason and
# restates it; the public sees the restatement. The current month is not over.
old_year=${old_month:0:4}
expect_exit 3 "report publish of the current month" with_token "$rquality" report publish --site "$rsite" --month "$month" &&
  expect_text "current month: MONTH_NOT_OVER" err "MONTH_NOT_OVER"
expect_exit 0 "report manual ($old_month)" with_token "$rquality" report manual --site "$rsite" \
  --indicator calls_answered_rate --month "$old_month" --value 91.5
expect_exit 0 "report publish $old_month" with_token "$rquality" report publish --site "$rsite" --month "$old_month" &&
  expect_text "publish: the month" out "^month: +$old_month$" &&
  expect_text "publish: a first publication" out "^First publication"
expect_exit 0 "report manual ($old_month, corrected)" with_token "$rquality" report manual --site "$rsite" \
  --indicator calls_answered_rate --month "$old_month" --value 88
expect_exit 0 "report of a published month" with_token "$rquality" report --site "$rsite" --from "$old_month" --to "$old_month" &&
  expect_text "report: the published month is marked" out "^INDICATOR +UNIT +PERIODICITY +OBJECTIVE +$old_month\*$" &&
  expect_text "report: the corrected value is flagged" out "^Calls answered +percent +monthly +- +88\.0 % !$" &&
  expect_text "report: the pending restatement" out "^  Calls answered, $old_month: published 91\.5 %, now 88\.0 %$"
expect_exit 5 "report publish again without --reason" with_token "$rquality" report publish --site "$rsite" --month "$old_month" &&
  expect_text "again without a reason: MONTH_ALREADY_PUBLISHED" err "MONTH_ALREADY_PUBLISHED"
expect_exit 0 "report publish again --reason" with_token "$rquality" report publish --site "$rsite" --month "$old_month" \
  --reason "Correction du standard téléphonique" &&
  expect_text "publish again: one restatement" out "^Restated \(1\):$" &&
  expect_text "publish again: the old and new values" out "^$old_month +Calls answered +91\.5 % +88\.0 % +.* +Correction du standard téléphonique$"
expect_exit 0 "report published, as the public" cli report published --site "$rsite" --year "$old_year" &&
  expect_text "published: the month" out "^INDICATOR +UNIT +PERIODICITY +OBJECTIVE +.*$old_month" &&
  expect_text "published: the restated value" out "^Calls answered +percent +monthly +- +88\.0 %$" &&
  expect_text "published: a count under the anonymity threshold is hidden" out \
    "^People received +people +monthly +>= 10 +\(hidden\)$" &&
  expect_text "published: the restatement under the table" out "^$old_month +Calls answered +91\.5 % +88\.0 % +"
expect_exit 0 "report published --csv, as the public" cli report published --site "$rsite" --year "$old_year" --csv &&
  if [[ "$(python3 -c 'import csv, sys; r = {x["indicator"]: x for x in csv.DictReader(open(sys.argv[1], newline=""))}; m = sys.argv[2]; print([(r[i][m], r[i][m + " attainment"]) for i in ("calls_answered_rate", "received_total")])' \
    "$work/out" "$old_month")" == "[('88', 'NO_OBJECTIVE'), ('', 'SUPPRESSED')]" ]]; then
    pass "report published --csv: the restated value, a hidden count"
  else
    fail "report published --csv: not 88 for calls_answered_rate and a hidden received_total in $old_month"
    sed 's/^/  stdout: /' "$work/out"
  fi
expect_exit 0 "report published --json, as the public" cli --json report published --site "$rsite" --year "$old_year" &&
  if [[ "$(json '[(r["month"], r["oldValue"], r["newValue"], r["reason"]) for r in j["restatements"]]')" == \
    "[('$old_month', 91.5, 88, 'Correction du standard téléphonique')]" ]]; then
    pass "report published --json: the restatement"
  else
    fail "report published --json: unexpected restatements"
    sed 's/^/  stdout: /' "$work/out"
  fi

# The shape of the week, and the indicators' definitions.
weekday=$(LC_ALL=C date -d "$rtoday" +%a | tr '[:upper:]' '[:lower:]')
expect_exit 0 "report shape" with_token "$rquality" report shape --site "$rsite" --from "$month" --to "$month" &&
  expect_text "shape: today's weekday, one day, 6 people" out "^$weekday +1 +.* 6\.0$"
expect_exit 0 "indicators" with_token "$rquality" indicators &&
  expect_text "indicators: the no-show rate" out "^noshow_rate +percent +monthly +at most +computed +No-show rate$" &&
  expect_text "indicators: a manual one" out "^calls_answered_rate +percent +monthly +at least +entered monthly +Calls answered$" &&
  expect_text "indicators: the definitions" out "^noshow_rate: +appointments not honoured"
expect_exit 6 "indicators as the public is refused" cli indicators

# Signing out.
expect_exit 0 "logout" env ACCUEIL_TOKEN_FILE="$token_file" "$CLI_BIN" logout
if [[ -e "$token_file" ]]; then fail "logout left the token file"; else pass "logout removed the token file"; fi
expect_exit 6 "admin roles after logout is refused" admin_cli admin roles

expect_exit 2 "book without its options (usage error)" cli book

# A port nobody listens on: bound, then released.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 8 "unreachable server" "$CLI_BIN" --server "127.0.0.1:$closed_port" --timeout 5 sites &&
  expect_text "unreachable server: the address is named" err "cannot reach the server at 127\.0\.0\.1:$closed_port"

# Key rotation, the command of step 3 (docs/operations.md#secrets): the
# server's raw key (the format before rings) becomes the second key of a ring
# whose new first key signs; rekey moves the person keys still held.
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
printf 'accueil-keys 1\n# rotated\n%s\n%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" \
  "$(hex "$work/secret.key")" >"$work/ring.key"
rekey() {
  ACCUEIL_DATABASE_URL="$ACCUEIL_PG_ADMIN_URL dbname=$db" ACCUEIL_SECRET_KEY_FILE="$work/ring.key" \
    ACCUEIL_LOG_LEVEL=warn "$SERVER_BIN" rekey
}
expect_exit 0 "accueil-server rekey" rekey &&
  expect_text "rekey moves the person keys to the new key" out "^rekey: [1-9][0-9]* records with a contact, [1-9][0-9]* moved to the signing key [0-9a-f]{8}, 0 conflicts$"
expect_exit 0 "accueil-server rekey again" rekey &&
  expect_text "rekey again moves nothing" out " 0 moved to the signing key"
printf 'accueil-keys 1\nnot-a-key\n' >"$work/bad.key"
expect_exit 1 "a malformed key ring is refused" env ACCUEIL_DATABASE_URL="$ACCUEIL_PG_ADMIN_URL dbname=$db" \
  ACCUEIL_SECRET_KEY_FILE="$work/bad.key" "$SERVER_BIN" rekey &&
  expect_text "the refusal names the file and line" err "bad\.key: line 2: a key is 64 to 128 hexadecimal digits"

# Service identity (docs/security.md#service-identity): a service key's
# public JWK for the service JWKS, and the binding of a service subject.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/service.pem" 2>/dev/null
expect_exit 0 "accueil-server service-jwk" "$SERVER_BIN" service-jwk "$work/service.pem" cli-service-1 &&
  expect_text "service-jwk prints the public key under its kid" out \
    '^\{"keys":\[\{"alg":"ES256","crv":"P-256","kid":"cli-service-1","kty":"EC","use":"sig","x":"[A-Za-z0-9_-]{43}","y":"[A-Za-z0-9_-]{43}"\}\]\}$'
expect_exit 1 "service-jwk refuses a file without a key" "$SERVER_BIN" service-jwk "$work/bad.key" k &&
  expect_text "service-jwk names the file" err "bad\.key: not a PEM private key"
grant_service() {
  ACCUEIL_DATABASE_URL="$ACCUEIL_PG_ADMIN_URL dbname=$db" ACCUEIL_LOG_LEVEL=warn \
    "$SERVER_BIN" grant-service "$1"
}
expect_exit 0 "accueil-server grant-service" grant_service service:cli-test
expect_exit 1 "grant-service refuses an agent's subject" grant_service cli-test-alice
expect_exit 0 "the service's binding" psql "$ACCUEIL_PG_ADMIN_URL dbname=$db" -XAtq -c \
  "SELECT role, coalesce(site_id::text, '*'), granted_by FROM access.role_bindings WHERE subject = 'service:cli-test'" &&
  expect_text "the service holds SERVICE on every site" out "^SERVICE\|\*\|grant-service$"

echo "cli_test: $steps steps, $failures failed"
((failures == 0))
