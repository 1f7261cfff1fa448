# shellcheck shell=bash
# Shell helpers shared by the benchmark drivers (run.sh, tail_latency.sh,
# open_loop.sh): a temp folder removed on exit, background processes pinned
# to a core and stopped on exit (also on failure or Ctrl-C), ports, the
# request bodies, and nginx and llmgw started as the proxies under test.
# Sourced; defines functions and the variables they set, nothing runs. The
# caller sets bench_name (the log prefix) first.

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

cpu_ticks() {  # cpu_ticks PID : user + system clock ticks of a process so far (0 when none)
  [[ -n ${1:-} && -r /proc/$1/stat ]] || { echo 0; return; }
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

cpu_ticks_tree() {  # cpu_ticks_tree PID : the same for a process and its children, those it reaped included
  [[ -n ${1:-} && -r /proc/$1/stat ]] || { echo 0; return; }
  local files=("/proc/$1/stat") child
  for child in $(pgrep -P "$1"); do files+=("/proc/$child/stat"); done
  # Fields 16 and 17 hold the CPU of the children a process waited for: a
  # child that exits between two readings moves its time there.
  cat "${files[@]}" 2>/dev/null | awk '{ s += $14 + $15 + $16 + $17 } END { print s + 0 }'
}

core_ticks() {  # core_ticks CPU : "BUSY IRQ TOTAL", clock ticks of one core so far (/proc/stat)
  # busy: all but idle and iowait; irq: of that, interrupts and softirqs
  # (kept for diagnosis; mostly also charged to the process that raised them).
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, $7 + $8, t }' /proc/stat
}

bench_write_bodies() {  # bench_write_bodies DIR : the request bodies, body-{1k,256k,stream-gpt,stream-claude,stream-messages}.json
  node - "$1" <<'EOF'
const fs = require('node:fs');
const dir = process.argv[2];
const filler = 'The quick brown fox jumps over the lazy dog while the gateway relays every byte. ';
function body(size) {
  const skeleton = (content) => JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      { role: 'user', content },
    ],
    max_tokens: 16,
    temperature: 0,
  });
  const room = size - Buffer.byteLength(skeleton(''));
  return skeleton(filler.repeat(Math.ceil(room / filler.length)).slice(0, room));
}
fs.writeFileSync(`${dir}/body-1k.json`, body(1024));
fs.writeFileSync(`${dir}/body-256k.json`, body(256 * 1024));
// Streamed completions of 20 tokens, unpaced: the throughput of whole
// streams, passed through (OpenAI upstream) and translated (Anthropic).
const streamed = (model) => JSON.stringify({
  model, stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'Say something. [mock:tokens=20]' }],
});
fs.writeFileSync(`${dir}/body-stream-gpt.json`, streamed('gpt-4o-mini'));
fs.writeFileSync(`${dir}/body-stream-claude.json`, streamed('claude-3-5-haiku-latest'));
// The reverse translation: an Anthropic client (Messages API) whose model is
// served by the OpenAI upstream.
fs.writeFileSync(`${dir}/body-stream-messages.json`, streamed('gpt-4o-mini'));
EOF
}

# --- the proxies under test ---------------------------------------------------
# run.sh and open_loop.sh start them alike. They read the caller's settings:
# tmp, bench_dir, bin, mock_port (the upstream), proxy_cpu, gateway_key,
# upstream_key (and master_key, when set, as llmgw's master key), access_log
# (off, file or stdout), nginx_log_format, nginx_request_buffering and
# usage_records (sqlite, off, or postgres: the caller passes DATABASE_URL).

# shellcheck disable=SC2154  # the caller's settings
check_target() {  # check_target NAME URL [HEADER] : one request must answer 200
  local code
  code=$(curl -s -o "$tmp/check-$1.txt" -w '%{http_code}' -X POST "$2" \
    -H 'content-type: application/json' -H "authorization: Bearer $gateway_key" ${3:+-H "$3"} \
    --data-binary "@$tmp/body-1k.json" || true)
  [[ $code == 200 ]] || { cat "$tmp/check-$1.txt" >&2 || true; die "$1: sanity request answered $code, not 200"; }
}

