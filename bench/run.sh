#!/usr/bin/env bash
# llmgw against nginx, in one run, on this machine. See bench/README.md for
# what is measured, how, and the compromises of a 2-core machine.
#
#   bench/run.sh [--quick | --gate]
#
# --gate: the regression gate. A short run (--quick's durations, no idle,
# concurrent-streams or tail test, access logs on) of the wrk rows, whose
# ratios to nginx must each stay within 10% of bench/baseline.md (exit 1
# otherwise); bench/gate.mjs compares.
#
# Env (defaults in brackets; --quick shortens the durations):
#   BENCH_DURATION [10]  seconds of each measured wrk run   (--quick: 3)
#   BENCH_WARMUP [2]     seconds of wrk warm-up before it   (--quick: 1)
#   BENCH_CONNS [64]     wrk connections
#   BENCH_WRK [1]        0: no wrk rows (the stream test, and tail if asked, alone)
#   BENCH_STREAMS [1000] concurrent streams (0: no stream test)
#   BENCH_STREAM_TOKENS [50], BENCH_STREAM_TPS [10]  each stream lasts tokens/tps s (--quick: 20 tokens)
#   BENCH_STREAM_RAMP_MS [1000]  streams start evenly spread over this time
#   BENCH_IDLE_CONNS [1000]  idle keep-alive connections, each after one 1 KB request (0: no idle test)
#   BENCH_IDLE_RAMP_MS [2000]  they open evenly spread over this time
#   BENCH_IDLE_SETTLE_S [5]  RSS is read this long after the last one went idle
#   BENCH_PROXY_CPU [0]  the core the proxy under test has to itself
#   BENCH_LOAD_CPU [1]   the core shared by the mock upstream and the load generator
#   BENCH_ACCESS_LOG [off]  file (or on): nginx and llmgw both write an access log to a file
#                           (nginx buffered, buffer=64k flush=1s; llmgw access_log.path);
#                           stdout: the same for nginx, llmgw's log on stdout sent to a file
#   BENCH_NGINX_REQUEST_BUFFERING [on]  nginx's proxy_request_buffering
#   BENCH_NGINX_LOG_FORMAT [json]  nginx's access log line: json (request id, upstream
#                           timings; bench/nginx.conf.in's gateway_json) or combined
#   BENCH_TARGETS ["direct nginx llmgw llmgw-norec llmgw-pg llmgw-all llmgw-redis llmgw-shared tail"]
#                           llmgw-norec: llmgw's 1 KB row with usage records off; llmgw-pg: the
#                           same with records to a PostgreSQL (scripts/services.sh start-postgres,
#                           on the load core); llmgw-all: every embedded feature
#                           on (a key with limits in the memory limiter, a memory-cache lookup
#                           that misses, usage records, the access log); llmgw-redis: a key with limits in Redis
#                           and the response cache in Redis (miss and hit rows); llmgw-shared: every
#                           feature with shared state (limits and a cache miss in Redis, usage
#                           records to PostgreSQL, both on the load core); tail: a model group
#                           of two deployments, one with a slow tail, under three strategies
#                           (bench/tail_latency.sh, whose BENCH_TAIL_* settings it passes on);
#                           pairs: the 1 KB row of nginx, llmgw, llmgw-norec, llmgw-pg,
#                           llmgw-all, llmgw-redis (miss and hit) and llmgw-shared taken in turn,
#                           BENCH_PAIRS rounds, each ratio from one round (see below)
#   BENCH_PAIRS [5]  rounds of the pairs target; BENCH_PAIR_SECONDS [4] per row (after the warm-up)
#   BENCH_USAGE [sqlite]  llmgw's usage records: sqlite (usage.db in the temp folder, the
#                           shipping default) or off (usage: {enabled: false})
#   LLMGW_BIN [build/release/llmgw, built when missing]
#   BENCH_KEEP=1 keeps the temp folder (logs, generated nginx.conf)
# The table is printed and also written to build/bench/latest.md.
# After its wrk rows, llmgw (records to SQLite), llmgw-pg and llmgw-shared are stopped (SIGTERM
# drains the record queue) and the rows in their database are counted against
# the requests the gateway answered (its /metrics) and its access-log lines.
# Each wrk row also records every process's CPU and both cores' busy share.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir=$repo_root/bench
bench_name=bench
# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"

