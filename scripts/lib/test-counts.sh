# Sourced by scripts/test.sh and scripts/tsan.sh: runners that cannot pass
# empty. A test binary or a node --test run that executes zero tests exits 0
# on its own (a filter that matches nothing, a folder with no test files, a
# glob Node reads differently); these wrappers make that a failure, and a
# skipped or todo test one too, so a green run means tests ran and passed.

test_counts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# gtest_counted BINARY [ARGS...]: runs a googletest binary; fails when it
# fails, ran no test, or skipped one.
gtest_counted() {
  local out rc=0
  out=$(mktemp)
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  check_gtest_output "$out" "$rc"
  rc=$?
  rm -f "$out"
  return $rc
}

# check_gtest_output FILE RC: the verdict on a googletest run's output.
check_gtest_output() {
  local file=$1 rc=$2 ran skipped
  ran=$(sed -nE 's/^\[==========\] ([0-9]+) tests? from .* ran\..*/\1/p' "$file" | tail -1)
  skipped=$(sed -nE 's/^\[  SKIPPED \] ([0-9]+) tests?.*/\1/p' "$file" | tail -1)
  if [[ $rc -ne 0 ]]; then return "$rc"; fi
  if [[ -z $ran || $ran -eq 0 ]]; then
    echo "test-counts: no test ran (${ran:-no count printed}): a runner that runs nothing does not pass" >&2
    return 1
  fi
  if [[ -n $skipped && $skipped -ne 0 ]]; then
    echo "test-counts: $skipped test(s) skipped; a skipped test is not a passed one" >&2
    return 1
  fi
  echo "test-counts: $ran tests ran and passed"
}

# node_counted NAME FILE... [-- NODE_ARGS...]: runs node --test on explicit
# files (never a folder: Node 21 and later read arguments as globs); fails
# when node fails, no file is given, a file ran no test, or a test was
# skipped or todo. With LLMGW_TEST_FILTER set (a --test-name-pattern run,
# where Node reports what the pattern leaves out as skipped) it only asks
# that some test ran. LLMGW_SUITE_TIMEOUT_S bounds the whole run (2400 s).
node_counted() {
  local name=$1 files=() args=() out counts rc=0
  shift
  while [[ $# -gt 0 && $1 != -- ]]; do files+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  args=("$@")
  if [[ ${#files[@]} -eq 0 ]]; then
    echo "test-counts: $name: no test files found" >&2
    return 1
  fi
  out=$(mktemp)
  counts=$(mktemp)
  # TAP on stdout (its summary lines are read below and are the same on every
  # Node version), and each file's count of tests to $counts.
  timeout --kill-after=30 "${LLMGW_SUITE_TIMEOUT_S:-2400}" \
    node --test --test-reporter=tap --test-reporter-destination=stdout \
      --test-reporter="$test_counts_dir/../../tests/lib/file_counts_reporter.mjs" \
      --test-reporter-destination="$counts" "${args[@]}" "${files[@]}" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  check_node_output "$name" "$out" "$rc" "$counts" "${files[@]}"
  rc=$?
  rm -f "$out" "$counts"
  return $rc
}

# check_node_output NAME OUTPUT RC COUNTS FILE...: the verdict on a node --test
# run: its TAP summary ("# tests N", "# pass N", "# skipped N", "# todo N")
# and COUNTS, the file_counts_reporter's "<tests> <file>" lines.
check_node_output() {
  local name=$1 file=$2 rc=$3 counts=$4 tests pass skipped todo f n bad=0
  shift 4
  tests=$(sed -nE 's/^# tests ([0-9]+)$/\1/p' "$file" | tail -1)
  pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$file" | tail -1)
  skipped=$(sed -nE 's/^# skipped ([0-9]+)$/\1/p' "$file" | tail -1)
  todo=$(sed -nE 's/^# todo ([0-9]+)$/\1/p' "$file" | tail -1)
  if [[ $rc -ne 0 ]]; then return "$rc"; fi
  if [[ -z $tests || $tests -eq 0 ]]; then
    echo "test-counts: $name: no test ran (${tests:-no summary printed})" >&2
    return 1
  fi
  if [[ -n ${LLMGW_TEST_FILTER:-} ]]; then
    echo "test-counts: $name: $tests tests matched by the filter ran and passed (${skipped:-0} left out)"
    return 0
  fi
  if [[ ${skipped:-0} -ne 0 || ${todo:-0} -ne 0 || ${pass:-0} -ne $tests ]]; then
    echo "test-counts: $name: $tests tests, ${pass:-0} passed, ${skipped:-0} skipped, ${todo:-0} todo" >&2
    return 1
  fi
  for f in "$@"; do
    n=$(awk -v f="$(realpath "$f")" '$2 == f { print $1 }' "$counts")
    if [[ -z $n || $n -eq 0 ]]; then
      echo "test-counts: $name: $f ran no test" >&2
      bad=1
    fi
  done
  [[ $bad -eq 0 ]] || return 1
  echo "test-counts: $name: $tests tests in ${#@} files ran and passed"
}
