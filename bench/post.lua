-- wrk script for bench/run.sh: POST the JSON body in $BENCH_BODY_FILE with the
-- key in $BENCH_KEY, then print one machine-readable summary line.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "sk-bench")
-- One more header, "Name: value" (e.g. a cache-control for the cache rows).
local extra = os.getenv("BENCH_HEADER")
if extra and extra ~= "" then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

-- BENCH_UNIQUE_BODIES=1: every non-stream request's first message content
-- starts with a number of its own, so no two bodies are alike (a cache miss
-- as a new question makes it, where identical bodies with no-store reuse one
-- key). It costs wrk a string built per request. Stream bodies are left as
-- they are: the stream rows measure the relay, not the cache.
if os.getenv("BENCH_UNIQUE_BODIES") == "1" and not wrk.body:find('"stream"%s*:%s*true') then
  local head, tail = wrk.body:match('^(.-"content"%s*:%s*")(.*)$')
  assert(head, "BENCH_UNIQUE_BODIES: the body has no \"content\" string")
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  local n = math.random(1, 1e9) * 1000
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, head .. n .. " " .. tail)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d," ..
    "\"err_connect\":%d,\"err_read\":%d,\"err_write\":%d,\"err_status\":%d,\"err_timeout\":%d}\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