quick=0
gate=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --gate)
      quick=1 gate=1
      # The rows baseline.md records, as a deployment runs: access logs on.
      : "${BENCH_STREAMS:=0}" "${BENCH_IDLE_CONNS:=0}" "${BENCH_TARGETS:=nginx llmgw llmgw-all llmgw-redis}" "${BENCH_ACCESS_LOG:=file}"
      ;;
    -h|--help) sed -n '2,48p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [[ $quick -eq 1 ]]; then
  duration=${BENCH_DURATION:-3}; warmup=${BENCH_WARMUP:-1}; stream_tokens=${BENCH_STREAM_TOKENS:-20}
else
  duration=${BENCH_DURATION:-10}; warmup=${BENCH_WARMUP:-2}; stream_tokens=${BENCH_STREAM_TOKENS:-50}
fi
conns=${BENCH_CONNS:-64}
wrk_rows=${BENCH_WRK:-1}
streams=${BENCH_STREAMS:-1000}
stream_tps=${BENCH_STREAM_TPS:-10}
stream_ramp_ms=${BENCH_STREAM_RAMP_MS:-1000}
idle_conns=${BENCH_IDLE_CONNS:-1000}
idle_ramp_ms=${BENCH_IDLE_RAMP_MS:-2000}
idle_settle_s=${BENCH_IDLE_SETTLE_S:-5}
proxy_cpu=${BENCH_PROXY_CPU:-0}
load_cpu=${BENCH_LOAD_CPU:-1}
access_log=${BENCH_ACCESS_LOG:-off}
usage_records=${BENCH_USAGE:-sqlite}
case "$usage_records" in off|sqlite) ;; *) echo "bench: BENCH_USAGE=$usage_records: expected sqlite or off" >&2; exit 2 ;; esac
[[ $access_log != on ]] || access_log="file"
case "$access_log" in off|file|stdout) ;; *) echo "bench: BENCH_ACCESS_LOG=$access_log: expected off, file or stdout" >&2; exit 2 ;; esac
nginx_request_buffering=${BENCH_NGINX_REQUEST_BUFFERING:-on}
case "${BENCH_NGINX_LOG_FORMAT:-json}" in
  json) nginx_log_format=gateway_json ;;
  combined) nginx_log_format=combined ;;
  *) echo "bench: BENCH_NGINX_LOG_FORMAT=$BENCH_NGINX_LOG_FORMAT: expected json or combined" >&2; exit 2 ;;
esac
targets=${BENCH_TARGETS:-direct nginx llmgw llmgw-norec llmgw-pg llmgw-all llmgw-redis llmgw-shared tail}
gateway_key=sk-bench-gateway-key
upstream_key=sk-bench-upstream-key

tools=(taskset node curl)
[[ " $targets " != *" nginx "* && " $targets " != *" pairs "* ]] || tools+=(nginx)
[[ " $targets " != *" llmgw-redis "* && " $targets " != *" llmgw-shared "* && " $targets " != *" pairs "* ]] ||
  tools+=(redis-server redis-cli)
[[ " $targets " != *" llmgw "* || $usage_records != sqlite ]] || tools+=(sqlite3)
if [[ " $targets " == *" llmgw-pg "* || " $targets " == *" llmgw-shared "* || " $targets " == *" pairs "* ]]; then
  tools+=(psql)
  # scripts/services.sh also finds the server's tools where Debian keeps them.
  compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || tools+=(initdb pg_ctl)
fi
[[ $wrk_rows == 0 ]] || for target in $targets; do [[ $target == tail ]] || { tools+=(wrk); break; }; done
require_tools "${tools[@]}"
require_cores "$proxy_cpu" "$load_cpu"
llmgw_release_bin

bench_make_tmp
# A PostgreSQL (llmgw-pg) runs detached from us: stopped on exit too.
trap 'stop_postgres; bench_cleanup' EXIT

# 1,000 streams through a proxy hold 2,000+ sockets at once.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[[ $(ulimit -n) -ge $((streams * 2 + 512)) ]] || log "warning: ulimit -n is $(ulimit -n), low for $streams streams"
[[ $(ulimit -n) -ge $((idle_conns + 1024)) ]] || log "warning: ulimit -n is $(ulimit -n), low for $idle_conns idle connections"

