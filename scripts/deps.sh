#!/usr/bin/env bash
# Install the Debian 12 packages the build and the tests need. Idempotent: it only
# calls apt-get when something is missing, so it is cheap to run before every test.
set -euo pipefail

# Extend here; one package per entry.
PACKAGES=(
  build-essential cmake pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libpqxx-dev libpq-dev libgtest-dev libgmock-dev
  postgresql postgresql-contrib
  libphonenumber-dev libsodium-dev libspdlog-dev libcli11-dev
  golang-github-gogo-googleapis-dev nlohmann-json3-dev libssl-dev libcpp-httplib-dev
  prometheus-cpp-dev
  libcurl4-openssl-dev libkainjow-mustache-dev libical-dev python3-aiosmtpd kannel kannel-extras
  libboost1.74-dev libqrencode-dev nodejs chromium
  tzdata ca-certificates openssl
  python3 curl iproute2
  clang-14 libclang-rt-14-dev clang-format-14
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg-query fails for unknown packages and reports e.g. "deinstall ok config-files"
  # for removed ones: only "install ok installed" counts as present.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

# npm: Debian's own package with Debian's Node.js; a Node.js from elsewhere (the
# nodesource packages) brings its npm.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "deps: installing ${missing[*]}"

# Root installs directly; otherwise go through sudo if it exists.
sudo_cmd=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "deps: not root and no sudo; install as root: ${missing[*]}" >&2
    exit 1
  fi
fi

"${sudo_cmd[@]}" apt-get update
# env, because sudo drops most of the caller's environment.
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
