// Rate limits shared through a real Redis (REDIS_URL): two gateway
// instances never admit more than one bucket holds; tokens trued up across
// instances; the script survives SCRIPT FLUSH; an outage follows
// limits.on_store_error (fail_open: this instance's own limits; fail_closed:
// 503) and both recover by themselves when Redis is back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, post, chatBody, sleep } from '../lib/harness.mjs';
import { RedisServer } from '../lib/redis.mjs';

let mock;
let redis;
let a;
let b;
let closed;

const config = (policy) => `
limits: {on_store_error: ${policy}}
keys:
  - {name: shared, key: sk-shared, limits: {rpm: 10}}
  - {name: tokens, key: sk-tokens, limits: {tpm: 2000}}
  - {name: outage, key: sk-outage, limits: {rpm: 1000}}
`;

before(async () => {
  mock = await startMock();
  redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url };
  a = await startGateway({ mockUrl: mock.url, env, workers: 2, config: config('fail_open') });
  b = await startGateway({ mockUrl: mock.url, env, workers: 2, config: config('fail_open') });
  closed = await startGateway({ mockUrl: mock.url, env, workers: 1, config: config('fail_closed') });
});

after(async () => {
  for (const gw of [a, b, closed]) assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
  await redis?.down();
});

const chat = (gw, key, extra = {}, content = 'hi') =>
  post(gw.url, '/v1/chat/completions', { ...chatBody(content), ...extra }, { key });

test('each instance says at start-up that it reached Redis', () => {
  for (const gw of [a, b]) assert.match(gw.stderr, /redis: redis:\/\/127\.0\.0\.1:\d+\/0: connected; rate limits are shared/);
});

test('two instances sharing Redis never admit more than the bucket holds', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(i % 2 ? a : b, 'sk-shared')));
  for (const r of results) await r.text();
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(','));
  assert.equal(statuses.filter((s) => s === 429).length, 30);
  const refused = results.find((r) => r.status === 429);
  assert.equal(refused.headers.get('x-llmgw-limit'), 'key:rpm');
  // The buckets are in Redis, hash-tagged by the key's id.
  assert.match(redis.cli('--scan', '--pattern', 'llmgw:tb:*'), /llmgw:tb:\{key_[0-9a-f]{12}\}:rpm/);
});

test('a reservation taken on one instance is trued up where the other sees it', async () => {
  const first = await chat(a, 'sk-tokens', { max_tokens: 400 }, 'hi [mock:tokens=5]');
  assert.equal(first.status, 200);
  const body = await first.json();
  const used = body.usage.prompt_tokens + body.usage.completion_tokens;
  const reserve = 2000 - Number(first.headers.get('x-ratelimit-remaining-tokens'));
  await sleep(200);  // the settle is sent after the answer
  const second = await chat(b, 'sk-tokens', { max_tokens: 400 }, 'hi [mock:tokens=5]');
  assert.equal(second.status, 200);
  await second.text();
  const left = Number(second.headers.get('x-ratelimit-remaining-tokens'));
  const expected = 2000 - used - reserve;
  assert.ok(Math.abs(left - expected) <= 20, `${left} left; expected about ${expected} (used ${used}, reserve ${reserve})`);
});

test('the script is loaded again after SCRIPT FLUSH', async () => {
  redis.cli('SCRIPT', 'FLUSH');
  const r = await chat(a, 'sk-outage');
  assert.equal(r.status, 200);
  await r.text();
  assert.ok(r.headers.get('x-ratelimit-remaining-requests'));
});

test('Redis down: fail_open keeps serving on its own limits, fail_closed answers 503; both recover', async () => {
  await redis.down();
  const open = await chat(a, 'sk-outage');
  assert.equal(open.status, 200);
  await open.text();
  const shut = await chat(closed, 'sk-outage');
  assert.equal(shut.status, 503);
  const e = (await shut.json()).error;
  assert.equal(e.code, 'rate_limiter_unavailable');
  assert.match(a.stderr, /failing open/);
  assert.match(closed.stderr, /failing closed/);
  // Keys without limits never ask Redis: the master key is served anyway.
  const free = await post(closed.url, '/v1/chat/completions', chatBody('hi'));
  assert.equal(free.status, 200);
  await free.text();

  await redis.up();
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    await sleep(100);
    const r = await chat(closed, 'sk-outage');
    status = r.status;
    await r.text();
  }
  assert.equal(status, 200, 'fail_closed recovers once Redis is back');
  assert.match(closed.stderr, /Redis answers again/);
});
