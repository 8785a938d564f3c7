#!/usr/bin/env bash
# Load demo data into a running server through the CLI: one prefecture with the
# four desks of the foreigners' reception, their opening hours, and bookable
# slots from today for 6 weeks; and a live reception day at a fifth desk open
# round the clock (so that the demo has a queue whatever the hour): people
# booked in the next two hours and checked in at the lodge, a counter open
# and calling.
#
#   ACCUEIL_SERVER=127.0.0.1:50051 scripts/demo.sh
#
# It signs in first as the administrator "demo-admin" of every site, with the
# server's development issuer (dev_issuer_listen; ACCUEIL_DEV_ISSUER, default
# http://127.0.0.1:50052, as scripts/run.sh sets it up). The token is kept in
# .local/demo-admin/token (ACCUEIL_DEMO_TOKEN_FILE), never in the user's home,
# and a token of the caller's environment (ACCUEIL_TOKEN) is not used.
#
# Idempotent: the site and the desks are looked up by name before anything is
# created, and every call carries a fixed request id (demo-site-1, demo-desk-2,
# demo-hours-2-<year>, demo-release-2-<date>), so a second run the same day
# changes nothing. Run on a later day, it releases the days that are new (the
# server leaves existing slots alone). ACCUEIL_CLI overrides the CLI binary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}
CLI=${ACCUEIL_CLI:-$BUILD_DIR/clients/cli/accueil}
SERVER=${ACCUEIL_SERVER:-127.0.0.1:50051}
ISSUER=${ACCUEIL_DEV_ISSUER:-http://127.0.0.1:50052}
# Every call of this script is the demo administrator's.
export ACCUEIL_TOKEN_FILE=${ACCUEIL_DEMO_TOKEN_FILE:-$(pwd -P)/.local/demo-admin/token}
unset ACCUEIL_TOKEN ACCUEIL_REASON

SITE_NAME="Préfecture de démonstration"
SITE_ADDRESS="1 place de la Préfecture, 00000 Démonstration (adresse fictive)"
TIME_ZONE=Europe/Paris
WEEKS=6

if [[ ! -x "$CLI" ]]; then
  echo "demo: $CLI not found: build first (scripts/build.sh)" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "demo: python3 is needed to read the CLI's JSON (apt-get install python3)" >&2
  exit 1
fi

accueil() {
  "$CLI" --server "$SERVER" "$@"
}

# name_of DISPLAY_NAME LIST_KEY: reads a List* answer (JSON) on stdin and prints
# the resource name of the first entry with that display name, or nothing.
name_of() {
  python3 -c '
import json, sys
want, key = sys.argv[1], sys.argv[2]
for entry in json.load(sys.stdin).get(key, []):
    if entry.get("displayName") == want:
        print(entry["name"])
        break
' "$1" "$2"
}

# field_of FIELD: prints one top-level field of the JSON object on stdin.
field_of() {
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

if ! accueil login --dev --issuer "$ISSUER" --role admin --subject demo-admin >/dev/null; then
  echo "demo: cannot sign in as administrator with the development issuer at $ISSUER" >&2
  echo "demo: (the server needs dev_issuer_listen, as scripts/run.sh writes it)" >&2
  exit 1
fi
echo "demo: signed in as demo-admin, administrator of every site (token in $ACCUEIL_TOKEN_FILE)"

# Local dates of the site, whatever the machine's zone.
today=$(TZ=$TIME_ZONE date +%F)
last_day=$(TZ=$TIME_ZONE date -d "$today + $((WEEKS * 7 - 1)) days" +%F)
year=$(TZ=$TIME_ZONE date +%Y)

# The site.
site=$(accueil --json sites | name_of "$SITE_NAME" sites)
if [[ -n "$site" ]]; then
  echo "demo: site \"$SITE_NAME\" already exists: $site"
else
  site=$(accueil --json admin create-site --name "$SITE_NAME" --address "$SITE_ADDRESS" \
    --time-zone "$TIME_ZONE" --request-id demo-site-1 | field_of name)
  echo "demo: created site $site"
fi

# The desks: number, name, kind, slot minutes, capacity, instructions and
# documents (fr and en), afternoons open besides the weekday mornings.
desk_spec() {
  local common_fr="Présentez-vous 10 minutes avant l'heure du rendez-vous avec les originaux et une copie de chaque document. Une personne peut vous accompagner."
  local common_en="Please arrive 10 minutes before your appointment with the originals and a copy of each document. One person may come with you."
  case $1 in
    1)
      name="Titres de séjour - première demande"
      kind=first-application minutes=30 capacity=1 afternoons="tue thu"
      docs=(
        "fr=Passeport en cours de validité" "en=Valid passport"
        "fr=Justificatif de domicile de moins de 6 mois" "en=Proof of address less than 6 months old"
        "fr=3 photos d'identité récentes" "en=3 recent identity photos"
        "fr=Acte de naissance avec sa traduction" "en=Birth certificate with its translation"
      )
      ;;
    2)
      name="Titres de séjour - renouvellement"
      kind=renewal minutes=20 capacity=2 afternoons="mon wed"
      docs=(
        "fr=Titre de séjour en cours" "en=Current residence permit"
        "fr=Passeport en cours de validité" "en=Valid passport"
        "fr=Justificatif de domicile de moins de 6 mois" "en=Proof of address less than 6 months old"
        "fr=3 photos d'identité récentes" "en=3 recent identity photos"
      )
      ;;
    3)
      name="Titres de séjour - remise de titre"
      kind=collection minutes=10 capacity=3 afternoons="tue wed fri"
      common_fr="Venez retirer votre titre uniquement après avoir reçu le SMS indiquant qu'il est prêt."
      common_en="Come to collect your permit only after receiving the text message saying it is ready."
      docs=(
        "fr=SMS ou courrier indiquant que le titre est prêt" "en=Text message or letter saying the permit is ready"
        "fr=Récépissé ou ancien titre de séjour" "en=Receipt or previous residence permit"
        "fr=Timbres fiscaux" "en=Tax stamps"
      )
      ;;
    4)
      name="Point d'accueil numérique"
      kind=digital-access-point minutes=30 capacity=1 afternoons="thu"
      common_fr="Un médiateur numérique vous aide à faire vos démarches en ligne (ANEF). Apportez vos identifiants si vous avez déjà un compte."
      common_en="A digital mediator helps you do your procedures online (ANEF). Bring your login details if you already have an account."
      docs=(
        "fr=Pièce d'identité" "en=Identity document"
        "fr=Adresse électronique et téléphone portable" "en=Email address and mobile phone"
        "fr=Documents à déposer, sur papier ou sur clé USB" "en=Documents to upload, on paper or on a USB stick"
      )
      ;;
  esac
  instructions=("fr=$common_fr" "en=$common_en")
}

