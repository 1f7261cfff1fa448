#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp, clang, ASan+UBSan) and
# runs each for a few seconds from its seed corpus: a smoke run that every
# decoder survives arbitrary bytes, not a fuzzing campaign. Exits non-zero when
# any target finds a crash or a broken invariant.
#
#   scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 10)
#
# Env: LLMGW_JOBS (build parallelism, and how many targets run at once;
# default: cores). A libFuzzer run is one thread, so the targets run side by
# side, each for its full time.
#
# New inputs go to a temporary folder; tests/fuzz/corpus/<target>/ is only read.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
seconds=${1:-10}
# A fixed seed and a fixed number of inputs: a smoke run that gates a commit
# walks the same inputs on every machine (a slower one, cut by the time
# bound, walks a prefix of them), so its verdict does not depend on luck or
# on the machine's speed. Set LLMGW_FUZZ_SEED=0 (and a larger
# LLMGW_FUZZ_RUNS) for a random walk when hunting.
seed=${LLMGW_FUZZ_SEED:-1}
runs=${LLMGW_FUZZ_RUNS:-30000}
jobs=${LLMGW_JOBS:-$(nproc)}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Crashing inputs are kept for reproduction, outside the temporary folder.
artifacts=$repo_root/build/fuzz/artifacts
mkdir -p "$artifacts"

# run_target NAME: one target's run; its output goes to $work/NAME.log and its
# exit status to $work/NAME.rc.
run_target() {
  local name=$1 seeds=() rc=0
  mkdir -p "$work/$name"
  [[ -d tests/fuzz/corpus/$name ]] && seeds=("tests/fuzz/corpus/$name")
  "build/fuzz/$name" -seed="$seed" -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$artifacts/$name-" \
    "$work/$name" "${seeds[@]}" >"$work/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$work/$name.rc"
}

names=()
for src in tests/fuzz/*_fuzz.cpp; do
  [[ -e $src ]] && names+=("$(basename "$src" .cpp)")
done
if [[ ${#names[@]} -eq 0 ]]; then
  echo "fuzz-smoke: no target found (tests/fuzz/*_fuzz.cpp): a smoke run of nothing does not pass"
  exit 1
fi
echo "fuzz-smoke: ${#names[@]} targets, ${seconds}s each, $jobs at a time"
running=0
for name in "${names[@]}"; do
  if [[ $running -ge $jobs ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$name" &
  running=$((running + 1))
done
wait

failed=0
for name in "${names[@]}"; do
  if [[ $(cat "$work/$name.rc") -ne 0 ]]; then
    tail -40 "$work/$name.log"
    echo "fuzz-smoke: $name FAILED (reproduce: build/fuzz/$name $artifacts/$name-crash-…)"
    failed=1
  else
    # libFuzzer's last line, "#RUNS DONE ...": a target that ran no input
    # (an empty loop, a crash in set-up it swallowed) fails too.
    done_line=$(grep -m1 -E '^#[0-9]+[[:space:]]+DONE' "$work/$name.log" || true)
    done_runs=$(sed -nE 's/^#([0-9]+)[[:space:]]+DONE.*/\1/p' <<<"$done_line")
    if [[ -z $done_runs || $done_runs -eq 0 ]]; then
      tail -20 "$work/$name.log"
      echo "fuzz-smoke: $name FAILED: it ran no input"
      failed=1
    else
      echo "fuzz-smoke: $name: $done_line"
    fi
  fi
done
if [[ $failed -ne 0 ]]; then exit 1; fi
echo "fuzz-smoke: every target passed"
