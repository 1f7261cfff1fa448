// Rate limits and the cache on a real three-node Redis Cluster
// (REDIS_CLUSTER=1, REDIS_URL naming one node): the limit script runs
// unchanged because a request's buckets share one hash tag, two instances
// still admit exactly the bucket, and cache entries land on any node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, post, chatBody } from '../lib/harness.mjs';
import { RedisCluster } from '../lib/redis.mjs';

let mock;
let cluster;
let a;
let b;

const config = `
keys:
  ${Array.from({ length: 6 }, (_, i) => `- {name: k${i}, key: sk-k${i}, limits: {rpm: 5}}`).join('\n  ')}
cache: {ttl: 60}
`;

before(async () => {
  mock = await startMock();
  cluster = await RedisCluster.start();
  const env = { REDIS_URL: cluster.url, REDIS_CLUSTER: '1' };
  a = await startGateway({ mockUrl: mock.url, env, config });
  b = await startGateway({ mockUrl: mock.url, env, config });
});

after(async () => {
  for (const gw of [a, b]) assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
  await cluster?.stop();
});

test('start-up reaches the cluster', () => {
  assert.match(a.stderr, /redis: redis:\/\/127\.0\.0\.1:\d+\/0 \(cluster\): connected/);
});

test('six keys, their buckets spread over the nodes, each admit exactly its bucket across two instances', async () => {
  const calls = [];
  for (let k = 0; k < 6; k++) {
    for (let i = 0; i < 12; i++) {
      calls.push(post((i % 2 ? a : b).url, '/v1/chat/completions', chatBody(`q${k}-${i}`), { key: `sk-k${k}` })
        .then(async (r) => { await r.text(); return { k, status: r.status }; }));
    }
  }
  const results = await Promise.all(calls);
  for (let k = 0; k < 6; k++) {
    const mine = results.filter((r) => r.k === k);
    assert.equal(mine.filter((r) => r.status === 200).length, 5, `key ${k}: ${mine.map((r) => r.status)}`);
    assert.equal(mine.filter((r) => r.status === 429).length, 7);
  }
  // The buckets live on more than one node.
  const holding = cluster.nodes.filter((n) => n.cli('--scan', '--pattern', 'llmgw:tb:*').trim() !== '');
  assert.ok(holding.length >= 2, `buckets on ${holding.length} node(s)`);
});

test('an answer cached through one instance is a hit on the other', async () => {
  const body = chatBody('cluster cache question');
  const first = await post(a.url, '/v1/chat/completions', body);
  assert.equal(first.headers.get('x-llmgw-cache'), 'miss');
  const text = await first.text();
  const second = await post(b.url, '/v1/chat/completions', body);
  assert.equal(second.headers.get('x-llmgw-cache'), 'hit');
  assert.equal(await second.text(), text);
});
