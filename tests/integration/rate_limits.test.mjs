// Rate limits in memory (no REDIS_URL): per key, per key and model, per
// deployment, concurrency; all or nothing across workers; the gateway's own
// 429 in each client API, never retried or failed over.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startMock, startGateway, post, chatBody, mockStats, sleep } from '../lib/harness.mjs';

let mock;
let second;  // a second vendor, to tell deployments apart
let gw;

const keyConfig = (name, key, limits) => `  - {name: ${name}, key: ${key}, ${limits}}\n`;

before(async () => {
  mock = await startMock();
  second = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    workers: 4,  // the limits hold across every worker of the process
    config: `
providers:
  - {name: other, type: openai-compatible, base_url: "${second.url}/v1", api_key: "sk-vendor-secret-0123456789", models: [m]}
keys:
${keyConfig('rpm3', 'sk-rpm3', 'limits: {rpm: 3}')}${keyConfig('tpm', 'sk-tpm', 'limits: {tpm: 1000}')}${keyConfig('per-model', 'sk-model', 'model_limits: {gpt-4o-mini: {rpm: 1}}')}${keyConfig('parallel', 'sk-par', 'limits: {max_parallel: 1}')}${keyConfig('burst', 'sk-burst', 'limits: {rpm: 10}')}${keyConfig('anthropic', 'sk-ant-client', 'limits: {rpm: 1}')}
model_groups:
  quota:
    - {provider: openai, model: gpt-4o-mini, weight: 1, limits: {rpm: 1}}
    - {provider: other, model: gpt-4o-mini, weight: 0, limits: {rpm: 1}}
`,
  });
});

after(async () => {
  assert.equal((await gw.stop()).code, 0, gw.stderr);
  await mock.stop();
  await second.stop();
});

async function chat(key, extra = {}, content = 'hi') {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody(content), ...extra }, { key });
  return { r, body: await r.json() };
}

test('a key gets its requests per minute, then the gateway\'s own 429 with the dimension and a retry-after', async () => {
  const before = (await mockStats(mock.url)).requests;
  for (let i = 0; i < 3; i++) {
    const { r } = await chat('sk-rpm3');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(r.headers.get('x-ratelimit-remaining-requests'), String(2 - i));
    assert.match(r.headers.get('x-ratelimit-reset-requests'), /^\d+(ms|s|m\d+s)$/);
  }
  const { r, body } = await chat('sk-rpm3');
  assert.equal(r.status, 429);
  assert.equal(body.error.type, 'rate_limit_exceeded');
  assert.equal(body.error.code, 'gateway_rate_limit');
  assert.match(body.error.message, /key:rpm/);
  assert.equal(r.headers.get('x-llmgw-limit'), 'key:rpm');
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 20, `retry-after ${retry}`);  // a request of 3/min refills in 20 s
  // The refused request never reached the vendor.
  assert.equal((await mockStats(mock.url)).requests - before, 3);
});

test('a request that can never fit the token bucket is refused at once, saying so', async () => {
  const { r, body } = await chat('sk-tpm', { max_tokens: 5000 });
  assert.equal(r.status, 429);
  assert.equal(body.error.code, 'gateway_rate_limit');
  assert.match(body.error.message, /can never be admitted/);
  assert.equal(r.headers.get('x-llmgw-limit'), 'key:tpm');
  assert.equal(r.headers.get('retry-after'), null);
});

test('tokens are reserved before the call and trued up to the vendor\'s count after it', async () => {
  // Reserves its prompt (bytes / 4) plus max_tokens 400; the mock counts far fewer.
  const first = await chat('sk-tpm', { max_tokens: 400 }, 'hi [mock:tokens=5]');
  assert.equal(first.r.status, 200);
  const used = first.body.usage.prompt_tokens + first.body.usage.completion_tokens;
  const reservedLeft = Number(first.r.headers.get('x-ratelimit-remaining-tokens'));
  assert.ok(reservedLeft <= 600, `after the reservation ${reservedLeft} left`);
  // The next request sees the refund: what is left is 1000 less what the
  // first really used (plus a little refill), less its own reservation.
  const second = await chat('sk-tpm', { max_tokens: 400 }, 'hi [mock:tokens=5]');
  assert.equal(second.r.status, 200);
  const left = Number(second.r.headers.get('x-ratelimit-remaining-tokens'));
  // Both requests reserve the same amount (same body). Without the refund
  // the second would see about 1000 - 2 × reserve.
  const reserve = 1000 - reservedLeft;
  const expected = 1000 - used - reserve;
  assert.ok(Math.abs(left - expected) <= 20, `${left} left; expected about ${expected} (used ${used}, reserve ${reserve})`);
});