desks_json=$(accueil --json desks --site "$site")
for n in 1 2 3 4; do
  desk_spec "$n"
  desk=$(name_of "$name" desks <<<"$desks_json")
  if [[ -n "$desk" ]]; then
    echo "demo: desk \"$name\" already exists: $desk"
  else
    args=(--site "$site" --name "$name" --kind "$kind" --slot-minutes "$minutes"
      --capacity "$capacity" --request-id "demo-desk-$n")
    for text in "${instructions[@]}"; do args+=(--instructions "$text"); done
    for text in "${docs[@]}"; do args+=(--documents "$text"); done
    desk=$(accueil --json admin create-desk "${args[@]}" | field_of name)
    echo "demo: created desk $desk \"$name\""
  fi

  # Weekday mornings, some afternoons; closed on Christmas and New Year's day.
  ranges=()
  for day in mon tue wed thu fri; do ranges+=(--range "$day 09:00-12:00"); done
  for day in $afternoons; do ranges+=(--range "$day 13:30-16:00"); done
  accueil admin hours --desk "$desk" "${ranges[@]}" \
    --closed "$year-12-25:Noël" --closed "$((year + 1))-01-01:Jour de l'an" \
    --request-id "demo-hours-$n-$year" >/dev/null
  echo "demo:   opening hours set (mornings, afternoons: $afternoons)"

  created=$(accueil --json admin release --desk "$desk" --from "$today" --to "$last_day" \
    --request-id "demo-release-$n-$today" | field_of createdSlotCount)
  # A replay (same day) answers with the first run's count.
  echo "demo:   release demo-release-$n-$today ($today to $last_day): $created slots created"
