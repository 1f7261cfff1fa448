// Vendor errors, timeouts, resets, refused connections and failover.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startMock, startGateway, post, chatBody, readEvents, VENDOR_KEY } from '../lib/harness.mjs';
import { baselineMs, assertBetween } from '../lib/timing.mjs';

let mock;
let failing;  // a second vendor that answers every request with 503
let gw;
let closedPort;

async function freeClosedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

before(async () => {
  mock = await startMock();
  failing = await startMock(['--script', 'status=503']);
  closedPort = await freeClosedPort();
  gw = await startGateway({
    mockUrl: mock.url,
    config: `
upstream:
  connect_timeout_ms: 1000
  first_byte_timeout_ms: 1000
  idle_timeout_ms: 1000
providers:
  - {name: dead, type: openai-compatible, base_url: "http://127.0.0.1:${closedPort}/v1", api_key: x, models: [m]}
  - {name: flaky, type: openai-compatible, base_url: "${failing.url}/v1", api_key: "${VENDOR_KEY}", models: [m]}
model_groups:
  via-dead:
    - {provider: dead, model: gpt-4o-mini, weight: 1}
    - {provider: openai, model: gpt-4o-mini, weight: 0}
  via-flaky:
    - {provider: flaky, model: "gpt-4o-mini", weight: 1}
    - {provider: openai, model: gpt-4o-mini, weight: 0}
  only-dead:
    - {provider: dead, model: gpt-4o-mini, weight: 1}
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
  await failing?.stop();
  assert.ok(!gw.stdout.includes(VENDOR_KEY) && !gw.stderr.includes(VENDOR_KEY));
});

for (const status of [400, 401, 403, 404, 500, 502, 503]) {
  test(`vendor ${status} reaches the client as ${status} in OpenAI's shape`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', chatBody(`hi [mock:status=${status}]`));
    assert.equal(r.status, status);
    const body = await r.json();
    assert.equal(typeof body.error.message, 'string');
    assert.ok(body.error.type);
    assert.ok(!JSON.stringify(body).includes(VENDOR_KEY), 'vendor key never in an error');
    assert.ok(r.headers.get('x-request-id'));
  });
}

test('vendor 429 keeps its retry-after', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:status=429]'));
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal((await r.json()).error.type, 'requests');
});

test('vendor 401 says the gateway credentials were refused, without the key', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:status=401]'));
  const { error } = await r.json();
  assert.match(error.message, /rejected the gateway's credentials/);
  assert.ok(!error.message.includes('sk-vendor'), error.message);
});

test('a vendor that does not answer in time is a 504', async () => {
  const baseline = await baselineMs(gw.url);
  const t0 = performance.now();
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:hang]'));
  assert.equal(r.status, 504);
  assertBetween(assert, performance.now() - t0, 900, 1000, baseline);  // first_byte_timeout_ms
  assert.equal((await r.json()).error.code, 'upstream_timeout');
});

test('a refused connection is a 502', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'only-dead' });
  assert.equal(r.status, 502);
  assert.match((await r.json()).error.message, /dead/);
});

test('failover: a dead first deployment falls over to the next one', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'via-dead' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
  await r.text();
});

test('failover: a 5xx from the first deployment falls over to the next one', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'via-flaky' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
  await r.text();
  const line = await gw.waitForAccessLog((l) => l.request_id === r.headers.get('x-request-id'));
  assert.equal(line?.attempts, 2);
});

test('a reset mid-stream ends the stream with an error event and no [DONE]', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=10] [mock:reset_after=2]', { stream: true }));
  assert.equal(r.status, 200);
  const events = await readEvents(r);
  assert.ok(events.length >= 2, 'events before the reset are delivered');
  const last = JSON.parse(events.at(-1).data);
  assert.ok(last.error, 'last event is an error');
  assert.ok(!events.some((e) => e.data === '[DONE]'));
});

test('a vendor that stalls mid-stream is cut after the idle timeout', async () => {
  const baseline = await baselineMs(gw.url);
  const t0 = performance.now();
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=10] [mock:hang_after=2]', { stream: true }));
  const events = await readEvents(r);
  assertBetween(assert, performance.now() - t0, 900, 1000, baseline);  // idle_timeout_ms
  const last = JSON.parse(events.at(-1).data);
  assert.equal(last.error.code, 'upstream_timeout');
});

test('a streamed request that the vendor refuses gets a JSON error, not a stream', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:status=429]', { stream: true }));
  assert.equal(r.status, 429);
  assert.match(r.headers.get('content-type'), /application\/json/);
  assert.ok((await r.json()).error);
});
