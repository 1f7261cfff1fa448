#!/usr/bin/env bash
# Installs what llmgw needs to build, test and (with --with-bench) benchmark on
# Debian 12. Idempotent: it asks dpkg what is missing first and only calls apt
# when something is, so a second run costs well under a second.
#
#   scripts/install-deps.sh [--with-bench] [--no-npm]
#
#   --with-bench  also the benchmark tools (wrk, nginx-light, hey, taskset)
#   --no-npm      skip `npm ci` (the end-to-end tests' SDKs)
#
# Runs as root (as CI does) or through sudo otherwise.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

with_bench=0
with_npm=1
for arg in "$@"; do
  case "$arg" in
    --with-bench) with_bench=1 ;;
    --no-npm) with_npm=0 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

log() { echo "install-deps: $*"; }

# Build toolchain and libraries (README.md, "Dependencies"), services for the
# integration tests, and the references the benchmark compares against.
packages=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev
  libhiredis-dev libpq-dev libsqlite3-dev libxxhash-dev
  libgtest-dev libbenchmark-dev
  redis-server redis-tools postgresql sqlite3 prometheus
  nginx-light wrk curl
)
if [[ $with_bench -eq 1 ]]; then
  packages+=(hey util-linux)
fi

# Node.js: this project's machines carry a newer Node than Debian's (the
# openai SDK 6.x wants Node >= 20). Never replace it; Debian's nodejs/npm are
# only a fallback for a machine that has no node at all.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
# One dpkg-query for everything; a package dpkg has never heard of prints
# nothing on stdout, so anything not reported as installed is missing.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
for p in "${packages[@]}"; do
  if ! grep -qx "$p installed" <<<"$installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing ${missing[*]} and neither root nor sudo is available" >&2
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "system packages present"
fi

if [[ $with_npm -eq 1 && -f "$repo_root/package-lock.json" ]]; then
  # npm writes node_modules/.package-lock.json after a successful install;
  # when it is newer than both manifests the tree is current and npm ci
  # (which always deletes and reinstalls) can be skipped.
  hidden="$repo_root/node_modules/.package-lock.json"
  if [[ -f "$hidden" && "$hidden" -nt "$repo_root/package-lock.json" \
        && "$hidden" -nt "$repo_root/package.json" ]]; then
    log "node_modules current"
  else
    log "npm ci"
    (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
