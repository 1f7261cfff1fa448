#!/usr/bin/env bash
# A model group of two deployments, one of them with a slow tail: the
# client's time to first token under `strategy: weighted`, `latency`, and
# `latency` with hedging, side by side, and what hedging costs in upstream
# calls. See bench/README.md ("Tail latency").
#
#   bench/tail_latency.sh [--quick]
#
# Env (defaults in brackets; --quick shortens the durations):
#   BENCH_TAIL_DURATION [20]   seconds of each measured run      (--quick: 8)
#   BENCH_TAIL_WARMUP [3]      seconds of warm-up before it      (--quick: 2)
#   BENCH_TAIL_CONCURRENCY [32]  clients, each one stream at a time
#   BENCH_TAIL_BASE_MS [20]    both deployments' delay before the first byte
#   BENCH_TAIL_SLOW_RATIO [0.05], BENCH_TAIL_SLOW_MS [2000]
#                              the slow deployment's tail: this share of its answers
#                              (evenly spread) wait this long instead
#   BENCH_TAIL_HEDGE_MS [300]  hedge_after_ms of the hedged config
#   BENCH_TAIL_TOKENS [20], BENCH_TAIL_TPS [100]  each stream's length and pace
#   BENCH_TAIL_CONFIGS ["weighted latency latency+hedge"]
#   BENCH_PROXY_CPU [0]  the gateway's core; BENCH_LOAD_CPU [1]  the mocks' and the client's
#   LLMGW_BIN [build/release/llmgw, built when missing]
#   BENCH_RESULTS  append the rows to this JSON-lines file instead of printing the table
#                  (bench/run.sh's `tail` target)
#   BENCH_KEEP=1 keeps the temp folder (each process's output, the configs)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=$repo_root/bench
bench_name=bench-tail
# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"

parse_quick_option "${BASH_SOURCE[0]}" 24 "$@"
if [[ $quick -eq 1 ]]; then
  duration=${BENCH_TAIL_DURATION:-8}; warmup=${BENCH_TAIL_WARMUP:-2}
else
  duration=${BENCH_TAIL_DURATION:-20}; warmup=${BENCH_TAIL_WARMUP:-3}
fi
concurrency=${BENCH_TAIL_CONCURRENCY:-32}
base_ms=${BENCH_TAIL_BASE_MS:-20}
slow_ratio=${BENCH_TAIL_SLOW_RATIO:-0.05}
slow_ms=${BENCH_TAIL_SLOW_MS:-2000}
hedge_ms=${BENCH_TAIL_HEDGE_MS:-300}
tokens=${BENCH_TAIL_TOKENS:-20}
tps=${BENCH_TAIL_TPS:-100}
configs=${BENCH_TAIL_CONFIGS:-weighted latency latency+hedge}
proxy_cpu=${BENCH_PROXY_CPU:-0}
load_cpu=${BENCH_LOAD_CPU:-1}
for n in "$duration" "$warmup" "$concurrency" "$base_ms" "$slow_ms" "$hedge_ms" "$tokens" "$proxy_cpu" "$load_cpu"; do
  [[ $n =~ ^[0-9]+$ ]] || die "expected a whole number, got \"$n\" (see --help)"
