#!/usr/bin/env node
// A fixed number of clients, each sending streamed chat completions one
// after another for a fixed time; prints one JSON line with the count of
// requests and the percentiles of their time to first token.
//
//   node bench/tail_client.mjs --url http://127.0.0.1:PORT/v1/chat/completions
//        [--concurrency 32] [--duration-ms 20000] [--tokens 20] [--tps 100]
//        [--key KEY] [--model main] [--timeout-ms 30000]
//
// Time to first token is from sending the request to the first event whose
// delta carries content (text or a tool call): a role-only chunk, or a
// response head a gateway sends before the vendor answered, is not a token.
// Time to first byte (the first body byte) is reported beside it.
//
// Closed loop: a client sends its next request when the last one ended, so
// a slow answer also holds back that client's next request. No client starts
// a request after --duration-ms; those in flight then finish (or time out)
// and are counted.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    'duration-ms': { type: 'string', default: '20000' },
    tokens: { type: 'string', default: '20' },
    tps: { type: 'string', default: '100' },
    key: { type: 'string', default: 'sk-bench' },
    model: { type: 'string', default: 'main' },
    'timeout-ms': { type: 'string', default: '30000' },
  },
});
if (!opt.url) {
  console.error('tail_client: --url is required');
  process.exit(2);
}

const url = new URL(opt.url);
const concurrency = Number(opt.concurrency);
const durationMs = Number(opt['duration-ms']);
const timeoutMs = Number(opt['timeout-ms']);
const body = JSON.stringify({
  model: opt.model,
  stream: true,
  messages: [{ role: 'user', content: `Tell me something. [mock:tokens=${opt.tokens},tps=${opt.tps}]` }],
});
const headers = {
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
  authorization: `Bearer ${opt.key}`,
};
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });

const ttft = [];
const ttfb = [];
const errors = new Map();
let requests = 0;
let ok = 0;
const providers = new Map();

// True when one SSE event (its text, without the blank line) is a chunk
// whose delta carries content.
function hasContent(event) {
  if (!event.startsWith('data:') || event.startsWith('data: [DONE]')) return false;
  try {
    const chunk = JSON.parse(event.slice(5));
    const delta = chunk.choices?.[0]?.delta;
    return Boolean(delta && ((typeof delta.content === 'string' && delta.content !== '') || delta.tool_calls?.length));
  } catch {
    return false;
  }
}

function one() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let firstByte = 0;
    let firstToken = 0;
    let tail = '';
    let sawDone = false;
    let settled = false;
    requests++;
    const finish = (reason) => {
      if (settled) return;
      settled = true;
      if (reason) {
        errors.set(reason, (errors.get(reason) ?? 0) + 1);
      } else {
        ok++;
        ttfb.push(firstByte - t0);
        ttft.push(firstToken - t0);
      }
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
        const provider = res.headers['x-llmgw-provider'];
        if (provider) providers.set(provider, (providers.get(provider) ?? 0) + 1);
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const now = performance.now();
          if (!firstByte) firstByte = now;
          const parts = (tail + chunk).split('\n\n');
          tail = parts.pop();
          for (const ev of parts) {
            if (!firstToken && hasContent(ev)) firstToken = now;
            if (ev.startsWith('data: [DONE]')) sawDone = true;
          }
        });
        res.on('end', () => {
          if (!sawDone) return finish('stream ended without [DONE]');
          if (!firstToken) return finish('stream without content');
          finish(null);
        });
        res.on('error', (e) => finish(`response ${e.code ?? e.message}`));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish(`request ${e.code ?? e.message}`));
    req.end(body);
  });
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

const started = performance.now();
const client = async () => {
  while (performance.now() - started < durationMs) await one();
};
await Promise.all(Array.from({ length: concurrency }, client));
agent.destroy();

ttft.sort((a, b) => a - b);
ttfb.sort((a, b) => a - b);
const result = {
  concurrency,
  requests,
  ok,
  failed: requests - ok,
  ttft_ms: { p50: pct(ttft, 50), p95: pct(ttft, 95), p99: pct(ttft, 99), max: pct(ttft, 100) },
  ttfb_ms: { p50: pct(ttfb, 50), p99: pct(ttfb, 99) },
  providers: Object.fromEntries(providers),
  wall_s: Math.round(performance.now() - started) / 1000,
  errors: Object.fromEntries(errors),
};
console.log(JSON.stringify(result));
