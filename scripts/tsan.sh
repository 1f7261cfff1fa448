#!/usr/bin/env bash
# The ThreadSanitizer run: builds the unit tests with the tsan preset
# (build/tsan, warnings are errors) and runs the whole unit-test binary under
# TSan, the in-process server tests included (http/server_test,
# http/upstream_test, mock/mock_vendor_test, api/gateway_test and the usage
# writer's and queue's thread tests: real threads and sockets on loopback).
# Exits non-zero on a failing test or on any ThreadSanitizer report.
#
#   scripts/tsan.sh [GTEST_ARGS...]   e.g. --gtest_filter='server_errors.*' --gtest_repeat=20
#
# Env: LLMGW_JOBS (build parallelism, default: cores). Needs what
# scripts/install-deps.sh installs (GCC's libtsan comes with g++).
#
# Suppressions: scripts/tsan.supp, for false positives in third-party code
# only, each with its reason; a race in llmgw's own code is fixed, never
# suppressed.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
started=$SECONDS

cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "${LLMGW_JOBS:-$(nproc)}"

# Every report is printed (halt_on_error=0) and makes the exit status 66.
export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$repo_root/scripts/tsan.supp"
# GCC 12's TSan cannot place its shadow memory when the kernel randomises
# mmap addresses with more bits than it expects (vm.mmap_rnd_bits above 28
# on newer kernels); with address randomisation off for this one process it
# always can. Where setarch may not switch it off, the run goes without.
no_aslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then no_aslr=(setarch "$(uname -m)" -R); fi
rc=0
# shellcheck source=lib/test-counts.sh
source scripts/lib/test-counts.sh
gtest_counted "${no_aslr[@]}" build/tsan/llmgw_unit_tests --gtest_brief=1 "$@" || rc=$?
if [[ $rc -eq 0 ]]; then
  echo "tsan.sh: all passed, no ThreadSanitizer report, in $((SECONDS - started)) s"
else
  echo "tsan.sh: FAILED (exit $rc; 66 means ThreadSanitizer reports, above) after $((SECONDS - started)) s"
fi
exit $rc
