#!/usr/bin/env bash
# The whole test suite, from a fresh clone: dependencies, the formatting check,
# the ASan+UBSan build (warnings are errors: the dev preset sets LLMGW_WERROR),
# unit tests, then the integration and end-to-end tests (Node) against the real
# binary with a real Redis and PostgreSQL, and the fuzz smoke run
# (scripts/fuzz-smoke.sh). Exits non-zero if anything fails.
#
#   scripts/test.sh
#
# Once the ASan build is done, the fuzz smoke run (its clang build, then each
# target for a fixed 10 s) goes on in the background beside the tests, which
# mostly wait on sockets and timers; its output is printed when it ends.
#
# Env: LLMGW_JOBS (build parallelism, default: cores), LLMGW_SKIP_DEPS=1 (skip
# install-deps), LLMGW_TEST_FILTER (node --test-name-pattern),
# LLMGW_TEST_TIMEOUT_MS (per Node test, default 300000), LLMGW_SUITE_TIMEOUT_S
# (the whole Node run, default 2400).
#
# Sanitizers: every ASan/UBSan finding fails the run, leaks included
# (detect_leaks=1). OpenSSL 3 was checked to leave no leak report of its own
# (context, TLS objects, digests, on worker threads), so nothing is suppressed
# by default; scripts/lsan.supp is where a third-party leak would be listed,
# each with its reason, never one of ours. The gateway processes the Node tests
# start are killed by those tests and their exit code is not always looked at,
# so their sanitizer reports go to files under build/dev/sanitizer/ and this
# script fails the run when any report appears there.
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root" || exit 1

# shellcheck source=lib/test-counts.sh
source scripts/lib/test-counts.sh

jobs=${LLMGW_JOBS:-$(nproc)}
results=()
failed=0
started=$SECONDS

step() {  # step NAME COMMAND... : runs, times and records one step
  local name=$1 t0=$SECONDS rc
  shift
  echo
  echo "==> $name"
  "$@"
  rc=$?
  if [[ $rc -eq 0 ]]; then
    results+=("ok    $name ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0)) s, exit $rc)")
    failed=1
  fi
  return $rc
}

summary() {
  echo
  echo "==> summary"
  local r
  for r in "${results[@]}"; do echo "  $r"; done
  if [[ $failed -eq 0 ]]; then
    echo "test.sh: all passed in $((SECONDS - started)) s"
  else
    echo "test.sh: FAILED (after $((SECONDS - started)) s)"
  fi
}

services_env=$repo_root/build/dev/services.env
services_started=0
fuzz_pid=""
cleanup() {
  if [[ -n $fuzz_pid ]]; then  # its own process group: the build or the fuzzers with it
    kill -TERM -- "-$fuzz_pid" 2>/dev/null || true
  fi
  if [[ $services_started -eq 1 ]]; then
    scripts/services.sh stop "$services_env" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'echo "test.sh: interrupted"; exit 130' INT TERM

# A step that everything after it depends on: stop here when it fails.
must() { step "$@" || { summary; exit 1; }; }

if [[ ${LLMGW_SKIP_DEPS:-0} != 1 ]]; then
  must "install dependencies" scripts/install-deps.sh
fi
# Every C++ file under src/ and tests/fuzz as .clang-format lays it out; the
# fix is `clang-format -i` on the files it names.
check_format() {
  local files=()
  mapfile -t files < <(find src tests/fuzz \( -name '*.cpp' -o -name '*.hpp' \) | sort)
  clang-format --dry-run --Werror "${files[@]}"
}
step "clang-format --dry-run --Werror (src, tests/fuzz)" check_format
step "the runner's own checks (tests/runner)" tests/runner/test_counts_test.sh

must "configure (cmake --preset dev)" cmake --preset dev
must "build (ASan+UBSan, -Werror)" cmake --build --preset dev -j "$jobs"

# Sanitizer settings shared by unit and integration tests.
lsan_supp=$repo_root/scripts/lsan.supp
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$lsan_supp:print_suppressions=0"

# The fuzz smoke run in its own process group (so cleanup can stop all of it),
# its output kept for the end.
fuzz_name="fuzz smoke (clang libFuzzer, 10 s per target, beside the tests)"
fuzz_log=$repo_root/build/fuzz-smoke.log
mkdir -p "$(dirname "$fuzz_log")"
fuzz_t0=$SECONDS
setsid scripts/fuzz-smoke.sh 10 >"$fuzz_log" 2>&1 &
fuzz_pid=$!
finish_fuzz() {
  echo
  echo "==> $fuzz_name"
  local rc=0
  wait "$fuzz_pid" || rc=$?
  fuzz_pid=""
  cat "$fuzz_log"
  if [[ $rc -eq 0 ]]; then
    results+=("ok    $fuzz_name ($((SECONDS - fuzz_t0)) s)")
  else
    results+=("FAIL  $fuzz_name ($((SECONDS - fuzz_t0)) s, exit $rc)")
    failed=1
  fi
}

# One process for the whole binary (ctest --preset dev runs the same tests one
# process each, ten times the CPU for the sanitizers' start-up); --gtest_brief
# prints only the failures and the totals.
step "unit tests (build/dev/llmgw_unit_tests)" gtest_counted build/dev/llmgw_unit_tests --gtest_brief=1

must "start redis + postgresql" scripts/services.sh start "$services_env"
services_started=1
# shellcheck disable=SC1090
source "$services_env"

# node_tests NAME DIR: every DIR/*.test.mjs, named one by one (Node 21 and
# later read a folder argument as a glob), through node_counted: no file, a
# file that runs no test, or a skipped test fails the category.
node_tests() {
  local name=$1 dir=$2 files=()
  local san_dir=$repo_root/build/dev/sanitizer/$name
  rm -rf "$san_dir"
  mkdir -p "$san_dir"
  mapfile -t files < <(find "$dir" -maxdepth 1 -name '*.test.mjs' | sort)
  # log_path sends each process's report to $san_dir/asan.PID (or ubsan.PID).
  # Safety nets against a hang (a test that never ends, a child process that
  # keeps a test file alive): a per-test timeout, and one for the whole run
  # (node_counted's LLMGW_SUITE_TIMEOUT_S).
  ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$san_dir/asan" \
  UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$san_dir/ubsan" \
  LLMGW_BIN="$repo_root/build/dev/llmgw" \
    node_counted "$name" "${files[@]}" -- --test-timeout="${LLMGW_TEST_TIMEOUT_MS:-300000}" \
      ${LLMGW_TEST_FILTER:+--test-name-pattern="$LLMGW_TEST_FILTER"}
  local rc=$?
  local reports=("$san_dir"/*)
  if [[ -e "${reports[0]}" ]]; then
    echo "sanitizer reports from processes started by the tests:"
    local f
    for f in "${reports[@]}"; do echo "--- $f"; cat "$f"; done
    [[ $rc -ne 0 ]] || rc=1
  fi
  return $rc
}

if [[ ! -x build/dev/llmgw ]]; then
  results+=("FAIL  integration + e2e tests (build/dev/llmgw missing)")
  failed=1
else
  step "integration tests (node --test tests/integration/*.test.mjs)" node_tests integration tests/integration
  step "end-to-end tests (node --test tests/e2e/*.test.mjs)" node_tests e2e tests/e2e
fi

finish_fuzz
summary
exit $failed
