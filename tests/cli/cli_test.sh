#!/usr/bin/env bash
# End-to-end test of the `accueil` CLI against a live accueil-server.
#
#   ACCUEIL_PG_ADMIN_URL=... bash tests/cli/cli_test.sh SERVER_BINARY CLI_BINARY
#
# Creates its own database on the cluster of ACCUEIL_PG_ADMIN_URL (set by
# scripts/test.sh), starts the server on a port it picks (ACCUEIL_LISTEN with
# port 0; the port is read from the "server.started" log line), then runs the
# CLI through the administration and booking commands, checking exit codes and
# output. Prints PASS or FAIL per step; exits non-zero if any step failed. The
# server and the database are removed on exit, whatever happens.
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
db_created=0

# shellcheck disable=SC2317  # only called by the traps
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
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

cli() {
  "$CLI_BIN" --server "$ADDRESS" --timeout 10 "$@"
}

# Database, key, server.
psql "$ACCUEIL_PG_ADMIN_URL" -Xq -c "CREATE DATABASE $db" >/dev/null ||
  fatal "create database $db"
db_created=1
head -c 48 /dev/urandom >"$work/secret.key"
chmod 600 "$work/secret.key"

ACCUEIL_LISTEN=127.0.0.1:0 \
  ACCUEIL_DATABASE_URL="$ACCUEIL_PG_ADMIN_URL dbname=$db" \
  ACCUEIL_SECRET_KEY_FILE="$work/secret.key" \
  ACCUEIL_LOG_LEVEL=info \
  "$SERVER_BIN" >"$work/server.log" 2>&1 &
server_pid=$!

ADDRESS=""
for ((i = 0; i < 300; i++)); do
  ADDRESS=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("event") == "server.started":
        print(entry["address"])
        break
' "$work/server.log")
  [[ -n "$ADDRESS" ]] && break
  kill -0 "$server_pid" 2>/dev/null || fatal "server start: it exited"
  sleep 0.1
done
[[ -n "$ADDRESS" ]] || fatal "server start: no server.started line within 30 s"
pass "server started on $ADDRESS"

# Local days of the site: tomorrow and the day after (closed), a week of slots.
day1=$(TZ=Europe/Paris date -d "+1 day" +%F)
day2=$(TZ=Europe/Paris date -d "+2 days" +%F)
day7=$(TZ=Europe/Paris date -d "+7 days" +%F)

expect_exit 0 "--help" "$CLI_BIN" --help && expect_text "--help lists the exit codes" out "^Exit codes:"

# Administration.
expect_exit 0 "admin create-site" cli --json admin create-site --name "Préfecture de test" \
  --address "1 rue du Test, 00000 Test" --time-zone Europe/Paris --request-id cli-test-site ||
  fatal "admin create-site"
site=$(json 'j["name"]') || fatal "admin create-site: JSON output does not parse"
pass "admin create-site --json parses: $site"

expect_exit 0 "admin create-desk" cli --json admin create-desk --site "$site" \
  --name "Titres de séjour - renouvellement" --kind renewal --slot-minutes 30 --capacity 1 \
  --instructions "fr=Venez 10 minutes avant" --instructions "en=Come 10 minutes early" \
  --documents "fr=Passeport" --documents "en=Passport" ||
  fatal "admin create-desk"
desk=$(json 'j["name"] if j["site"] == "'"$site"'" and len(j["instructions"]) == 2 else ""')
[[ "$desk" == desks/* ]] || fatal "admin create-desk --json: unexpected answer"
pass "admin create-desk --json parses: $desk"

ranges=()
for day in mon tue wed thu fri sat sun; do ranges+=(--range "$day 09:00-12:00"); done
expect_exit 0 "admin hours" cli admin hours --desk "$desk" "${ranges[@]}" --closed "$day2:Fermeture" ||
  fatal "admin hours"
expect_text "admin hours shows the closure" out "^$day2 +Fermeture"

expect_exit 0 "admin release" cli admin release --desk "$desk" --from "$day1" --to "$day7" ||
  fatal "admin release"
expect_text "admin release created slots" out "^slots created: +[1-9][0-9]*$"

# Reading slots.
expect_exit 0 "slots" cli slots --desk "$desk" && expect_text "slots lists slots" out "^slots/[0-9]+ +$day1 +09:00-09:30 +1/1"
expect_exit 0 "slots on a closed day" cli slots --desk "$desk" --from "$day2" --to "$day2" &&
  expect_text "slots on a closed day: none" out "^No slots\.$"
expect_exit 0 "slots --json" cli --json slots --desk "$desk" || fatal "slots --json"
if ! slot1=$(json 'j["slots"][0]["name"]') || ! slot2=$(json 'j["slots"][1]["name"]'); then
  fatal "slots --json: output does not parse or has fewer than 2 slots"
fi
pass "slots --json parses: $slot1, $slot2"

# Booking.
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

expect_exit 2 "book without its options (usage error)" cli book

# A port nobody listens on: bound, then released.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 8 "unreachable server" "$CLI_BIN" --server "127.0.0.1:$closed_port" --timeout 5 sites &&
  expect_text "unreachable server: the address is named" err "cannot reach the server at 127\.0\.0\.1:$closed_port"

echo "cli_test: $steps steps, $failures failed"
((failures == 0))
