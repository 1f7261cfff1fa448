#!/usr/bin/env bash
# Tests of scripts/lib/test-counts.sh: the verdicts that keep a run from
# passing empty, on the outputs googletest and node --test really print.
set -uo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/test-counts.sh
source "$repo_root/scripts/lib/test-counts.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
expect() {  # expect pass|fail DESCRIPTION COMMAND...
  local want=$1 what=$2 got
  shift 2
  if "$@" >/dev/null 2>&1; then got=pass; else got=fail; fi
  if [[ $got != "$want" ]]; then
    echo "test_counts_test: FAILED: $what: expected $want, got $got"
    failures=$((failures + 1))
  fi
}
text() { printf '%s\n' "$2" >"$work/$1"; echo "$work/$1"; }

gtest_ok=$(text gtest_ok '[==========] 637 tests from 98 test suites ran. (3966 ms total)
[  PASSED  ] 637 tests.')
gtest_none=$(text gtest_none '[==========] 0 tests from 0 test suites ran. (0 ms total)
[  PASSED  ] 0 tests.')
gtest_skip=$(text gtest_skip '[==========] 3 tests from 1 test suite ran. (1 ms total)
[  PASSED  ] 2 tests.
[  SKIPPED ] 1 test, listed below:')
gtest_silent=$(text gtest_silent 'Segmentation fault')
expect pass "googletest: tests ran and passed" check_gtest_output "$gtest_ok" 0
expect fail "googletest: zero tests ran" check_gtest_output "$gtest_none" 0
expect fail "googletest: a test skipped" check_gtest_output "$gtest_skip" 0
expect fail "googletest: no summary at all" check_gtest_output "$gtest_silent" 0
expect fail "googletest: a failing exit status" check_gtest_output "$gtest_ok" 1

node_ok=$(text node_ok '# tests 12
# suites 2
# pass 12
# fail 0
# cancelled 0
# skipped 0
# todo 0')
node_none=$(text node_none '# tests 0
# pass 0
# skipped 0
# todo 0')
node_skip=$(text node_skip '# tests 12
# pass 11
# fail 0
# skipped 1
# todo 0')
node_todo=$(text node_todo '# tests 12
# pass 11
# skipped 0
# todo 1')
touch "$work/a.test.mjs" "$work/b.test.mjs"
counts_ok=$(text counts_ok "12 $work/a.test.mjs")
counts_b_empty=$(text counts_b_empty "12 $work/a.test.mjs
0 $work/b.test.mjs")
expect fail "node: one of two files ran no test" check_node_output x "$node_ok" 0 "$counts_b_empty" "$work/a.test.mjs" "$work/b.test.mjs"
expect fail "node: one of two files missing from the counts" check_node_output x "$node_ok" 0 "$counts_ok" "$work/a.test.mjs" "$work/b.test.mjs"
expect pass "node: tests ran and passed" check_node_output x "$node_ok" 0 "$counts_ok" "$work/a.test.mjs"
expect fail "node: zero tests ran" check_node_output x "$node_none" 0 "$counts_ok" "$work/a.test.mjs"
expect fail "node: a test skipped" check_node_output x "$node_skip" 0 "$counts_ok" "$work/a.test.mjs"
expect fail "node: a todo test" check_node_output x "$node_todo" 0 "$counts_ok" "$work/a.test.mjs"
expect fail "node: no summary at all" check_node_output x "$gtest_silent" 0 "$counts_ok" "$work/a.test.mjs"
expect fail "node: a failing exit status" check_node_output x "$node_ok" 1 "$counts_ok" "$work/a.test.mjs"
expect fail "node: no test files given" node_counted x --

# The real runners, end to end, on files that hold no test.
printf 'import "node:assert";\n' >"$work/empty.test.mjs"
expect fail "node --test on a file with no test" node_counted x "$work/empty.test.mjs"
printf 'import { test } from "node:test";\ntest("one", () => {});\n' >"$work/one.test.mjs"
expect pass "node --test on a file with one passing test" node_counted x "$work/one.test.mjs"
printf 'import { test } from "node:test";\ntest("one", { skip: true }, () => {});\n' >"$work/skip.test.mjs"
expect fail "node --test on two files, one with no test" node_counted x "$work/one.test.mjs" "$work/empty.test.mjs"
expect fail "node --test on a file whose test is skipped" node_counted x "$work/skip.test.mjs"

if [[ $failures -ne 0 ]]; then exit 1; fi
echo "test_counts_test: all passed"
