// Bad input gets a clear error in OpenAI's shape; limits and timeouts hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startMock, startGateway, post, chatBody, rawRequest, sleep, MASTER_KEY } from '../lib/harness.mjs';
import { baselineMs, assertBetween } from '../lib/timing.mjs';

let mock;
let gw;

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    config: 'server:\n  max_body_bytes: 4096\n  read_timeout_ms: 1000\n  idle_timeout_ms: 1500\n',
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

async function expect400(body, param, pattern) {
  const r = await post(gw.url, '/v1/chat/completions', body);
  assert.equal(r.status, 400, JSON.stringify(body));
  const { error } = await r.json();
  assert.equal(error.type, 'invalid_request_error');
  if (param !== undefined) assert.equal(error.param, param);
  if (pattern) assert.match(error.message, pattern);
}

test('malformed JSON is a 400 that says so', async () => {
  await expect400('{"model": "gpt-4o-mini", "messages": [', null, /JSON/i);
  await expect400('not json at all', null, /JSON/i);
});

test('missing or mistyped fields are named', async () => {
  await expect400({ messages: [{ role: 'user', content: 'x' }] }, 'model');
  await expect400({ model: 'gpt-4o-mini' }, 'messages');
  await expect400({ model: 'gpt-4o-mini', messages: 'hello' }, 'messages');
  await expect400({ model: 'gpt-4o-mini', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role');
  await expect400({ ...chatBody('x'), temperature: 'hot' }, 'temperature');
  await expect400({ ...chatBody('x'), stream: 'yes' }, 'stream');
  await expect400({ ...chatBody('x'), max_tokens: -5 }, 'max_tokens');
});

test('embeddings input is validated', async () => {
  const r = await post(gw.url, '/v1/embeddings', { model: 'text-embedding-3-small' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.param, 'input');
});

test('a body over max_body_bytes is a 413', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('x'.repeat(5000)));
  assert.equal(r.status, 413);
  assert.match((await r.json()).error.message, /4096/);
});

test('headers over 16 KiB are a 431', async () => {
  const r = await fetch(gw.url + '/v1/models', { headers: { authorization: `Bearer ${MASTER_KEY}`, 'x-big': 'a'.repeat(17000) } });
  assert.equal(r.status, 431);
  assert.ok((await r.json()).error);
});

test('a request line that is not HTTP is a 400', async () => {
  const { data } = await rawRequest(gw.url, 'HELLO THERE\r\n\r\n');
  assert.match(data, /^HTTP\/1\.1 400/);
});

test('a slow client (slow loris) is cut off after read_timeout_ms', async () => {
  const u = new URL(gw.url);
  const baseline = await baselineMs(gw.url);
  const sock = net.connect(Number(u.port), u.hostname);
  sock.on('error', () => {});
  const closed = new Promise((r) => sock.on('close', r));
  const t0 = performance.now();
  sock.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n');
  const drip = setInterval(() => { if (!sock.destroyed) sock.write('x-drip: 1\r\n'); }, 200);
  await closed;
  clearInterval(drip);
  assertBetween(assert, performance.now() - t0, 900, 1000, baseline, 'closed');
});

test('an idle keep-alive connection is closed after idle_timeout_ms', async () => {
  const u = new URL(gw.url);
  const baseline = await baselineMs(gw.url);
  const sock = net.connect(Number(u.port), u.hostname);
  sock.on('error', () => {});
  const t0 = performance.now();
  await new Promise((r) => sock.on('connect', r));
  await new Promise((r) => sock.on('close', r));
  assertBetween(assert, performance.now() - t0, 1400, 1500, baseline, 'closed');
});

test('the gateway keeps serving after all of the above', async () => {
  await sleep(50);
  const r = await post(gw.url, '/v1/chat/completions', chatBody('still here?'));
  assert.equal(r.status, 200);
});