kb_of() {  # kb_of PID FIELD : a /proc/PID/status field in kB
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# --- request bodies ----------------------------------------------------------
bench_write_bodies "$tmp"

results=$tmp/results.jsonl
: >"$results"
record() { echo "$1" >>"$results"; }

# --- the upstream: the mock vendor on the load core ----------------------------
start_bg mock "$load_cpu" "$bin" mock-vendor --host 127.0.0.1 --port 0 --workers 1
mock_pid=$last_pid
mock_port=$(wait_listening mock "$mock_pid")
log "mock vendor on :$mock_port (cpu $load_cpu)"

# Commands the gateway sent to Redis so far (INFO commandstats), when a Redis
# runs: those a client sends, not the ones the limit script runs inside.
redis_calls() {
  [[ -n $redis_port ]] || { echo 0; return; }
  redis-cli -p "$redis_port" INFO commandstats |
    sed -nE 's/^cmdstat_(evalsha|eval|get|set|script\|load|asking|ping):calls=([0-9]+),.*/\2/p' |
    awk '{ s += $1 } END { print s + 0 }'
}

# Each process's CPU over a run, and each core's: is the proxy the limit, or
# the load core? Clock ticks so far, one word each: proxy, mock, wrk (the CPU
# of the children this shell reaped: wrk, once it exited), postgres (its
# server and every backend), redis ("-" for one not running); then the busy,
# irq and total ticks of the proxy core and of the load core (/proc/stat).
bench_proxy_pid=""
cpu_sample() {
  local pid
  for pid in "$bench_proxy_pid" "$mock_pid"; do
    if [[ -n $pid ]]; then cpu_ticks "$pid"; else echo -; fi
  done
  awk '{ print $16 + $17 }' "/proc/$$/stat"
  if [[ -n $pg_pid ]]; then cpu_ticks_tree "$pg_pid"; else echo -; fi
  if [[ -n $redis_pid ]]; then cpu_ticks "$redis_pid"; else echo -; fi
  core_ticks "$proxy_cpu"
  core_ticks "$load_cpu"
}
cpu_delta() {  # cpu_delta MICROSECONDS "SAMPLE0" "SAMPLE1" : sets cpu_json (ticks, hz a second) and cpu_text (%)
  local a b i d busy irq total hz us=$1 names=(proxy mock wrk postgres redis proxy_core - - load_core)
  hz=$(getconf CLK_TCK)
  read -ra a <<<"$2"; read -ra b <<<"$3"
  cpu_json="{\"hz\":$hz,\"seconds\":$((us / 1000000)).$(printf '%06d' $((us % 1000000)))" cpu_text=""
  for i in 0 1 2 3 4; do
    if [[ ${a[i]} == - || ${b[i]} == - ]]; then
      cpu_json+=",\"${names[i]}\":null"; cpu_text+="${names[i]} –, "
    else
      d=$((b[i] - a[i])); cpu_json+=",\"${names[i]}\":$d"; cpu_text+="${names[i]} $((d * 100000000 / hz / us))%, "
    fi
  done
  cpu_text+="of one core; busy:"
  for i in 5 8; do
    busy=$((b[i] - a[i])) irq=$((b[i + 1] - a[i + 1])) total=$((b[i + 2] - a[i + 2]))
    cpu_json+=",\"${names[i]}\":{\"busy\":$busy,\"irq\":$irq,\"total\":$total}"
    cpu_text+=" ${names[i]/_/ } $((busy * 100 / (total > 0 ? total : 1)))% (irq $((irq * 100 / (total > 0 ? total : 1)))%)"
  done
  cpu_json+="}"
}

wrk_kind=wrk pair_round=0  # the pairs target records its rows as kind "pair", with their round
run_wrk() {  # run_wrk TARGET TEST BODYFILE URL [HEADER]
  [[ $wrk_rows != 0 ]] || return 0
  local target=$1 test=$2 body=$3 url=$4 header=${5:-} out line calls0 calls1 c0 c1 t0 t1
  out=$tmp/wrk-$target-$test.txt
  BENCH_BODY_FILE=$body BENCH_KEY=$gateway_key BENCH_HEADER=$header \
    taskset -c "$load_cpu" wrk -t1 -c"$conns" -d"${warmup}s" --timeout 10s -s "$bench_dir/post.lua" "$url" >/dev/null
  calls0=$(redis_calls)
  c0=$(cpu_sample | tr '\n' ' '); t0=${EPOCHREALTIME/[.,]/}
  BENCH_BODY_FILE=$body BENCH_KEY=$gateway_key BENCH_HEADER=$header \
    taskset -c "$load_cpu" wrk -t1 -c"$conns" -d"${duration}s" --timeout 10s --latency -s "$bench_dir/post.lua" "$url" >"$out"
  t1=${EPOCHREALTIME/[.,]/}; c1=$(cpu_sample | tr '\n' ' ')
  calls1=$(redis_calls)
  cpu_delta $((t1 - t0)) "$c0" "$c1"
  log "$target $test: CPU over the run: $cpu_text"
  line=$(grep -m1 '^BENCH_JSON ' "$out") || { cat "$out" >&2; die "wrk printed no summary"; }
  line=${line#BENCH_JSON }
  record "{\"kind\":\"$wrk_kind\",\"round\":$pair_round,\"target\":\"$target\",\"test\":\"$test\",\"redis_calls\":$((calls1 - calls0)),\"cpu\":$cpu_json,\"data\":$line}"
  log "$target $test: $(grep -E 'Requests/sec' "$out" | tr -s ' ')"
}

run_streams() {  # run_streams TARGET URL PROXY_PID|-
  local target=$1 url=$2 ppid=$3 out idle=0 peak=0
  [[ $streams -gt 0 ]] || return 0
  out=$tmp/streams-$target.json
  [[ $ppid == - ]] || idle=$(kb_of "$ppid" VmRSS)
  # The proxy's open descriptors, sampled: how many streams it really held
  # at once (each holds a client and an upstream socket).
  local fds=$tmp/fds-$target.txt sampler=""
  echo 0 >"$fds"
  if [[ $ppid != - ]]; then
    (max=0; while kill -0 "$ppid" 2>/dev/null; do
      n=$(find "/proc/$ppid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
      [[ $n -le $max ]] || { max=$n; echo "$max" >"$fds"; }
      sleep 0.25; done) &
    sampler=$!
  fi
  taskset -c "$load_cpu" node "$bench_dir/stream_bench.mjs" --url "$url" --key "$gateway_key" \
    --streams "$streams" --tokens "$stream_tokens" --tps "$stream_tps" --ramp-ms "$stream_ramp_ms" \
    >"$out" || log "$target: some streams failed: $(cat "$out")"
  [[ -z $sampler ]] || { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; }
  [[ $ppid == - ]] || peak=$(kb_of "$ppid" VmHWM)
  [[ -s "$out" ]] || die "$target: stream client printed nothing"
  record "{\"kind\":\"streams\",\"target\":\"$target\",\"idle_rss_kb\":${idle:-0},\"peak_rss_kb\":${peak:-0},\"peak_fds\":$(cat "$fds"),\"data\":$(cat "$out")}"
  log "$target streams: $(cat "$out")"
}

run_idle() {  # run_idle TARGET URL PROXY_PID : idle keep-alive connections on a fresh proxy
  local target=$1 url=$2 ppid=$3 out base rss cpid
  [[ $idle_conns -gt 0 ]] || return 0
  out=$tmp/idle-$target.json
  base=$(kb_of "$ppid" VmRSS)
  taskset -c "$load_cpu" node "$bench_dir/idle_bench.mjs" --url "$url" --key "$gateway_key" \
    --connections "$idle_conns" --ramp-ms "$idle_ramp_ms" --hold-ms $((idle_settle_s * 1000 + 3000)) \
    --body-file "$tmp/body-1k.json" >"$out" 2>"$tmp/idle-$target.err" &
  cpid=$!
  # The client prints its line once every connection is idle.
  while [[ ! -s $out ]] && kill -0 "$cpid" 2>/dev/null; do sleep 0.1; done
  sleep "$idle_settle_s"
  rss=$(kb_of "$ppid" VmRSS)
  wait "$cpid" || log "$target: some idle connections failed: $(cat "$out" "$tmp/idle-$target.err")"
  [[ -s "$out" ]] || die "$target: idle client printed nothing"
  record "{\"kind\":\"idle\",\"target\":\"$target\",\"base_rss_kb\":${base:-0},\"idle_rss_kb\":${rss:-0},\"data\":$(head -1 "$out")}"
  log "$target idle: $(head -1 "$out"), RSS ${base} kB before, ${rss} kB idle"
}

nonstream_tests() {  # nonstream_tests TARGET URL
  check_target "$1" "$2"
  [[ $wrk_rows != 0 ]] || return 0
  run_wrk "$1" 1k "$tmp/body-1k.json" "$2"
  run_wrk "$1" 256k "$tmp/body-256k.json" "$2"
}

# --- proxies under test, one at a time, each alone on the proxy core --------
# (start_nginx and start_llmgw are in lib.sh.)

redis_port=""; redis_pid=""
start_redis() {
  redis_port=$(free_port)
  mkdir -p "$tmp/redis"
  start_bg redis "$load_cpu" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp/redis"
  redis_pid=$last_pid
  wait_port "$redis_port" || die "redis-server did not start"
}
stop_redis() { redis-cli -p "$redis_port" INFO commandstats >"$tmp/redis-commandstats.txt" 2>/dev/null || true
  stop_pid "$redis_pid"; forget_pid "$redis_pid"; redis_port=""; redis_pid=""; }

# PostgreSQL as scripts/services.sh starts it for the integration tests (its
# test settings: loopback, trust, fsync off), its cluster in the temp folder,
# pinned to the load core: taskset's affinity passes to the server it starts.
pg_pid=""; database_url=""
start_postgres() {
  database_url=$(taskset -c "$load_cpu" "$repo_root/scripts/services.sh" start-postgres "$tmp/pg") ||
    die "postgres did not start"
  pg_pid=$(head -1 "$tmp/pg/data/postmaster.pid")
}
stop_postgres() {  # also one whose start failed half-way
  [[ -d ${tmp:-}/pg ]] || return 0
  "$repo_root/scripts/services.sh" stop-postgres "$tmp/pg" || true
  rm -rf "${tmp:?}/pg"  # the next target that needs one starts a fresh cluster
  pg_pid=""; database_url=""
}

# --- usage records: rows in the database against requests answered (issue 11) --
usage_rows() {  # usage_rows SINK : rows in usage_records so far
  case "$1" in
    sqlite) if [[ -f $tmp/usage.db ]]; then sqlite3 "$tmp/usage.db" 'SELECT count(*) FROM usage_records'; else echo 0; fi ;;
    postgres) psql "$database_url" -v ON_ERROR_STOP=1 -tAc 'SELECT count(*) FROM usage_records' ;;
  esac
}
access_lines() {  # access_lines : llmgw's access-log lines so far (stdout: of the gateway running last)
  local file=$tmp/llmgw-access.log
  [[ $access_log == file ]] || file=$tmp/llmgw.out
  if [[ -f $file ]]; then grep -c '"type":"access"' "$file" || true; else echo 0; fi
}
llmgw_metric() {  # llmgw_metric NAME : the sum of a metric's samples on the running llmgw
  curl -sf "http://127.0.0.1:$llmgw_port/metrics" |
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%d\n", s }'
}
drain_llmgw() {  # SIGTERM: llmgw finishes its requests and writes its queued records before it exits
  kill "$llmgw_pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$llmgw_pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$llmgw_pid" 2>/dev/null || log "llmgw still running 30 s after SIGTERM: killed, its queued records lost"
  stop_llmgw
}
check_records() {  # check_records TARGET SINK ROWS_BEFORE LINES_BEFORE : stops llmgw, then rows = requests?
  local target=$1 sink=$2 requests dropped spooled rows lines=null
  # The requests it finished, once none is in flight (wrk's last ones end when
  # it hangs up): warm-up and sanity requests included, as in the database.
  for _ in $(seq 1 50); do [[ $(llmgw_metric llmgw_requests_in_flight) -gt 1 ]] || break; sleep 0.1; done
  requests=$(llmgw_metric llmgw_requests_total)
  dropped=$(llmgw_metric llmgw_usage_records_dropped_total)
  # What the load left waiting in the spool: an inserter that keeps up leaves
  # at most its last batch or two (SIGTERM then stores the rest either way).
  spooled=$(llmgw_metric llmgw_usage_spool_bytes)
  drain_llmgw
  rows=$(($(usage_rows "$sink") - $3))
  case "$access_log" in
    file) lines=$(($(access_lines) - $4)) ;;
    stdout) lines=$(access_lines) ;;
  esac
  record "{\"kind\":\"records\",\"target\":\"$target\",\"sink\":\"$sink\",\"requests\":$requests,\"rows\":$rows,\"access_lines\":$lines,\"dropped\":$dropped,\"spool_bytes_at_end\":$spooled}"
  log "$target: usage records to $sink: $rows rows for $requests requests answered (/metrics);" \
      "access-log lines ${lines/null/off}; dropped $dropped; $spooled bytes in the spool when the load ended"
}