test('a key and model limit holds for that model only', async () => {
  assert.equal((await chat('sk-model')).r.status, 200);
  const { r, body } = await chat('sk-model');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('x-llmgw-limit'), 'key-model:rpm');
  assert.match(body.error.message, /key-model:rpm/);
  assert.equal((await chat('sk-model', { model: 'gpt-4o' })).r.status, 200);
});

test('a deployment at its quota is skipped for the next one; when all are spent the client gets 429', async () => {
  const a = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'quota' });
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('x-llmgw-provider'), 'openai');
  await a.text();
  const b = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'quota' });
  assert.equal(b.status, 200);
  assert.equal(b.headers.get('x-llmgw-provider'), 'other');
  await b.text();
  const c = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'quota' });
  assert.equal(c.status, 429);
  assert.equal(c.headers.get('x-llmgw-limit'), 'deployment:rpm');
  assert.equal((await c.json()).error.code, 'gateway_rate_limit');
});

test('max_parallel: a second request while the first is in flight is refused; afterwards one passes', async () => {
  const before = (await mockStats(mock.url)).requests;
  const slow = chat('sk-par', {}, 'hi [mock:latency_ms=600]');
  // Admitted once the vendor has it (a fixed pause could end first on a
  // loaded machine); it holds the slot for the rest of its 600 ms.
  const deadline = Date.now() + 5000;
  while ((await mockStats(mock.url)).requests === before && Date.now() < deadline) await sleep(5);
  const { r } = await chat('sk-par');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('x-llmgw-limit'), 'key:max_parallel');
  assert.equal((await slow).r.status, 200);
  assert.equal((await chat('sk-par')).r.status, 200);
});

test('max_parallel: the slot is free as soon as the answer has arrived, plain, streamed or a vendor error', async () => {
  // Each request is sent on a new connection (so, with four workers, often
  // to another thread) the moment the previous answer is complete; a slot
  // released only after the answer went out would refuse some of them.
  const send = (extra, content) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ ...chatBody(content), ...extra });
    const req = http.request(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-par' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
  const kinds = [
    () => send({}, 'hi'),
    () => send({ stream: true }, 'hi [mock:tokens=3]'),
    () => send({}, 'hi [mock:status=400]'),
  ];
  const statuses = [];
  for (let i = 0; i < 600; i++) statuses.push(await kinds[i % kinds.length]());
  assert.deepEqual(statuses.filter((s) => s === 429), []);
  assert.equal(statuses.filter((s) => s === 400).length, 200);
});

test('concurrent requests on four workers never get more than the bucket holds', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => chat('sk-burst')));
  const ok = results.filter((x) => x.r.status === 200).length;
  const refused = results.filter((x) => x.r.status === 429).length;
  assert.equal(ok, 10);
  assert.equal(refused, 30);
});

test('an Anthropic client gets the gateway\'s 429 in Anthropic\'s error shape', async () => {
  const body = { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
  const ok = await post(gw.url, '/v1/messages', body, { key: 'sk-ant-client' });
  assert.equal(ok.status, 200);
  await ok.text();
  const r = await post(gw.url, '/v1/messages', body, { key: 'sk-ant-client' });
  assert.equal(r.status, 429);
  const e = await r.json();
  assert.equal(e.type, 'error');
  assert.equal(e.error.type, 'rate_limit_error');
  assert.match(e.error.message, /key:rpm/);
  assert.equal(r.headers.get('x-llmgw-limit'), 'key:rpm');
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
});
