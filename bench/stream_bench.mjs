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
// Raw sockets (node:net), one per stream, and events counted by their
// "data: " lines in the bytes as they come, without decoding or splitting
// them: 8,000 streams at 10 events/s are 80,000 reads a second on a core
// the upstream shares, and node:http with string splitting cost twice as
// much per event. The same client for every target; each response must be
// a 200 with chunked framing, ending in its last chunk after [DONE].
import net from 'node:net';
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

const request = Buffer.from(
  `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    '\r\n' +
    body,
);
const dataMark = Buffer.from('data: ');
const doneMark = Buffer.from('data: [DONE]');
const lastChunk = Buffer.from('\r\n0\r\n\r\n');
const keep = doneMark.length;  // bytes carried over so a mark split across reads is still seen

// Occurrences of `mark` in `buf` from `from` on.
function count(buf, mark, from) {
  let n = 0;
  for (let i = buf.indexOf(mark, from); i >= 0; i = buf.indexOf(mark, i + mark.length)) n++;
  return n;
}

function one() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let first = 0;
    let done = false;
    let head = null;  // bytes of the response head until it is whole
    let headDone = false;
    let tail = Buffer.alloc(0);  // the last bytes of the previous read
    let sawDone = false;
    const sock = net.connect({ host: url.hostname, port: Number(url.port) });
    const finish = (reason) => {
      if (done) return;
      done = true;
      open--;
      if (first) streaming--;
      if (reason) fail(reason);
      else {
        ok++;
        total.push(performance.now() - t0);
      }
      sock.destroy();
      resolve();
    };
    sock.setTimeout(timeoutMs, () => finish('timeout'));
    sock.on('connect', () => sock.write(request));
    sock.on('data', (chunk) => {
      if (!headDone) {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.subarray(9, 12).toString('latin1');
        if (status !== '200') return finish(`status ${status}`);
        headDone = true;
        chunk = head.subarray(end + 4);
        head = null;
        if (chunk.length === 0) return;
      }
      if (!first) {
        first = performance.now();
        ttfb.push(first - t0);
        if (++streaming > peakStreaming) peakStreaming = streaming;
      }
      // Events counted by their "data: " lines, without decoding a byte;
      // the chunk framing never holds one.
      const text = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      const from = tail.length ? Math.max(0, tail.length - dataMark.length + 1) : 0;
      const seen = count(text, dataMark, from);
      const doneAt = sawDone ? -1 : text.indexOf(doneMark, Math.max(0, tail.length - doneMark.length + 1));
      if (doneAt >= 0) {
        sawDone = true;
        events += doneAt >= from ? seen - 1 : seen;  // [DONE] is not an event
      } else {
        events += seen;
      }
      tail = text.subarray(Math.max(0, text.length - keep));
      // The last chunk of the response: the stream is whole.
      if (text.length >= lastChunk.length && text.subarray(text.length - lastChunk.length).equals(lastChunk)) {
        finish(sawDone ? null : 'stream ended without [DONE]');
      }
    });
    sock.on('error', (e) => finish(`socket ${e.code ?? e.message}`));
    sock.on('close', () => finish(sawDone ? 'closed before the last chunk' : 'stream ended without [DONE]'));
    open++;
    if (open > peakOpen) peakOpen = open;
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