done

echo
accueil desks --site "$site"

# --- The reception day ---------------------------------------------------------
# A desk open every day, all day (demonstration only), people booked in its
# next slots as the public, checked in by the demo lodge agent, and a counter
# of the demo counter agent calling the first of them.
LIVE_DESK_NAME="Accueil général (démonstration, ouvert en continu)"
live_desk=$(accueil --json desks --site "$site" | name_of "$LIVE_DESK_NAME" desks)
if [[ -z "$live_desk" ]]; then
  live_desk=$(accueil --json admin create-desk --site "$site" --name "$LIVE_DESK_NAME" \
    --kind renewal --slot-minutes 15 --capacity 2 --request-id demo-desk-live \
    --instructions "fr=Guichet de démonstration." --instructions "en=Demonstration desk." |
    field_of name)
  echo "demo: created desk $live_desk \"$LIVE_DESK_NAME\""
fi
live_ranges=()
for day in mon tue wed thu fri sat sun; do live_ranges+=(--range "$day 00:00-23:45"); done
accueil admin hours --desk "$live_desk" "${live_ranges[@]}" --request-id "demo-hours-live" >/dev/null
accueil admin release --desk "$live_desk" --from "$today" --to "$last_day" \
  --request-id "demo-release-live-$today" >/dev/null

# The slots of today starting within the arrival window (2 hours).
live_slots=$(accueil --json slots --desk "$live_desk" --from "$today" --to "$today" | python3 -c '
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
for slot in json.load(sys.stdin).get("slots", []):
    start = datetime.datetime.fromisoformat(slot["startTime"].replace("Z", "+00:00"))
    if start - now < datetime.timedelta(hours=2) and slot.get("available", 1) != 0:
        print(slot["name"])
' | head -n 3)
LODGE_TOKEN_FILE=$(dirname "$ACCUEIL_TOKEN_FILE")/../demo-lodge/token
COUNTER_TOKEN_FILE=$(dirname "$ACCUEIL_TOKEN_FILE")/../demo-counter/token
ACCUEIL_TOKEN_FILE=$LODGE_TOKEN_FILE accueil login --dev --issuer "$ISSUER" --role lodge \
  --subject demo-lodge >/dev/null
ACCUEIL_TOKEN_FILE=$COUNTER_TOKEN_FILE accueil login --dev --issuer "$ISSUER" --role counter \
  --subject demo-counter >/dev/null
people=("Amina Diallo" "Nguyen Van An" "Olena Kovalenko" "Mehdi Haddad" "Sofia Pereira" "Karim Benali")
n=0
for slot in $live_slots; do
  for seat in 1 2; do
    person=${people[$n]}
    n=$((n + 1))
    reference=$(accueil --json book --slot "$slot" \
      --given-name "${person%% *}" --family-name "${person#* }" \
      --phone "+3361234$(printf '%04d' "$n")" --request-id "demo-book-$today-$slot-$seat" 2>/dev/null |
      field_of reference) || continue
    ticket=$(ACCUEIL_TOKEN_FILE=$LODGE_TOKEN_FILE accueil --json lodge checkin "$site" "$reference" \
      --request-id "demo-checkin-$today-$reference" 2>/dev/null | field_of ticket) || continue
    echo "demo: $person checked in at the lodge: ticket $ticket"
  done
done
if ((n == 0)); then
  echo "demo: no slot of the live desk starts in the next two hours today: no reception day shown"
else
  counter=$(accueil --json admin counter list "$site" | name_of "Guichet 1" counters)
  if [[ -z "$counter" ]]; then
    counter=$(accueil --json admin counter create "$site" "Guichet 1" --desk "$live_desk" \
      --request-id demo-counter-1 | field_of name)
  fi
  ACCUEIL_TOKEN_FILE=$COUNTER_TOKEN_FILE accueil counter open "$counter" \
    --request-id "demo-counter-open-$today" >/dev/null
  ACCUEIL_TOKEN_FILE=$COUNTER_TOKEN_FILE accueil counter next "$counter" \
    --request-id "demo-counter-next-$today" || true
  echo
  accueil queue "$site"
fi
