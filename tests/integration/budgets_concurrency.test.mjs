// Budgets under concurrency (issue 11 item 5): forty requests at once on a
// key with a $0.01 daily budget cannot spend more than the budget plus one
// request's reservation, in memory (one instance, two workers) and in
// Redis. Each request reserves its estimated cost before the upstream call
// and is trued up to its real cost (x-llmgw-cost) when it ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, post } from '../lib/harness.mjs';
import { RedisServer } from '../lib/redis.mjs';

const KEY = 'sk-budget-concurrency-key';
const BUDGET = 0.01;
const config = `keys:\n  - {name: spender, key: ${KEY}, budgets: [{period: day, usd: ${BUDGET}}]}\n`;

let mock;
before(async () => { mock = await startMock(); });
after(async () => { await mock?.stop(); });

// 100 output tokens of gpt-4o ($10 per million) and a short prompt: about
// $0.001 each, so about nine fit the budget.
const body = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'spend [mock:tokens=100]' }] };
const most_one_request_may_reserve = (JSON.stringify(body).length / 4 + 1) * 2.5e-6 + 100 * 10e-6;

// Forty requests at once, the i-th through gatewayFor(i).
async function burst(gatewayFor) {
  const answers = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const r = await post(gatewayFor(i).url, '/v1/chat/completions', body, { key: KEY });
    const text = await r.text();
    return { status: r.status, cost: Number(r.headers.get('x-llmgw-cost') ?? 0), text };
  }));
  const ok = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 429);
  for (const r of refused) assert.equal(JSON.parse(r.text).error.code, 'budget_exceeded');
  assert.equal(ok.length + refused.length, 40, JSON.stringify(answers.map((a) => a.status)));
  const spent = ok.reduce((s, a) => s + a.cost, 0);
  assert.ok(ok.every((a) => a.cost > 0), 'every answer is priced');
  assert.ok(spent <= BUDGET + most_one_request_may_reserve + 1e-12,
    `spent $${spent} of a $${BUDGET} budget in ${ok.length} requests`);
  assert.ok(ok.length >= 7, `only ${ok.length} admitted: the reservations are not given back`);
  assert.ok(refused.length > 0);
}

test('in memory: a burst on one key cannot overshoot its budget by more than one reservation', async () => {
  const gw = await startGateway({ mockUrl: mock.url, config, workers: 2 });
  try {
    await burst(() => gw);
  } finally {
    assert.equal((await gw.stop()).code, 0, gw.stderr);
  }
});

test('in Redis, shared by two instances: the same bound', async () => {
  const redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url };
  const a = await startGateway({ mockUrl: mock.url, config, workers: 1, env });
  const b = await startGateway({ mockUrl: mock.url, config, workers: 1, env });
  try {
    // Half the burst through each instance.
    await burst((i) => (i % 2 ? a : b));
  } finally {
    assert.equal((await a.stop()).code, 0, a.stderr);
    assert.equal((await b.stop()).code, 0, b.stderr);
    await redis.down();
  }
});
