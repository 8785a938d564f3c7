#!/usr/bin/env bash
# Lay out every C++ file of the repository with clang-format (.clang-format).
# `scripts/format.sh --check` changes nothing and fails, naming the files, when one is
# not laid out; scripts/test.sh runs it so that the tree stays formatted.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORMAT=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$FORMAT" >/dev/null 2>&1; then
  echo "format: $FORMAT not found (scripts/deps.sh installs it)" >&2
  exit 1
fi

# Tracked and new (not ignored) files: a file not yet added is laid out too.
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h')
if [[ "${1:-}" == "--check" ]]; then
  bad=()
  for f in "${files[@]}"; do
    if ! "$FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then
      bad+=("$f")
    fi
  done
  if ((${#bad[@]} > 0)); then
    echo "format: not laid out by clang-format (run scripts/format.sh): ${bad[*]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files laid out"
  exit 0
fi
"$FORMAT" -i "${files[@]}"
