#!/usr/bin/env bash
# The project's test command: install dependencies, build, run every test against a
# throwaway PostgreSQL cluster. Extra arguments go to ctest (e.g. -R booking).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}

scripts/deps.sh
# The browser tests need Node.js 18 or later (playwright-core) and Chromium.
echo "test: node $(node --version), $(chromium --version 2>/dev/null || echo 'no chromium')"
# The layout of the C++ files (.clang-format) is checked first; a failure fails the
# script at the end, after the tests have run.
format_status=0
scripts/format.sh --check || format_status=$?
scripts/build.sh

# shellcheck source=scripts/pg.sh
source scripts/pg.sh

PG_DIR=".local/test-pg-$$"
# shellcheck disable=SC2317  # only called by the trap
cleanup() {
  pg_stop "$PG_DIR" || true
  rm -rf -- "$PG_DIR"
}
# The EXIT trap covers errors; INT/TERM must exit explicitly so that it runs too.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Durability is pointless for a cluster that is deleted afterwards; the tests open
# many connections in parallel.
export PG_EXTRA_OPTS="${PG_EXTRA_OPTS:--c fsync=off -c synchronous_commit=off -c max_connections=200}"
pg_start "$PG_DIR"
export ACCUEIL_PG_ADMIN_URL

# First a few seconds of every fuzz target (fuzz/, scripts/fuzz.sh), then ctest,
# whose summary line closes the output. Either failure fails the script.
fuzz_status=0
scripts/fuzz.sh 5 || fuzz_status=$?

status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 600 "$@" || status=$?
if ((status == 0)); then
  status=$fuzz_status
fi
if ((status == 0)); then
  status=$format_status
fi
exit "$status"
