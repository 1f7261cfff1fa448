# shellcheck shell=bash
# Shell helpers shared by the benchmark drivers (run.sh, tail_latency.sh):
# a temp folder removed on exit, background processes pinned to a core and
# stopped on exit (also on failure or Ctrl-C), ports. Sourced; defines
# functions only. The caller sets bench_name (the log prefix) first.

log() { echo "${bench_name:-bench}: $*" >&2; }
die() { log "$*"; exit 1; }

# Makes $tmp and stops everything start_bg started when the script exits.
# BENCH_KEEP=1 keeps the folder.
pids=()
bench_make_tmp() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmgw-${bench_name:-bench}.XXXXXX")
  chmod 755 "$tmp"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

stop_pid() {  # TERM, then KILL after 5 s
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}

last_pid=""
start_bg() {  # start_bg NAME CPU COMMAND... : runs pinned, output to $tmp/NAME.{out,err}
  local name=$1 cpu=$2
  shift 2
  taskset -c "$cpu" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  last_pid=$!
  pids+=("$last_pid")
}

forget_pid() {
  local keep=() p
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}

try_listening() {  # try_listening NAME PID : prints the port from "... listening on http://H:P"; 1 if it exited
  local name=$1 pid=$2 line
  for _ in $(seq 1 100); do
    line=$(grep -m1 -o 'listening on http://[^ ]*' "$tmp/$name.out" 2>/dev/null || true)
    if [[ -n "$line" ]]; then echo "${line##*:}"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

wait_listening() {  # wait_listening NAME PID : as try_listening, but a process that did not start ends the run
  try_listening "$1" "$2" && return 0
  cat "$tmp/$1.err" >&2 || true
  die "$1 did not start"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port"
}
wait_port() {
  for _ in $(seq 1 100); do port_in_use "$1" && return 0; sleep 0.1; done
  return 1
}

require_tools() {  # require_tools TOOL... : ends the run when one is missing
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/install-deps.sh --with-bench"
  done
}

require_cores() {  # require_cores A B : ends the run unless cores A and B exist
  [[ $(nproc) -gt $(($1 > $2 ? $1 : $2)) ]] || die "needs cores $1 and $2"
}

llmgw_release_bin() {  # sets bin: $LLMGW_BIN, or build/release/llmgw (built when missing)
  bin=${LLMGW_BIN:-$repo_root/build/release/llmgw}
  if [[ ! -x "$bin" ]]; then
    [[ -z "${LLMGW_BIN:-}" ]] || die "LLMGW_BIN=$bin is not executable"
    log "no release build: building it"
    (cd "$repo_root" && cmake --preset release >/dev/null && cmake --build --preset release -j "$(nproc)" --target llmgw)
  fi
  if [[ -f "$repo_root/build/release/CMakeCache.txt" && "$bin" == "$repo_root/build/release/llmgw" ]] &&
     ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$repo_root/build/release/CMakeCache.txt"; then
    log "warning: build/release is not a Release build"
  fi
}
