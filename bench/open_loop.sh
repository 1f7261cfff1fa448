#!/usr/bin/env bash
# Open-loop latency (issue 13 item 5): at fixed request rates, what nginx
# and llmgw add to the latency of a 1 KB non-streamed chat completion over
# talking to the upstream directly. See bench/README.md ("Open-loop latency").
#
#   bench/open_loop.sh [--quick]
#
# For each rate, direct, nginx and llmgw one after another, each measured by
# llmgw_rate_client (bench/rate_client.cpp): request i is due at
# t0 + i/rate whatever happened before, and its latency runs from that due
# time to the last byte of its answer.
#
# Env (defaults in brackets; --quick shortens the durations):
#   BENCH_RATES ["5000 20000"]  requests per second, one table row each per target
#   BENCH_DURATION [10]  measured seconds of each run             (--quick: 3)
#   BENCH_WARMUP [2]     seconds at the same rate before it       (--quick: 1)
#   BENCH_CONNS [64]     the client's keep-alive connections
#   BENCH_TARGETS ["direct direct-cross nginx llmgw"]  direct-cross: no proxy, but the mock
#                        alone on the proxy core, so each request crosses between the cores
#                        as through a proxy (what that crossing costs on this machine)
#   BENCH_PROXY_CPU [0]  the core the proxy under test has to itself
#   BENCH_LOAD_CPU [1]   the core shared by the mock upstream and the client
#   BENCH_ACCESS_LOG [file]  off, file or stdout, as in run.sh (on by default here:
#                        nginx buffered, llmgw's access_log.path)
#   BENCH_NGINX_LOG_FORMAT [json]  json or combined, as in run.sh
#   BENCH_USAGE [sqlite]  llmgw's usage records: sqlite or off
#   LLMGW_BIN [build/release/llmgw, built when missing]
#   RATE_CLIENT_BIN [build/release/llmgw_rate_client, built when missing or older than its source]
#   BENCH_KEEP=1 keeps the temp folder (every process's output, each run's JSON line)
# The table is printed and also written to build/bench/open_loop.md.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=$repo_root/bench
bench_name=bench-open-loop
# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"

parse_quick_option "${BASH_SOURCE[0]}" 29 "$@"
if [[ $quick -eq 1 ]]; then
  duration=${BENCH_DURATION:-3}; warmup=${BENCH_WARMUP:-1}
else
  duration=${BENCH_DURATION:-10}; warmup=${BENCH_WARMUP:-2}
fi
rates=${BENCH_RATES:-5000 20000}
conns=${BENCH_CONNS:-64}
targets=${BENCH_TARGETS:-direct direct-cross nginx llmgw}
proxy_cpu=${BENCH_PROXY_CPU:-0}
load_cpu=${BENCH_LOAD_CPU:-1}
access_log=${BENCH_ACCESS_LOG:-file}
usage_records=${BENCH_USAGE:-sqlite}
nginx_request_buffering=on
for n in $rates "$duration" "$warmup" "$conns"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "expected a whole number above 0, got \"$n\" (see --help)"
done
[[ $proxy_cpu =~ ^[0-9]+$ && $load_cpu =~ ^[0-9]+$ ]] || die "BENCH_PROXY_CPU and BENCH_LOAD_CPU: expected core numbers"
[[ $access_log != on ]] || access_log="file"
case "$access_log" in off|file|stdout) ;; *) die "BENCH_ACCESS_LOG=$access_log: expected off, file or stdout" ;; esac
case "$usage_records" in off|sqlite) ;; *) die "BENCH_USAGE=$usage_records: expected sqlite or off" ;; esac
case "${BENCH_NGINX_LOG_FORMAT:-json}" in
  json) nginx_log_format=gateway_json ;;
  combined) nginx_log_format=combined ;;
  *) die "BENCH_NGINX_LOG_FORMAT=$BENCH_NGINX_LOG_FORMAT: expected json or combined" ;;
esac
for target in $targets; do
  case "$target" in direct|direct-cross|nginx|llmgw) ;; *) die "unknown target $target (direct, direct-cross, nginx, llmgw)" ;; esac
done
gateway_key=sk-bench-gateway-key
upstream_key=sk-bench-upstream-key

tools=(taskset node curl)
[[ " $targets " != *" nginx "* ]] || tools+=(nginx)
require_tools "${tools[@]}"
require_cores "$proxy_cpu" "$load_cpu"
llmgw_release_bin

