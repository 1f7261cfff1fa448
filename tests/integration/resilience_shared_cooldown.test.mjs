// Cooldowns shared through a real Redis (REDIS_URL, issue 12 item 3): two
// gateway instances with the same group of two mock deployments. A 529
// storm seen by one instance rests the deployment for both; after the rest
// one probe, across both instances, brings it back; without Redis each
// instance rests its deployments on its own and every request is served.
// The mocks count what they received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, post, chatBody, sleep, setScript, resetMocks, mockProviderYaml, mockRequests } from '../lib/harness.mjs';
import { RedisServer } from '../lib/redis.mjs';

const POLL_MS = 250;  // shared_cooldown::k_poll_every
const COOLDOWN_MS = 3000;
const PROBE_MS = 2000;  // how long x takes to answer its probe

let x, y, redis, a, b;

const requests = mockRequests;
// The answer's status and which vendor served it.
async function ask(gw) {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'shared' });
  await r.text();
  return { status: r.status, provider: r.headers.get('x-llmgw-provider') };
}

const provider = (name, m) => mockProviderYaml(name, m, '[gpt-4o-mini]');
// x first (y only when x cannot: weight 0).
const group = `
  shared:
    max_attempts: 2
    cooldown: {failures: 3, window_ms: 10000, duration_ms: ${COOLDOWN_MS}}
    deployments:
      - {provider: vendor-x, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-y, model: gpt-4o-mini, weight: 0}`;

before(async () => {
  x = await startMock();
  y = await startMock();
  redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url };
  const providers = `providers:\n${provider('vendor-x', x)}\n${provider('vendor-y', y)}`;
  a = await startGateway({ env, workers: 2, config: `${providers}\nmodel_groups:${group}\n` });
  // b's configuration differs: another group comes first, so its deployments
  // have other indexes; they are named by group, provider and model.
  b = await startGateway({
    env,
    workers: 2,
    config: `${providers}
model_groups:
  aaa-first:
    cooldown: {failures: 1}
    deployments:
      - {provider: vendor-y, model: gpt-4o}
${group}
`,
  });
});

after(async () => {
  for (const gw of [a, b]) assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await x?.stop();
  await y?.stop();
  await redis?.down();
});

test('each instance says its cooldowns are shared through Redis', () => {
  assert.match(a.stderr, /cooldowns: 2 group deployments shared through Redis/);
  assert.match(b.stderr, /cooldowns: 3 group deployments shared through Redis/);
});

test('a 529 storm seen by one instance rests the deployment for the other; after it one probe across both brings it back', async () => {
  await resetMocks(x, y);
  await setScript(x, 'status=529');
  // The storm, on a alone: three failures in the window.
  for (let i = 0; i < 3; i++) assert.deepEqual(await ask(a), { status: 200, provider: 'vendor-y' });
  const tripped = Date.now();
  assert.equal(await requests(x), 3);
  assert.deepEqual(await ask(a), { status: 200, provider: 'vendor-y' });
  assert.equal(await requests(x), 3, 'a skips x while it rests');
  // The rest is in Redis, named the same for both instances.
  assert.match(redis.cli('--scan', '--pattern', 'llmgw:cd:*'), /llmgw:cd:\{cooldown\}:s:shared\/vendor-x\/gpt-4o-mini/);

  // b saw no failure; within a poll it knows, and sends x nothing.
  await sleep(2 * POLL_MS);
  for (let i = 0; i < 10; i++) assert.deepEqual(await ask(b), { status: 200, provider: 'vendor-y' });
  assert.equal(await requests(x), 3, 'b sent nothing to the resting deployment');
  assert.ok(Date.now() - tripped < COOLDOWN_MS - 500, 'the checks ran while it rested');

  // x has recovered but answers slowly, so its probe is still out while
  // requests keep coming to both instances: none of them may go to x.
  await setScript(x, `latency_ms=${PROBE_MS}`);
  await sleep(Math.max(0, tripped + COOLDOWN_MS + 150 - Date.now()));
  const answers = [];
  const send = async () => {
    answers.push(ask(answers.length % 2 ? b : a));
    await sleep(50);
  };
  const probing = Date.now();
  while ((await requests(x)) < 4 && Date.now() - probing < 5000) await send();
  assert.equal(await requests(x), 4, 'a probe reached x');
  const probed = Date.now();
  while (Date.now() - probed < PROBE_MS / 3) await send();
  const served = (await Promise.all(answers)).map((r) => r.provider);
  assert.ok(served.every((p) => p === 'vendor-x' || p === 'vendor-y'), served.join(','));
  assert.equal(served.filter((p) => p === 'vendor-x').length, 1, `one probe across both instances: ${served.join(',')}`);
  assert.equal(await requests(x), 4);

  // Its success brings x back on both instances.
  await setScript(x, '');
  await sleep(2 * POLL_MS);
  for (const gw of [a, b, a, b]) assert.deepEqual(await ask(gw), { status: 200, provider: 'vendor-x' });
  assert.equal(await requests(x), 8);
  assert.match(redis.cli('--scan', '--pattern', 'llmgw:cd:*'), /^\s*$/, 'nothing rests: no state left in Redis');
});

test('Redis stopped: both instances serve every request, and each rests its deployments on its own', async () => {
  await resetMocks(x, y);
  await redis.down();
  for (const gw of [a, b]) {
    const t0 = Date.now();
    assert.deepEqual(await ask(gw), { status: 200, provider: 'vendor-x' });
    assert.ok(Date.now() - t0 < 1000, `a request waited ${Date.now() - t0} ms for Redis`);
  }
  await setScript(x, 'status=529');
  for (let i = 0; i < 3; i++) assert.deepEqual(await ask(a), { status: 200, provider: 'vendor-y' });
  assert.equal(await requests(x), 5);
  assert.deepEqual(await ask(a), { status: 200, provider: 'vendor-y' });
  assert.equal(await requests(x), 5, 'a rests x on its own');
  // b cannot hear of it: it asks x, which fails over to y.
  assert.deepEqual(await ask(b), { status: 200, provider: 'vendor-y' });
  assert.equal(await requests(x), 6, 'b was not told without Redis');
  await sleep(2 * POLL_MS);
  assert.match(a.stderr, /cooldowns: Redis cannot be asked; each instance rests its deployments on its own/);
});
