#!/usr/bin/env bash
# Fuzz the parsers of untrusted input (fuzz/): builds the libFuzzer targets with
# clang-14 (ASan + UBSan) in build-fuzz/ and runs each for SECONDS.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     defaults: 60, every target
#
# Each target starts from a copy of its committed seeds (fuzz/corpus/<target>) in
# .local/fuzz-work/<target>, so runs never modify the committed corpus and every
# run starts from the same point. A crash, sanitizer report, failed property,
# timeout (10 s per input) or out-of-memory (2 GB) fails the run; the input that
# caused it is kept and named in the message. Prints one line per target and
# closes with "fuzz targets without a crash: N of M" (not in the form of a
# test runner's summary: ctest's closes the test command).
#
# Environment: FUZZ_KEEP=1 keeps the working corpus of earlier runs (long sessions
# build on each other); FUZZ_BUILD_DIR [build-fuzz]; FUZZ_SOURCE_ROOT [this
# repository] fuzzes the sources of another checkout (e.g. a patched copy).
# Needs clang-14 and libclang-rt-14-dev (scripts/deps.sh installs them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd -P)
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
SOURCE_ROOT=$(cd "${FUZZ_SOURCE_ROOT:-$ROOT}" && pwd -P)
WORK=.local/fuzz-work

ALL_TARGETS=(fuzz_phone fuzz_email_name_text fuzz_reference_code fuzz_reception_settings fuzz_resource_page_token
  fuzz_check_in_token fuzz_jwt fuzz_jwks fuzz_config fuzz_dev_issuer_form fuzz_device_token
  fuzz_forwarded_for fuzz_cidr fuzz_secrets fuzz_report_month fuzz_message_text
  fuzz_delivery_report fuzz_json_report fuzz_path_template fuzz_urlencoded fuzz_form_text
  fuzz_notice_text)

usage() {
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]  (targets: ${ALL_TARGETS[*]})" >&2
  exit 2
}

SECONDS_PER_TARGET=60
if (($# > 0)) && [[ "$1" =~ ^[0-9]+$ ]]; then
  SECONDS_PER_TARGET=$1
  shift
fi
((SECONDS_PER_TARGET > 0)) || usage
TARGETS=("$@")
((${#TARGETS[@]} > 0)) || TARGETS=("${ALL_TARGETS[@]}")
for target in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || { echo "fuzz: unknown target $target" >&2; usage; }
done

if ! command -v clang++-14 >/dev/null 2>&1 ||
  ! compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  echo "fuzz: clang-14 and libclang-rt-14-dev are needed: run scripts/deps.sh" >&2
  echo "fuzz targets without a crash: 0 of ${#TARGETS[@]}"
  exit 1
fi

# Configure once, and again when the fuzzed checkout or fuzz/CMakeLists.txt
# changes (CMake's own re-run, inside a build of several targets, leaves the
# targets added meanwhile unknown to that build).
configured_root=$(sed -n 's/^ACCUEIL_ROOT:PATH=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
if [[ "$configured_root" != "$SOURCE_ROOT" || fuzz/CMakeLists.txt -nt "$BUILD_DIR/CMakeCache.txt" ]]; then
  if ! CC=clang-14 CXX=clang++-14 cmake -S fuzz -B "$BUILD_DIR" -DACCUEIL_ROOT="$SOURCE_ROOT"; then
    echo "fuzz: configuring $BUILD_DIR failed" >&2
    echo "fuzz targets without a crash: 0 of ${#TARGETS[@]}"
    exit 1
  fi
fi
if ! cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${TARGETS[@]}"; then
  echo "fuzz: building $BUILD_DIR failed" >&2
  echo "fuzz targets without a crash: 0 of ${#TARGETS[@]}"
  exit 1
fi

# UBSan findings abort (the targets are built with -fno-sanitize-recover) with a
# stack trace; callers may add options of their own.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
for target in "${TARGETS[@]}"; do
  corpus="$WORK/$target"
  artifacts="$WORK/$target-artifacts"
  log="$WORK/$target.log"
  [[ "${FUZZ_KEEP:-0}" == 1 ]] || rm -rf -- "$corpus"
  mkdir -p "$corpus"
  cp -- fuzz/corpus/"$target"/* "$corpus"/
  # Crash files of an earlier run would be mistaken for this run's.
  rm -rf -- "$artifacts"
  mkdir -p "$artifacts"

  status=0
  # The outer timeout only guards against a stuck process; libFuzzer stops itself.
  timeout --kill-after=10 $((SECONDS_PER_TARGET + 120)) \
    "$BUILD_DIR/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
    >"$log" 2>&1 || status=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  finding=$(find "$artifacts" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)
  if ((status == 0)) && [[ -z "$finding" ]]; then
    echo "$target: ${runs:-?} runs, no crash"
    echo "  ${rate:-?} exec/s, corpus $(find "$corpus" -type f | wc -l) files, log $log"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    what=$(grep -m 1 -E 'ERROR: |runtime error:|FUZZ_CHECK failed|uncaught exception' "$log" || true)
    echo "$target: FAILED after ${runs:-?} runs (exit $status): ${what:-see the log}"
    if [[ -n "$finding" ]]; then
      echo "  input: $finding"
      echo "  reproduce: $BUILD_DIR/$target $finding"
    fi
    echo "  log: $log"
  fi
done

echo "fuzz targets without a crash: $passed of $((passed + failed))"
((failed == 0))