client=${RATE_CLIENT_BIN:-$repo_root/build/release/llmgw_rate_client}
if [[ -n ${RATE_CLIENT_BIN:-} ]]; then
  [[ -x $client ]] || die "RATE_CLIENT_BIN=$client is not executable"
elif [[ ! -x $client || $bench_dir/rate_client.cpp -nt $client ]]; then
  log "building llmgw_rate_client (release)"
  (cd "$repo_root" && cmake --preset release >/dev/null &&
    cmake --build --preset release -j "$(nproc)" --target llmgw_rate_client >/dev/null) ||
    die "could not build llmgw_rate_client"
fi

bench_make_tmp
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bench_write_bodies "$tmp"
results=$tmp/results.jsonl
: >"$results"

# --- the upstream: the mock vendor on the load core ----------------------------
start_bg mock "$load_cpu" "$bin" mock-vendor --host 127.0.0.1 --port 0 --workers 1
mock_pid=$last_pid
mock_port=$(wait_listening mock "$mock_pid")
log "mock vendor on :$mock_port (cpu $load_cpu)"
cross_port=""; cross_pid=""
if [[ " $targets " == *" direct-cross "* ]]; then
  start_bg mock-cross "$proxy_cpu" "$bin" mock-vendor --host 127.0.0.1 --port 0 --workers 1
  cross_pid=$last_pid
  cross_port=$(wait_listening mock-cross "$cross_pid")
  log "mock vendor for direct-cross on :$cross_port (cpu $proxy_cpu)"
fi

run_rate() {  # run_rate TARGET RATE URL PROXY_PID|-
  local target=$1 rate=$2 url=$3 ppid=$4 out p0 p1 m0 m1 hz secs
  out=$tmp/rate-$target-$rate.json
  hz=$(getconf CLK_TCK)
  # Per-process CPU (exact: from the scheduler's run time). The per-core
  # counts of /proc/stat are sampled at timer ticks, which a core that idles
  # between requests mostly skips.
  p0=$(cpu_ticks "$ppid"); m0=$(cpu_ticks "$mock_pid")
  taskset -c "$load_cpu" "$client" --url "$url" --rate "$rate" --duration "$duration" --warmup "$warmup" \
    --conns "$conns" --body-file "$tmp/body-1k.json" --key "$gateway_key" >"$out" 2>"$tmp/rate-$target-$rate.err" ||
    { cat "$tmp/rate-$target-$rate.err" >&2; die "$target at $rate req/s: the client failed"; }
  p1=$(cpu_ticks "$ppid"); m1=$(cpu_ticks "$mock_pid")
  secs=$((duration + warmup))
  # The whole run, warm-up included: the CPU shares are those of the same rate.
  echo "{\"target\":\"$target\",\"rate\":$rate,\"proxy_cpu_pct\":$(((p1 - p0) * 100 / hz / secs))," \
       "\"mock_cpu_pct\":$(((m1 - m0) * 100 / hz / secs)),\"data\":$(cat "$out")}" >>"$results"
  log "$target at $rate req/s: $(cat "$out")"
}

log "settings: rates $rates; ${duration}s runs after ${warmup}s warm-up at the same rate, $conns connections;" \
    "proxy on cpu $proxy_cpu, mock + client on cpu $load_cpu; access log $access_log; usage $usage_records"
log "machine load before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

for rate in $rates; do
  for target in $targets; do
    case "$target" in
      direct)
        url=http://127.0.0.1:$mock_port/v1/chat/completions
        check_target direct "$url"
        run_rate direct "$rate" "$url" -
        ;;
      direct-cross)
        url=http://127.0.0.1:$cross_port/v1/chat/completions
        check_target direct-cross "$url"
        run_rate direct-cross "$rate" "$url" "$cross_pid"
        ;;
      nginx)
        start_nginx
        url=http://127.0.0.1:$nginx_port/v1/chat/completions
        check_target nginx "$url"
        run_rate nginx "$rate" "$url" "$(nginx_worker)"
        stop_nginx
        ;;
      llmgw)
        start_llmgw ""
        url=http://127.0.0.1:$llmgw_port/v1/chat/completions
        check_target llmgw "$url"
        run_rate llmgw "$rate" "$url" "$llmgw_pid"
        stop_llmgw
        ;;
    esac
  done
done

