// The response cache in a real Redis (REDIS_URL, no cache.backend): an
// answer stored by one gateway instance is a hit on another, byte for byte;
// entries expire with their TTL; a Redis that is down is a miss, never a
// failed request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, post, chatBody, mockStats, readEvents } from '../lib/harness.mjs';
import { RedisServer } from '../lib/redis.mjs';

let mock;
let redis;
let a;
let b;

before(async () => {
  mock = await startMock();
  redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url };
  const config = 'cache: {ttl: 30}\nkeys:\n  - {name: limited, key: sk-limited, limits: {rpm: 100000}}\n' +
    '  - {name: two-a-minute, key: sk-two, limits: {rpm: 2}}\n';
  a = await startGateway({ mockUrl: mock.url, env, config });
  b = await startGateway({ mockUrl: mock.url, env, config });
});

after(async () => {
  for (const gw of [a, b]) assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
  await redis?.down();
});

test('start-up says the cache is in Redis', () => {
  assert.match(a.stderr, /response cache: redis \(shared by every instance\), ttl 30 s/);
});

test('an answer stored by one instance is a byte-identical hit on the other, with no vendor call', async () => {
  const body = chatBody('What is the capital of France? [mock:tokens=6]');
  const first = await post(a.url, '/v1/chat/completions', body);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-llmgw-cache'), 'miss');
  const text = await first.text();
  const calls = (await mockStats(mock.url)).requests;
  const second = await post(b.url, '/v1/chat/completions', body);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-llmgw-cache'), 'hit');
  assert.ok(Number(second.headers.get('age')) >= 0);
  assert.equal(await second.text(), text);
  assert.equal((await mockStats(mock.url)).requests, calls, 'no vendor call for the hit');
  // In Redis under its own key, expiring with the TTL.
  const keys = redis.cli('--scan', '--pattern', 'llmgw:cache:*').trim().split('\n').filter(Boolean);
  assert.equal(keys.length, 1, keys.join(' '));
  const ttl = Number(redis.cli('PTTL', keys[0]));
  assert.ok(ttl > 25000 && ttl <= 30000, `PTTL ${ttl}`);
  // The same question streamed on the first instance is replayed as a stream.
  const streamed = await post(a.url, '/v1/chat/completions', { ...body, stream: true });
  assert.equal(streamed.headers.get('x-llmgw-cache'), 'hit');
  const events = await readEvents(streamed);
  assert.equal(events.at(-1).data, '[DONE]');
  const content = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join('');
  assert.equal(content, JSON.parse(text).choices[0].message.content);
});

test('a limited key\'s limit check and cache lookup reach Redis in one read', async () => {
  const body = chatBody('one round trip, please');
  const first = await post(a.url, '/v1/chat/completions', body, { key: 'sk-limited' });
  await first.text();
  const reads = () => Number(/total_reads_processed:(\d+)/.exec(redis.cli('INFO', 'stats'))[1]);
  const before = reads();
  const n = 20;
  for (let i = 0; i < n; i++) {
    const r = await post(a.url, '/v1/chat/completions', body, { key: 'sk-limited' });
    assert.equal(r.headers.get('x-llmgw-cache'), 'hit');
    assert.ok(r.headers.get('x-ratelimit-remaining-requests'));
    await r.text();
  }
  // Per hit: the limit script and the GET together (an rpm-only key has no
  // tokens to settle). One after the other they would be two reads. (The
  // INFO calls of this test are reads too: one more.)
  const perRequest = (reads() - before - 1) / n;
  assert.ok(perRequest <= 1.2, `${perRequest} reads per request`);
});

test('a limit decided beside a cache lookup still refuses: a hit counts as a request', async () => {
  const body = chatBody('asked three times a minute');
  const statuses = [];
  const cache = [];
  for (let i = 0; i < 3; i++) {
    const r = await post(a.url, '/v1/chat/completions', body, { key: 'sk-two' });
    statuses.push(r.status);
    cache.push(r.headers.get('x-llmgw-cache'));
    if (i === 2) {
      assert.equal(r.headers.get('x-llmgw-limit'), 'key:rpm');
      assert.equal((await r.json()).error.code, 'gateway_rate_limit');
    } else {
      await r.text();
    }
  }
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.deepEqual(cache.slice(0, 2), ['miss', 'hit']);
});

test('a Redis that is down is a miss: the request is served by the vendor', async () => {
  await redis.down();
  try {
    const r = await post(b.url, '/v1/chat/completions', chatBody('Another question while Redis is away'));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-llmgw-cache'), 'miss');
    assert.ok((await r.json()).choices[0].message.content);
  } finally {
    await redis.up();
  }
});
