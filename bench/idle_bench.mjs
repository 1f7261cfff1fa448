#!/usr/bin/env node
// Many idle keep-alive connections: each sends one chat completion, reads
// its answer, then stays open and sends nothing, as a fleet of clients with
// connection pools does between requests. Prints one JSON line when every
// connection is idle ({"connections","ok","failed","idle":true}), then holds
// them for --hold-ms (the caller measures the proxy meanwhile) and closes
// them; exits 1 when some request failed.
//
//   node bench/idle_bench.mjs --url http://127.0.0.1:PORT/v1/chat/completions
//        [--connections 1000] [--ramp-ms 1000] [--hold-ms 5000]
//        [--key KEY] [--body-file FILE] [--timeout-ms 60000]
//
// Raw sockets (node:net), one request each, framed by content-length: the
// answer must be a whole non-streamed response with status 200.
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    connections: { type: 'string', default: '1000' },
    'ramp-ms': { type: 'string', default: '1000' },
    'hold-ms': { type: 'string', default: '5000' },
    key: { type: 'string', default: 'sk-bench' },
    'body-file': { type: 'string' },
    'timeout-ms': { type: 'string', default: '60000' },
  },
});
if (!opt.url) {
  console.error('idle_bench: --url is required');
  process.exit(2);
}

const url = new URL(opt.url);
const count = Number(opt.connections);
const rampMs = Number(opt['ramp-ms']);
const body = opt['body-file']
  ? fs.readFileSync(opt['body-file'])
  : Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello.' }] }));
const request = Buffer.concat([
  Buffer.from(
    `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${opt.key}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
  ),
  body,
]);

const sockets = [];
const errors = new Map();
let ok = 0;
const fail = (reason) => errors.set(reason, (errors.get(reason) ?? 0) + 1);

function one() {
  return new Promise((resolve) => {
    const s = net.connect({ host: url.hostname, port: Number(url.port) });
    sockets.push(s);
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (reason) => {
      if (done) return;
      done = true;
      if (reason) {
        fail(reason);
        s.destroy();
      } else {
        ok++;
      }
      resolve();
    };
    s.setTimeout(Number(opt['timeout-ms']), () => finish('timeout'));
    s.on('connect', () => s.write(request));
    s.on('data', (chunk) => {
      if (done) return fail('bytes on an idle connection');
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = got.subarray(0, end).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) return finish('answer without content-length');
      if (got.length < end + 4 + Number(length[1])) return;
      if (!head.startsWith('HTTP/1.1 200')) return finish(`status ${head.slice(9, 12)}`);
      if (/\r\nconnection:\s*close/i.test(head)) return finish('connection: close');
      s.setTimeout(0);
      finish(null);
    });
    s.on('error', (e) => finish(`socket ${e.code ?? e.message}`));
    s.on('close', () => finish('closed by the server'));
  });
}

const started = performance.now();
const all = [];
for (let i = 0; i < count; i++) {
  const at = count > 1 ? (rampMs * i) / (count - 1) : 0;
  const wait = at - (performance.now() - started);
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  all.push(one());
}
await Promise.all(all);
// Closed by the server while idle: the proxy's keep-alive timeout is too short for the test.
let closedEarly = 0;
for (const s of sockets) s.on('close', () => closedEarly++);
console.log(JSON.stringify({ connections: count, ok, failed: count - ok, idle: true,
  wall_s: Math.round(performance.now() - started) / 1000, errors: Object.fromEntries(errors) }));
await new Promise((r) => setTimeout(r, Number(opt['hold-ms'])));
if (closedEarly > 0) console.error(`idle_bench: ${closedEarly} connections closed by the server while idle`);
for (const s of sockets) s.destroy();
process.exit(ok === count && closedEarly === 0 ? 0 : 1);