# A gateway key with limits no load reaches (decided on every request), then
# the config's cache section.
limited_key_config() {  # limited_key_config CACHE_YAML
  printf 'keys:\n  - {name: bench, key: %s, limits: {rpm: 1000000000, tpm: 1000000000000}}\n%s\n' \
    "$gateway_key" "$1"
}

# The 1 KB row through the llmgw just started, a cache lookup on every
# request that misses: no-store keeps identical bodies out.
run_miss_row() {  # run_miss_row TARGET ROW
  local url="http://127.0.0.1:$llmgw_port/v1/chat/completions"
  bench_proxy_pid=$llmgw_pid
  check_target "$1" "$url" "Cache-Control: no-store"
  run_wrk "$1" "$2" "$tmp/body-1k.json" "$url" "Cache-Control: no-store"
  bench_proxy_pid=""
}

# Issue 10's rows, with Redis (started) for the limits of the limited key
# and the response cache: a lookup that misses (no-store keeps identical
# bodies out, so the cache must start empty), then the same body again and
# again, every request after the first a hit.
run_redis_rows() {
  start_llmgw "$(limited_key_config 'cache: {ttl: 600}')" REDIS_URL="redis://127.0.0.1:$redis_port"
  log "llmgw (Redis limits + cache) on :$llmgw_port, cpu $proxy_cpu; redis on cpu $load_cpu"
  run_miss_row llmgw-redis 1k-miss
  bench_proxy_pid=$llmgw_pid
  run_wrk llmgw-redis 1k-hit "$tmp/body-1k.json" "http://127.0.0.1:$llmgw_port/v1/chat/completions"
  bench_proxy_pid=""
  stop_llmgw
}