nginx_port=""; nginx_stream_port=""; nginx_master=""
# shellcheck disable=SC2154,SC2034  # the caller's settings; ports and pids are for the caller
start_nginx() {
  nginx_port=$(free_port)
  nginx_stream_port=$(free_port)
  [[ $nginx_stream_port != "$nginx_port" ]] || nginx_stream_port=$((nginx_port + 1))
  local user_line="" access="off"
  # As root the master would hand the worker to `nobody`, which cannot use
  # our temp folder; keep the worker as the user running the benchmark.
  [[ $(id -u) -ne 0 ]] || user_line="user root root;"
  # Buffered as a production nginx logs: one write per 64 KB or per second.
  [[ $access_log == off ]] || access="$tmp/nginx-access.log $nginx_log_format buffer=64k flush=1s"
  mkdir -p "$tmp/nginx"
  sed -e "s|@TMP@|$tmp/nginx|g" -e "s|@USER_LINE@|$user_line|" -e "s|@ACCESS_LOG@|$access|" \
      -e "s|@REQUEST_BUFFERING@|$nginx_request_buffering|" -e "s|@UPSTREAM_PORT@|$mock_port|" \
      -e "s|@PORT@|$nginx_port|" -e "s|@STREAM_PORT@|$nginx_stream_port|" \
      "$bench_dir/nginx.conf.in" >"$tmp/nginx/nginx.conf"
  start_bg nginx "$proxy_cpu" nginx -p "$tmp/nginx" -e "$tmp/nginx/nginx-error.log" -c "$tmp/nginx/nginx.conf"
  nginx_master=$last_pid
  if ! wait_port "$nginx_port" || ! wait_port "$nginx_stream_port"; then
    cat "$tmp/nginx/nginx-error.log" >&2
    die "nginx did not start"
  fi
}
nginx_worker() { pgrep -P "$nginx_master" | head -1; }
stop_nginx() { stop_pid "$nginx_master"; forget_pid "$nginx_master"; }

llmgw_port=""; llmgw_pid=""
# shellcheck disable=SC2154,SC2034  # the caller's settings; ports and pids are for the caller
start_llmgw() {  # start_llmgw [EXTRA_YAML [EXTRA_ENV...]]
  local flags=(--host 127.0.0.1 --port 0 --workers 1 --config "$tmp/llmgw.yaml") extra_yaml=${1:-}
  shift || true
  : >"$tmp/llmgw.yaml"
  case "$access_log" in
    off) flags+=(--no-access-log) ;;
    file) printf 'access_log:\n  path: %s\n' "$tmp/llmgw-access.log" >>"$tmp/llmgw.yaml" ;;
  esac
  case "$usage_records" in
    off) printf 'usage: {enabled: false}\n' >>"$tmp/llmgw.yaml" ;;
    postgres) printf 'usage: {spool_dir: %s}\n' "$tmp" >>"$tmp/llmgw.yaml" ;;
    *) printf 'usage: {sqlite_path: %s, spool_dir: %s}\n' "$tmp/usage.db" "$tmp" >>"$tmp/llmgw.yaml" ;;
  esac
  printf '%s\n' "$extra_yaml" >>"$tmp/llmgw.yaml"
  # Only the variables the benchmark means: no vendor key from the caller's
  # environment may change the routing.
  start_bg llmgw "$proxy_cpu" env -i PATH="$PATH" HOME="${HOME:-/root}" \
    LLMGW_MASTER_KEY="${master_key:-$gateway_key}" OPENAI_API_KEY="$upstream_key" \
    OPENAI_BASE_URL="http://127.0.0.1:$mock_port/v1" \
    ANTHROPIC_API_KEY="$upstream_key" ANTHROPIC_BASE_URL="http://127.0.0.1:$mock_port" "$@" "$bin" serve "${flags[@]}"
  llmgw_pid=$last_pid
  llmgw_port=$(wait_listening llmgw "$llmgw_pid")
}
stop_llmgw() { stop_pid "$llmgw_pid"; forget_pid "$llmgw_pid"; }

# --quick and --help, the options of a bench script that has no others: sets
# `quick` (0 or 1); --help prints the script's header comment up to line LAST.
# shellcheck disable=SC2034  # `quick` is read by the calling script
parse_quick_option() {  # parse_quick_option SCRIPT LAST "$@"
  local script=$1 last=$2 arg
  shift 2
  quick=0
  for arg in "$@"; do
    case "$arg" in
      --quick) quick=1 ;;
      -h|--help) sed -n "2,${last}p" "$script" | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown option $arg (see --help)" ;;
    esac
  done
}
