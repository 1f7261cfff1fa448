#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp, clang, ASan+UBSan) and
# runs each for a few seconds from its seed corpus: a smoke run that every
# decoder survives arbitrary bytes, not a fuzzing campaign. Exits non-zero on
# the first crash or broken invariant.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 10)
#
# New inputs go to a temporary folder; tests/fuzz/corpus/<target>/ is only read.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
seconds=${1:-10}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${LLMGW_JOBS:-$(nproc)}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Crashing inputs are kept for reproduction, outside the temporary folder.
artifacts=$repo_root/build/fuzz/artifacts
mkdir -p "$artifacts"
for src in tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$src" .cpp)
  mkdir -p "$work/$name"
  seeds=()
  [[ -d tests/fuzz/corpus/$name ]] && seeds=("tests/fuzz/corpus/$name")
  echo "fuzz-smoke: $name for ${seconds}s"
  if ! "build/fuzz/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$artifacts/$name-" \
      "$work/$name" "${seeds[@]}" >"$work/$name.log" 2>&1; then
    tail -40 "$work/$name.log"
    echo "fuzz-smoke: $name FAILED (reproduce: build/fuzz/$name $artifacts/$name-crash-…)"
    exit 1
  fi
  grep -m1 -E '^#[0-9]+[[:space:]]+DONE' "$work/$name.log" || true
done
echo "fuzz-smoke: every target passed"