# Issue 13's shared-state row: the limits and a cache lookup that misses in
# Redis, usage records to PostgreSQL (both started, on the load core). The
# gateway is left running: check_records reads its counts, then stops it.
run_shared_row() {
  local saved=$usage_records
  usage_records=postgres
  start_llmgw "$(limited_key_config 'cache: {ttl: 600}')" REDIS_URL="redis://127.0.0.1:$redis_port" \
    DATABASE_URL="$database_url"
  log "llmgw (Redis limits + cache, PostgreSQL usage) on :$llmgw_port, cpu $proxy_cpu; redis and postgres on cpu $load_cpu"
  run_miss_row llmgw-shared 1k-shared
  usage_records=$saved
}

log "settings: ${duration}s runs after ${warmup}s warm-up, $conns connections; $streams streams of" \
    "$stream_tokens tokens at $stream_tps tokens/s; proxy on cpu $proxy_cpu, mock + load on cpu $load_cpu;" \
    "access log $access_log"

for target in $targets; do
  case "$target" in
    direct)
      url=http://127.0.0.1:$mock_port/v1/chat/completions
      nonstream_tests direct "$url"
      run_wrk direct stream "$tmp/body-stream-gpt.json" "$url"
      run_streams direct "$url" -
      ;;
    nginx)
      start_nginx
      bench_proxy_pid=$(nginx_worker)
      log "nginx on :$nginx_port (streams :$nginx_stream_port), cpu $proxy_cpu"
      nonstream_tests nginx "http://127.0.0.1:$nginx_port/v1/chat/completions"
      run_wrk nginx stream "$tmp/body-stream-gpt.json" "http://127.0.0.1:$nginx_stream_port/v1/chat/completions"
      bench_proxy_pid=""
      stop_nginx
      if [[ $streams -gt 0 ]]; then
        # A fresh process, so peak RSS is that of the streams alone.
        start_nginx
        run_streams nginx "http://127.0.0.1:$nginx_stream_port/v1/chat/completions" "$(nginx_worker)"
        stop_nginx
      fi
      if [[ $idle_conns -gt 0 ]]; then
        start_nginx
        run_idle nginx "http://127.0.0.1:$nginx_port/v1/chat/completions" "$(nginx_worker)"
        stop_nginx
      fi
      ;;
    llmgw)
      [[ $usage_records == off ]] || { rows0=$(usage_rows "$usage_records"); lines0=$(access_lines); }
      start_llmgw
      bench_proxy_pid=$llmgw_pid
      log "llmgw on :$llmgw_port, cpu $proxy_cpu"
      nonstream_tests llmgw "http://127.0.0.1:$llmgw_port/v1/chat/completions"
      run_wrk llmgw stream "$tmp/body-stream-gpt.json" "http://127.0.0.1:$llmgw_port/v1/chat/completions"
      run_wrk llmgw stream-claude "$tmp/body-stream-claude.json" "http://127.0.0.1:$llmgw_port/v1/chat/completions"
      run_wrk llmgw stream-messages "$tmp/body-stream-messages.json" "http://127.0.0.1:$llmgw_port/v1/messages"
      bench_proxy_pid=""
      if [[ $usage_records == off ]]; then stop_llmgw; else check_records llmgw "$usage_records" "$rows0" "$lines0"; fi
      if [[ $streams -gt 0 ]]; then
        start_llmgw
        run_streams llmgw "http://127.0.0.1:$llmgw_port/v1/chat/completions" "$llmgw_pid"
        stop_llmgw
      fi
      if [[ $idle_conns -gt 0 ]]; then
        start_llmgw
        run_idle llmgw "http://127.0.0.1:$llmgw_port/v1/chat/completions" "$llmgw_pid"
        stop_llmgw
      fi
      ;;
    llmgw-norec|llmgw-pg)
      # llmgw's 1 KB row again, with usage records off, then to PostgreSQL
      # (on the load core): what the records cost the gateway (issue 11).
      saved_usage=$usage_records
      if [[ $target == llmgw-norec ]]; then
        usage_records=off row=1k-norec
        start_llmgw
      else
        usage_records=postgres row=1k-pg
        start_postgres
        log "postgres (pid $pg_pid) on cpu $load_cpu"
        lines0=$(access_lines)
        start_llmgw "" DATABASE_URL="$database_url"
      fi
      bench_proxy_pid=$llmgw_pid
      log "$target on :$llmgw_port, cpu $proxy_cpu"
      url="http://127.0.0.1:$llmgw_port/v1/chat/completions"
      check_target "$target" "$url"
      run_wrk "$target" "$row" "$tmp/body-1k.json" "$url"
      bench_proxy_pid=""
      if [[ $target == llmgw-norec ]]; then stop_llmgw; else check_records llmgw-pg postgres 0 "$lines0"; stop_postgres; fi
      usage_records=$saved_usage
      ;;
    llmgw-redis)
      # As deployed with shared state: Redis (on the load core) for the
      # limits of a key with limits, and the response cache in Redis.
      start_redis
      # Its own key: the master key (the same value otherwise) has no limits.
      master_key=$gateway_key
      gateway_key=sk-bench-limited-key
      run_redis_rows
      stop_redis
      gateway_key=$master_key
      ;;
    llmgw-shared)
      # Every feature on as a multi-instance deployment runs it (issue 13).
      start_redis
      start_postgres
      master_key=$gateway_key
      gateway_key=sk-bench-limited-key
      lines0=$(access_lines)
      run_shared_row
      check_records llmgw-shared postgres 0 "$lines0"
      stop_postgres
      stop_redis
      gateway_key=$master_key
      ;;
    llmgw-all)
      # Every embedded feature on, as the README's first command deploys it
      # plus a key with limits and the cache: the access log (per
      # BENCH_ACCESS_LOG), the memory limiter deciding the key's limits, a
      # memory-cache lookup that misses, usage records to SQLite.
      master_key=$gateway_key
      gateway_key=sk-bench-limited-key
      start_llmgw "$(limited_key_config 'cache: {backend: memory, ttl: 600}')"
      log "llmgw (every feature on, embedded) on :$llmgw_port, cpu $proxy_cpu"
      run_miss_row llmgw-all 1k-all
      stop_llmgw
      gateway_key=$master_key
      ;;
    pairs)
      # This machine's speed swings by a quarter within minutes, more than
      # the differences the issues' targets ask about; rows a minute apart
      # then compare two machines. Here each round takes the 1 KB row of
      # nginx and of four llmgw configurations back to back, shorter, and
      # every ratio comes from one round: the report gives each round's and
      # their median. One PostgreSQL (on the load core) serves every round.
      saved_usage=$usage_records saved_duration=$duration
      duration=${BENCH_PAIR_SECONDS:-4} wrk_kind=pair
      master_key=$gateway_key
      start_postgres
      start_redis
      for ((pair_round = 1; pair_round <= ${BENCH_PAIRS:-5}; pair_round++)); do
        start_nginx
        bench_proxy_pid=$(nginx_worker)
        run_wrk nginx 1k "$tmp/body-1k.json" "http://127.0.0.1:$nginx_port/v1/chat/completions"
        stop_nginx
        for variant in llmgw llmgw-norec llmgw-pg llmgw-all; do
          usage_records=$saved_usage
          [[ $variant != llmgw-norec ]] || usage_records=off
          if [[ $variant == llmgw-all ]]; then
            gateway_key=sk-bench-limited-key
            start_llmgw "$(limited_key_config 'cache: {backend: memory, ttl: 600}')"
          elif [[ $variant == llmgw-pg ]]; then
            usage_records=postgres
            start_llmgw "" DATABASE_URL="$database_url"
          else
            start_llmgw
          fi
          bench_proxy_pid=$llmgw_pid
          url="http://127.0.0.1:$llmgw_port/v1/chat/completions"
          if [[ $variant == llmgw-all ]]; then
            run_miss_row llmgw-all 1k
          else
            check_target "$variant" "$url"
            run_wrk "$variant" 1k "$tmp/body-1k.json" "$url"
          fi
          stop_llmgw
          gateway_key=$master_key
        done
        # The shared-state rows of issues 10 and 13, from an empty cache
        # (the hit row of the round before stored the answer).
        gateway_key=sk-bench-limited-key usage_records=$saved_usage
        redis-cli -p "$redis_port" FLUSHALL >/dev/null
        run_redis_rows
        redis-cli -p "$redis_port" FLUSHALL >/dev/null
        run_shared_row
        stop_llmgw
        gateway_key=$master_key
      done
      stop_redis
      stop_postgres
      bench_proxy_pid="" wrk_kind=wrk pair_round=0 duration=$saved_duration usage_records=$saved_usage
      ;;
    tail)
      # Its own mocks and gateways, one config after another; its rows join ours.
      quick_flag=()
      [[ $quick -eq 0 ]] || quick_flag=(--quick)
      BENCH_RESULTS=$results LLMGW_BIN=$bin BENCH_PROXY_CPU=$proxy_cpu BENCH_LOAD_CPU=$load_cpu \
        "$bench_dir/tail_latency.sh" "${quick_flag[@]}"
      ;;
    *) die "unknown target $target" ;;
  esac
