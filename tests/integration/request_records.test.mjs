// One record per request, on every path: each request that reaches the
// server leaves exactly one access log line, with the fields its path can
// know — success, a gateway error, a vendor error after failover, the
// server's own rejections (malformed, 413, 431, 501, 408), a client that
// hangs up, a stream the vendor cuts, and a request still running when a
// shutdown's drain time runs out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  startMock, startGateway, post, chatBody, readEvents, rawRequest, sleep, keyHash,
} from '../lib/harness.mjs';

let mock;
let gw;
let deadPort;

before(async () => {
  mock = await startMock();
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = probe.address().port;
  await new Promise((r) => probe.close(r));
  gw = await startGateway({
    mockUrl: mock.url,
    config: `
server:
  max_body_bytes: 2048
  max_header_bytes: 4096
  read_timeout_ms: 400
upstream:
  connect_timeout_ms: 1000
keys:
  - {name: team-a, key_sha256: ${keyHash('sk-team-a')}}
providers:
  - {name: dead, type: openai-compatible, base_url: "http://127.0.0.1:${deadPort}/v1", api_key: x, models: [m]}
model_groups:
  failover:
    - {provider: dead, model: gpt-4o-mini, weight: 1}
    - {provider: openai, model: gpt-4o-mini, weight: 0}
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

// Every line of the access log for `id`, after the writer had time to write
// any second one (it writes within ~20 ms).
async function linesFor(g, id) {
  await g.waitForAccessLog((l) => l.request_id === id);
  await sleep(100);
  return g.accessLog().filter((l) => l.request_id === id);
}

// The lines that appeared since `before` (for requests whose id the client never saw).
async function newLines(g, before, pred) {
  await g.waitForAccessLog(pred, { timeoutMs: 2000 });
  await sleep(100);
  return g.accessLog().slice(before).filter(pred);
}

test('success: one record with the caller, the route, usage, timings and bytes', async () => {
  const body = JSON.stringify(chatBody('hello there'));
  const r = await post(gw.url, '/v1/chat/completions', body, { key: 'sk-team-a' });
  assert.equal(r.status, 200);
  const text = await r.text();
  const lines = await linesFor(gw, r.headers.get('x-request-id'));
  assert.equal(lines.length, 1);
  const l = lines[0];
  assert.equal(l.status, 200);
  assert.equal(l.api, 'openai');
  assert.equal(l.key, 'team-a');
  assert.match(l.key_id, /^key_[0-9a-f]{12}$/);
  assert.ok(!JSON.stringify(l).includes('sk-team-a'), 'the key itself is never recorded');
  assert.equal(l.model, 'gpt-4o-mini');
  assert.equal(l.provider, 'openai');
  assert.equal(l.attempts, 1);
  assert.equal(l.route.length, 1);
  assert.equal(l.route[0].provider, 'openai');
  assert.equal(l.route[0].status, 200);
  assert.ok(l.route[0].connect_ms >= 0 && l.route[0].first_byte_ms >= l.route[0].connect_ms);
  assert.ok(l.route[0].ms >= l.route[0].first_byte_ms);
  assert.equal(l.usage_source, 'vendor');
  assert.ok(l.prompt_tokens > 0 && l.completion_tokens > 0);
  assert.equal(l.cache, 'none');
  assert.equal(l.bytes_in, Buffer.byteLength(body));
  assert.equal(l.bytes_out, Buffer.byteLength(text));
  assert.ok(l.ttfb_ms > 0 && l.latency_ms >= l.ttfb_ms);
});

test('failover: both attempts are recorded in order, the answer names the second', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi', { model: 'failover' }));
  assert.equal(r.status, 200);
  await r.text();
  const [l, ...more] = await linesFor(gw, r.headers.get('x-request-id'));
  assert.equal(more.length, 0);
  assert.deepEqual(l.route.map((a) => [a.provider, a.status, a.error ?? null]),
    [['dead', 0, 'could not connect to the upstream'], ['openai', 200, null]]);
  assert.equal(l.route[0].first_byte_ms, null);
  assert.equal(l.provider, 'openai');
  assert.equal(l.error, undefined);
});

test('a gateway error and a vendor error: one record each, with the error', async () => {
  const unknown = await post(gw.url, '/v1/chat/completions', chatBody('hi', { model: 'no-such-model' }));
  assert.equal(unknown.status, 404);
  const [u, ...more] = await linesFor(gw, unknown.headers.get('x-request-id'));
  assert.equal(more.length, 0);
  assert.equal(u.status, 404);
  assert.equal(u.error, 'model_not_found');
  assert.equal(u.route, undefined);

  const vendor = await post(gw.url, '/v1/chat/completions', chatBody('[mock:status=400] hi'));
  assert.equal(vendor.status, 400);
  const [v, ...more2] = await linesFor(gw, vendor.headers.get('x-request-id'));
  assert.equal(more2.length, 0);
  assert.equal(v.status, 400);
  assert.equal(v.route.length, 1);
  assert.equal(v.route[0].status, 400);
  assert.equal(v.provider, null);
});

test('the server\'s own rejections are recorded once each, in the client\'s API', async () => {
  const before = gw.accessLog().length;
  const host = new URL(gw.url).host;
  // 431: a head over the limit.
  const big = await rawRequest(gw.url, `POST /v1/messages HTTP/1.1\r\nhost: ${host}\r\nx-pad: ${'a'.repeat(8000)}\r\n\r\n`);
  assert.match(big.data, /^HTTP\/1\.1 431/);
  // 400: a malformed request line.
  const bad = await rawRequest(gw.url, 'GARBAGE\r\n\r\n');
  assert.match(bad.data, /^HTTP\/1\.1 400/);
  // 501: an unknown method.
  const brew = await rawRequest(gw.url, `BREW /v1/chat/completions HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
  assert.match(brew.data, /^HTTP\/1\.1 501/);
  // 408: a head that never ends.
  const slow = await rawRequest(gw.url, `POST /v1/chat/completions HTTP/1.1\r\nhost: ${host}\r\n`);
  assert.match(slow.data, /^HTTP\/1\.1 408/);
  const ids = [big, bad, brew, slow].map((x) => /x-request-id: (\S+)/.exec(x.data)[1]);
  const lines = await newLines(gw, before, (l) => ids.includes(l.request_id));
  assert.deepEqual(lines.map((l) => [l.request_id, l.status]).sort(),
    [[ids[0], 431], [ids[1], 400], [ids[2], 501], [ids[3], 408]].sort());
  const byId = Object.fromEntries(lines.map((l) => [l.request_id, l]));
  assert.equal(byId[ids[0]].api, 'anthropic');
  assert.equal(byId[ids[0]].path, '/v1/messages');
  assert.equal(byId[ids[2]].method, 'BREW');
  assert.equal(byId[ids[1]].path, null);
  for (const l of lines) {
    assert.ok(l.error, `a rejection says why: ${JSON.stringify(l)}`);
    assert.ok(l.bytes_out > 0);
  }
});

test('413: declared too large (before the handler) or grown too large while read (inside it): one record each', async () => {
  // Declared: the server refuses on the head alone, before authentication.
  const r = await post(gw.url, '/v1/messages', { model: 'claude-3-5-haiku-latest', pad: 'x'.repeat(4000) },
    { key: 'sk-team-a' });
  assert.equal(r.status, 413);
  const body = await r.json();
  assert.equal(body.type, 'error');  // Anthropic's shape on /v1/messages
  const [d, ...more] = await linesFor(gw, r.headers.get('x-request-id'));
  assert.equal(more.length, 0);
  assert.equal(d.status, 413);
  assert.equal(d.api, 'anthropic');
  assert.match(d.error, /exceeds the limit/);

  // Chunked: the handler authenticated the caller, then the body outgrew the limit.
  const host = new URL(gw.url).host;
  const chunk = 'x'.repeat(3000);
  const raw = await rawRequest(gw.url, `POST /v1/chat/completions HTTP/1.1\r\nhost: ${host}\r\n` +
    'authorization: Bearer sk-team-a\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n' +
    `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
  assert.match(raw.data, /^HTTP\/1\.1 413/);
  const id = /x-request-id: (\S+)/.exec(raw.data)[1];
  const [c, ...more2] = await linesFor(gw, id);
  assert.equal(more2.length, 0);
  assert.equal(c.status, 413);
  assert.equal(c.key, 'team-a');
  assert.equal(c.error, 'request body too large');
});

test('a client that hangs up mid-stream: one record, 499', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('[mock:tokens=200,tps=20] hi', { stream: true }));
  const id = r.headers.get('x-request-id');
  const reader = r.body.getReader();
  await reader.read();
  await reader.cancel();
  const [l, ...more] = await linesFor(gw, id);
  assert.equal(more.length, 0);
  assert.equal(l.status, 499);
  assert.equal(l.error, 'client closed the connection');
  assert.equal(l.stream, true);
  assert.equal(l.route.length, 1);
});

test('a stream the vendor cuts: one record with the failure', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('[mock:reset_after=2] hi', { stream: true }));
  const events = await readEvents(r);
  assert.ok(events.at(-1).data.includes('"error"'));
  const [l, ...more] = await linesFor(gw, r.headers.get('x-request-id'));
  assert.equal(more.length, 0);
  assert.equal(l.status, 502);
  assert.equal(l.route[0].status, 200);
  assert.ok(l.route[0].error, 'the attempt says it was cut');
});

test('a request still running when the drain time is over: one record', async () => {
  const g = await startGateway({ mockUrl: mock.url, workers: 1, config: 'server:\n  drain_timeout_ms: 300\n' });
  const pending = post(g.url, '/v1/chat/completions', chatBody('[mock:hang] hi'))
    .then(async (r) => ({ status: r.status, id: r.headers.get('x-request-id'), body: await r.text() }))
    .catch((e) => ({ error: e }));
  await sleep(300);
  g.proc.kill('SIGTERM');
  const res = await pending;
  const exit = await g.exited;
  assert.equal(exit.code, 0, g.stderr);
  assert.equal(res.status, 503);
  const lines = g.accessLog().filter((l) => l.request_id === res.id);
  assert.equal(lines.length, 1, g.stdout);
  assert.equal(lines[0].status, 503);
  assert.equal(lines[0].route.length, 1);
});

test('health checks are answered and not recorded', async () => {
  const before = gw.accessLog().length;
  const r = await fetch(`${gw.url}/health`);
  assert.equal(r.status, 200);
  await sleep(150);
  assert.equal(gw.accessLog().slice(before).filter((l) => l.path === '/health').length, 0);
});