# --- report --------------------------------------------------------------------
mkdir -p "$repo_root/build/bench"
{
  echo "llmgw $(cd "$repo_root" && git describe --always --dirty 2>/dev/null || echo '?'), $(nginx -v 2>&1 | sed 's/.*: //'), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "open loop (llmgw_rate_client): 1 KB non-streamed chat completions; proxy alone on cpu $proxy_cpu, mock vendor + client on cpu $load_cpu;" \
       "${duration}s per run after ${warmup}s warm-up at the same rate; $conns connections; access log $access_log; llmgw usage records $usage_records"
  echo
  node - "$results" "$load_cpu" <<'EOF'
const fs = require('node:fs');
const [file, loadCpu] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const us = (v) => Math.round(v).toLocaleString('en-US');
const added = (v, base) => (base === undefined ? '–' : `${v - base >= 0 ? '+' : '−'}${us(Math.abs(v - base))}`);
console.log('| target | rate | achieved | p50 µs | p99 µs | p99.9 µs | added p50 | added p99 | late | errors | proxy CPU | mock + client CPU |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const notes = [];
for (const r of rows) {
  const d = r.data;
  const direct = rows.find((x) => x.rate === r.rate && x.target === 'direct');
  const base = direct && r.target !== 'direct' ? direct.data : undefined;
  // direct-cross: its mock is the process on the proxy core.
  const cpu = r.target === 'direct' ? '–' : r.target === 'direct-cross' ? `(mock ${r.proxy_cpu_pct}%)` : `${r.proxy_cpu_pct}%`;
  console.log(`| ${r.target} | ${us(r.rate)} | ${us(d.achieved)} | ${us(d.p50_us)} | ${us(d.p99_us)} | ${us(d.p999_us)} | ` +
    `${base ? added(d.p50_us, base.p50_us) : '–'} | ${base ? added(d.p99_us, base.p99_us) : '–'} | ${d.late} | ${d.errors} | ` +
    `${cpu} | ${r.mock_cpu_pct}% + ${Math.round(d.client_cpu_pct)}% |`);
  // The answers could not keep up, or stalls outlasted what the connections cover.
  const behind = d.achieved < 0.98 * r.rate || d.errors > 0;
  if (r.target === 'direct' && behind) {
    notes.push(`direct did not hold ${us(r.rate)} req/s with the mock and the client on cpu ${loadCpu} ` +
      `(achieved ${us(d.achieved)}, ${d.late} late, ${d.errors} errors; mock ${r.mock_cpu_pct}% and client ` +
      `${Math.round(d.client_cpu_pct)}% of the core): ` +
      'at this rate the load core (or other work on the machine) is a limit, and the proxies\' rows measure it too.');
  } else if (behind) {
    notes.push(`${r.target} at ${us(r.rate)} req/s fell behind: achieved ${us(d.achieved)}, ${d.late} late, ` +
      `${d.errors} errors (${d.non_2xx} non-2xx, ${d.resets} resets, ${d.unfinished} unanswered).`);
  }
  if (d.late > 0.001 * d.scheduled) {
    notes.push(`${r.target} at ${us(r.rate)} req/s: ${d.late} requests found all ${d.conns} connections busy, ` +
      `i.e. answers stalled for more than ${d.conns} / rate = ${us(d.conns / r.rate * 1e6)} µs at times` +
      `${r.target.startsWith('direct') ? ', without a proxy' : ''}.`);
  }
  const loadCore = r.mock_cpu_pct + d.client_cpu_pct;
  if (loadCore > 85) {
    notes.push(`${r.target} at ${us(r.rate)} req/s: the mock and the client kept cpu ${loadCpu} ${Math.round(loadCore)}% ` +
      'busy; waiting for it is part of these latencies.');
  }
  if (d.send_lag_p99_us > 1000) {
    notes.push(`${r.target} at ${us(r.rate)} req/s: the client itself sent 1% of the requests it had a connection ` +
      `for more than ${us(d.send_lag_p99_us)} µs after their due time: the load core was busy or the machine disturbed.`);
  }
}
console.log();
console.log('Latency runs from each request\'s due time (t0 + i/rate) to the arrival of the last byte of its answer ' +
  '(the kernel\'s receive time); "added" is the target\'s percentile minus direct\'s at the same rate. direct-cross: ' +
  'no proxy, the mock alone on the proxy core, so each request crosses between the cores once each way (a proxy: twice). ' +
  '"late": requests that found no idle connection at their due time (they still count from it). CPU: each process, in % ' +
  `of one core over the run, warm-up included (the proxy alone on its core; the mock and the client share cpu ${loadCpu}).`);
if (rows.some((r) => !r.data.rx_timestamps)) {
  notes.push('some runs had no kernel receive times: their latencies end when the client read the answer.');
}
for (const n of notes) console.log(`\n- ${n}`);
EOF
} | tee "$repo_root/build/bench/open_loop.md"