done

if [[ $access_log != off ]]; then
  llmgw_log=$tmp/llmgw-access.log
  [[ $access_log == file ]] || llmgw_log=$tmp/llmgw.out
  log "access log lines: nginx $({ wc -l <"$tmp/nginx-access.log"; } 2>/dev/null || echo 0)," \
      "llmgw $(grep -c '"type":"access"' "$llmgw_log" 2>/dev/null || echo 0)"
fi

# --- report --------------------------------------------------------------------
mkdir -p "$repo_root/build/bench"
{
  echo "llmgw $(cd "$repo_root" && git describe --always --dirty 2>/dev/null || echo '?'), $(nginx -v 2>&1 | sed 's/.*: //'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "proxy alone on cpu $proxy_cpu; mock vendor + load generator on cpu $load_cpu; ${duration}s per run after ${warmup}s warm-up; $conns connections; access log $access_log"
  echo
  node "$bench_dir/report.mjs" "$results" "$streams" "$stream_tokens" "$stream_tps" "$access_log" "$idle_settle_s"
} | tee "$repo_root/build/bench/latest.md"
if [[ $gate -eq 1 ]]; then
  echo
  node "$bench_dir/gate.mjs" "$results" "$bench_dir/baseline.md" | tee -a "$repo_root/build/bench/latest.md"
  exit "${PIPESTATUS[0]}"
fi
