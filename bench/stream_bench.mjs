#!/usr/bin/env node
// Many concurrent slow streamed chat completions against one URL; prints one
// JSON line with time-to-first-byte percentiles and completion counts.
//
//   node bench/stream_bench.mjs --url http://127.0.0.1:PORT/v1/chat/completions
//        [--streams 1000] [--tokens 50] [--tps 10] [--ramp-ms 1000]
//        [--key KEY] [--model gpt-4o-mini] [--timeout-ms 60000]
//
// Each stream asks the mock vendor for a reply paced so it lasts tokens/tps
// seconds, so all streams are open at once. The request is the same bytes for
// every target: the pacing is a `[mock:tokens=N,tps=N]` marker in the user
// message, which a gateway relays like any text (x-mock-* headers would stop
// at a gateway, which sends the vendor only headers of its own).
// Starts are spread evenly over --ramp-ms: a real fleet of clients does not
// send its SYNs in the same microsecond, and a burst of 1,000 would measure the
// listen backlog instead of the proxy.
//
// Plain node:http with a keep-alive Agent and no socket limit: no SDK, so the
// client's own cost is small and the same for every target.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    streams: { type: 'string', default: '1000' },
    tokens: { type: 'string', default: '50' },
    tps: { type: 'string', default: '10' },
    'ramp-ms': { type: 'string', default: '1000' },
    key: { type: 'string', default: 'sk-bench' },
    model: { type: 'string', default: 'gpt-4o-mini' },
    'timeout-ms': { type: 'string', default: '60000' },
  },
});
if (!opt.url) {
  console.error('stream_bench: --url is required');
  process.exit(2);
}

const url = new URL(opt.url);
const streams = Number(opt.streams);
const rampMs = Number(opt['ramp-ms']);
const timeoutMs = Number(opt['timeout-ms']);
const body = JSON.stringify({
  model: opt.model,
  stream: true,
  messages: [{ role: 'user', content: `Count slowly. [mock:tokens=${opt.tokens},tps=${opt.tps}]` }],
});
const headers = {
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
  authorization: `Bearer ${opt.key}`,
};
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: streams });

const ttfb = [];
const total = [];
const errors = new Map();
let ok = 0;
let events = 0;
let open = 0;
let peakOpen = 0;
// Streams between their first and their last byte: all of them at once only
// when the load generator and the upstream keep up with the pacing.
let streaming = 0;
let peakStreaming = 0;

function fail(reason) {
  errors.set(reason, (errors.get(reason) ?? 0) + 1);
}

function one() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let first = 0;
    let done = false;
    let tail = '';
    let sawDone = false;
    const finish = (reason) => {
      if (done) return;
      done = true;
      open--;
      if (first) streaming--;
      if (reason) fail(reason);
      resolve();
    };
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', () => finish(`status ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (!first) {
            first = performance.now();
            ttfb.push(first - t0);
            if (++streaming > peakStreaming) peakStreaming = streaming;
          }
          // Count events; keep only the unfinished tail between chunks.
          const text = tail + chunk;
          const parts = text.split('\n\n');
          tail = parts.pop();
          for (const ev of parts) {
            if (ev.startsWith('data: [DONE]')) sawDone = true;
            else if (ev.startsWith('data:')) events++;
          }
        });
        res.on('end', () => {
          if (!sawDone) return finish('stream ended without [DONE]');
          ok++;
          total.push(performance.now() - t0);
          finish(null);
        });
        res.on('error', (e) => finish(`response ${e.code ?? e.message}`));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish(`request ${e.code ?? e.message}`));
    open++;
    if (open > peakOpen) peakOpen = open;
    req.end(body);
  });
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

const started = performance.now();
const all = [];
for (let i = 0; i < streams; i++) {
  const at = streams > 1 ? (rampMs * i) / (streams - 1) : 0;
  const wait = at - (performance.now() - started);
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  all.push(one());
}
await Promise.all(all);
agent.destroy();

ttfb.sort((a, b) => a - b);
total.sort((a, b) => a - b);
const result = {
  streams,
  ok,
  failed: streams - ok,
  peak_open: peakOpen,
  peak_streaming: peakStreaming,
  events,
  ttfb_ms: { p50: pct(ttfb, 50), p90: pct(ttfb, 90), p99: pct(ttfb, 99), max: pct(ttfb, 100) },
  total_ms: { p50: pct(total, 50), p99: pct(total, 99) },
  wall_s: Math.round(performance.now() - started) / 1000,
  errors: Object.fromEntries(errors),
};
console.log(JSON.stringify(result));
process.exit(result.failed === 0 ? 0 : 1);
