#!/usr/bin/env bash
# Configure (once) and build. BUILD_DIR overrides the build directory.
#
#   scripts/build.sh                          # the whole tree, tests included
#   scripts/build.sh accueil-server accueil   # only these targets (and what they need)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR=${BUILD_DIR:-build}

# Re-running configure on an existing tree is slow and pointless: CMake re-runs itself
# when a CMakeLists.txt changes.
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
targets=()
if (($# > 0)); then targets=(--target "$@"); fi
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