done
[[ $concurrency -gt 0 && $duration -gt 0 ]] || die "BENCH_TAIL_CONCURRENCY and BENCH_TAIL_DURATION must be above 0"
[[ $slow_ratio =~ ^(0(\.[0-9]+)?|1(\.0*)?)$ ]] || die "BENCH_TAIL_SLOW_RATIO=$slow_ratio: expected a share from 0 to 1 (0.05)"
[[ $tps =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_TAIL_TPS=$tps: expected a number of tokens per second"
gateway_key=sk-bench-gateway-key
upstream_key=sk-bench-upstream-key

require_tools taskset node curl
require_cores "$proxy_cpu" "$load_cpu"
llmgw_release_bin

bench_make_tmp
results=${BENCH_RESULTS:-$tmp/results.jsonl}

# --- two vendors: the same base delay, one with a slow tail -------------------
start_mock() {  # start_mock NAME SCRIPT : prints nothing, sets mock_port
  start_bg "$1" "$load_cpu" "$bin" mock-vendor --host 127.0.0.1 --port 0 --workers 1 --no-record \
    --api-key "$upstream_key" --script "$2"
  mock_port=$(wait_listening "$1" "$last_pid")
}
start_mock steady "latency_ms=$base_ms"
steady_port=$mock_port
start_mock tail "latency_ms=$base_ms,slow_ratio=$slow_ratio,slow_ms=$slow_ms"
tail_port=$mock_port
log "mocks: steady :$steady_port, tail :$tail_port (every answer after ${base_ms} ms; the tail's" \
    "share $slow_ratio after ${slow_ms} ms), cpu $load_cpu"

reset_mocks() {
  curl -sf -X POST "http://127.0.0.1:$steady_port/_mock/reset" >/dev/null
  curl -sf -X POST "http://127.0.0.1:$tail_port/_mock/reset" >/dev/null
}

# --- the gateway, once per config ------------------------------------------------
llmgw_pid=""; llmgw_port=""
start_llmgw() {  # start_llmgw NAME GROUP_YAML : 1 when it refused to start (its stderr in $tmp/NAME.err)
  local name=$1
  cat >"$tmp/$name.yaml" <<EOF
usage: {enabled: false}
providers:
  - {name: steady, type: openai-compatible, base_url: "http://127.0.0.1:$steady_port/v1", api_key: "$upstream_key"}
  - {name: tail, type: openai-compatible, base_url: "http://127.0.0.1:$tail_port/v1", api_key: "$upstream_key"}
model_groups:
  main:
$2
    deployments:
      - {provider: steady, model: gpt-4o-mini}
      - {provider: tail, model: gpt-4o-mini}
EOF
  # Only the variables the benchmark means: no vendor key from the caller's
  # environment may add routes.
  start_bg "$name" "$proxy_cpu" env -i PATH="$PATH" HOME="${HOME:-/root}" LLMGW_MASTER_KEY="$gateway_key" \
    "$bin" serve --host 127.0.0.1 --port 0 --workers 1 --no-access-log --config "$tmp/$name.yaml"
  llmgw_pid=$last_pid
  if llmgw_port=$(try_listening "$name" "$llmgw_pid"); then return 0; fi
  stop_pid "$llmgw_pid"
  forget_pid "$llmgw_pid"
  return 1
}

run_client() {  # run_client SECONDS OUT
  taskset -c "$load_cpu" node "$bench_dir/tail_client.mjs" --url "http://127.0.0.1:$llmgw_port/v1/chat/completions" \
    --key "$gateway_key" --model main --concurrency "$concurrency" --duration-ms "$(($1 * 1000))" \
    --tokens "$tokens" --tps "$tps" >"$2"
  [[ -s "$2" ]] || die "the client printed nothing"
}

log "settings: $concurrency clients, ${duration}s runs after ${warmup}s warm-up, streams of $tokens tokens at" \
    "$tps tokens/s; gateway on cpu $proxy_cpu"

# What the report's heading says, in every row.
settings="\"settings\":{\"concurrency\":$concurrency,\"duration_s\":$duration,\"base_ms\":$base_ms,\"slow_ratio\":$slow_ratio,\"slow_ms\":$slow_ms,\"hedge_after_ms\":$hedge_ms,\"tokens\":$tokens,\"tps\":$tps}"
for config in $configs; do
  case "$config" in
    weighted) group="    strategy: weighted" ;;
    latency) group="    strategy: latency" ;;
    latency+hedge) group="    strategy: latency
    hedge_after_ms: $hedge_ms" ;;
    *) die "unknown config $config (expected weighted, latency or latency+hedge)" ;;
  esac
  name=llmgw-${config//+/-}
  if ! start_llmgw "$name" "$group"; then
    # A build without hedging refuses the key at start: say so in the row.
    if [[ $config == *hedge* ]] && grep -q 'hedge_after_ms' "$tmp/$name.err"; then
      log "$config: not supported by this build: $(head -c 300 "$tmp/$name.err")"
      echo "{\"kind\":\"tail\",\"config\":\"$config\",$settings,\"unsupported\":true}" >>"$results"
      continue
    fi
    cat "$tmp/$name.err" >&2
    die "$config: llmgw did not start"
  fi
  run_client "$warmup" "$tmp/warmup-$name.json"
  reset_mocks
  run_client "$duration" "$tmp/client-$name.json"
  # A cancelled call is counted when the mock sees its connection close.
  sleep 0.5
  stats="{\"steady\":$(curl -sf "http://127.0.0.1:$steady_port/_mock/stats"),\"tail\":$(curl -sf "http://127.0.0.1:$tail_port/_mock/stats")}"
  stop_pid "$llmgw_pid"
  forget_pid "$llmgw_pid"
  echo "{\"kind\":\"tail\",\"config\":\"$config\",$settings,\"mocks\":$stats,\"data\":$(cat "$tmp/client-$name.json")}" >>"$results"
  log "$config: $(cat "$tmp/client-$name.json")"
  log "$config: mocks $stats"
done

if [[ -z ${BENCH_RESULTS:-} ]]; then
  echo "llmgw $(cd "$repo_root" && git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "gateway on cpu $proxy_cpu; both mock vendors + client on cpu $load_cpu; ${duration}s per config after ${warmup}s warm-up"
  echo
  node "$bench_dir/report.mjs" "$results" - - -
fi
