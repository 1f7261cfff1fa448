// Prometheus GET /metrics (issue 11, item 7): requests of different outcomes
// (answered, vendor 500, bad key, cache hit, a stream) move the counters and
// histogram counts by exactly what they should, summed over two workers; the
// text passes `promtool check metrics`; a scrape is not itself recorded; and
// `metrics: { require_key: true }` keeps it to the master key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  startMock, startGateway, post, readEvents, rawRequest, sleep, MASTER_KEY,
} from '../lib/harness.mjs';
import { RedisServer } from '../lib/redis.mjs';

let mock;
let gw;
const USER_KEY = 'sk-metrics-user';
const LIMITED_KEY = 'sk-metrics-limited';

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    workers: 2,
    config: `
keys:
  - { name: user, key: ${USER_KEY} }
  - { name: limited, key: ${LIMITED_KEY}, limits: { rpm: 1 } }
cache: { backend: memory }
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

// [{name, labels, value}] of every sample line.
function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    assert.ok(m, `not a sample line: ${line}`);
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

// The sum of the samples named `name` whose labels include `labels`.
function value(samples, name, labels = {}) {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

async function scrape(base = gw.url, headers = {}) {
  const r = await fetch(`${base}/metrics`, { headers });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await r.text();
  return { text, samples: parse(text) };
}

// The worker counts a request after its answer went out: wait until a
// scrape shows `pred`, and return that scrape.
async function scrapeUntil(pred, timeoutMs = 3000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await scrape();
    if (pred(s.samples) || performance.now() > deadline) return s;
    await sleep(10);
  }
}

const OPENAI = { provider: 'openai', model: 'gpt-4o-mini' };
const GEN_AI = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini' };
const chat = (content, extra = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

test('each outcome moves its counters by exactly one, and the text passes promtool', async () => {
  const before = (await scrape()).samples;
  const delta = (after, name, labels) => value(after, name, labels) - value(before, name, labels);
  const question = `metrics ${Date.now()}`;

  // 200, a cache miss, then the same question: a hit.
  const first = await post(gw.url, '/v1/chat/completions', chat(question));
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-llmgw-cache'), 'miss');
  const usage = (await first.json()).usage;
  const second = await post(gw.url, '/v1/chat/completions', chat(question));
  assert.equal(second.headers.get('x-llmgw-cache'), 'hit');
  await second.text();
  // A stream of 20 tokens with its usage.
  const streamed = await post(gw.url, '/v1/chat/completions',
                              chat(`${question} stream [mock:tokens=20]`, { stream: true, stream_options: { include_usage: true } }));
  assert.equal(streamed.status, 200);
  const events = await readEvents(streamed);
  const streamUsage = JSON.parse(events.at(-2).data).usage;
  assert.equal(streamUsage.completion_tokens, 20);
  // The vendor answers 500.
  const failed = await post(gw.url, '/v1/chat/completions', chat(`${question} [mock:status=500]`));
  assert.equal(failed.status, 500);
  await failed.text();
  // A key the gateway does not know, and an unknown model (never a label).
  const refused = await post(gw.url, '/v1/chat/completions', chat('x'), { key: 'sk-nobody' });
  assert.equal(refused.status, 401);
  await refused.text();
  const unknown = await post(gw.url, '/v1/chat/completions', { ...chat('x'), model: 'no-such-model-xyz' });
  assert.equal(unknown.status, 404);
  await unknown.text();

  const { text, samples: after } = await scrapeUntil(
    (s) => value(s, 'llmgw_requests_total') - value(before, 'llmgw_requests_total') >= 6);
  assert.equal(delta(after, 'llmgw_requests_total'), 6, text);
  assert.equal(delta(after, 'llmgw_requests_total', { ...OPENAI, code: '200' }), 2, text);  // miss and stream
  assert.equal(delta(after, 'llmgw_requests_total', { provider: 'cache', model: 'gpt-4o-mini', code: '200' }), 1, text);
  assert.equal(delta(after, 'llmgw_requests_total', { ...OPENAI, code: '500' }), 1, text);
  assert.equal(delta(after, 'llmgw_requests_total', { provider: 'none', model: 'none', code: '401' }), 1, text);
  assert.equal(delta(after, 'llmgw_requests_total', { provider: 'none', model: 'none', code: '404' }), 1, text);
  assert.ok(!text.includes('no-such-model-xyz'), 'an unrouted model name became a label');

  // Histograms: every request of the series has a duration; only the
  // stream has a time to first token and per output token.
  assert.equal(delta(after, 'gen_ai_server_request_duration_seconds_count', GEN_AI), 3, text);
  assert.equal(delta(after, 'gen_ai_server_request_duration_seconds_bucket', { ...GEN_AI, le: '+Inf' }), 3, text);
  assert.equal(delta(after, 'gen_ai_server_time_to_first_token_seconds_count', GEN_AI), 1, text);
  assert.equal(delta(after, 'gen_ai_server_time_per_output_token_seconds_count', GEN_AI), 1, text);
  assert.ok(delta(after, 'gen_ai_server_request_duration_seconds_sum', GEN_AI) > 0, text);

  // Tokens: what the vendor said, for the miss and the stream.
  const input = usage.prompt_tokens + streamUsage.prompt_tokens;
  const output = usage.completion_tokens + streamUsage.completion_tokens;
  assert.equal(delta(after, 'llmgw_tokens_total', { ...OPENAI, kind: 'input' }), input, text);
  assert.equal(delta(after, 'llmgw_tokens_total', { ...OPENAI, kind: 'output' }), output, text);
  assert.equal(delta(after, 'gen_ai_client_token_usage_sum', { ...GEN_AI, gen_ai_token_type: 'input' }), input, text);
  assert.equal(delta(after, 'gen_ai_client_token_usage_count', { ...GEN_AI, gen_ai_token_type: 'output' }), 2, text);

  assert.equal(delta(after, 'llmgw_upstream_errors_total', { provider: 'openai', kind: 'server_error' }), 1, text);
  assert.equal(delta(after, 'llmgw_upstream_errors_total'), 1, text);
  assert.equal(delta(after, 'llmgw_cache_requests_total', { result: 'hit' }), 1, text);
  assert.equal(delta(after, 'llmgw_cache_requests_total', { result: 'miss' }), 3, text);  // miss, stream, 500
  assert.equal(delta(after, 'llmgw_rate_limit_rejections_total'), 0, text);
  assert.equal(value(after, 'llmgw_requests_in_flight'), 1, text);  // the scrape itself
  assert.equal(value(after, 'llmgw_usage_records_dropped_total'), 0, text);

  const check = spawnSync('promtool', ['check', 'metrics'], { input: text });
  assert.equal(check.error, undefined, 'promtool is needed (Debian package prometheus)');
  assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
});

test('a request over its key\'s rate limit counts as a rate-limit rejection', async () => {
  const before = (await scrape()).samples;
  const ok = await post(gw.url, '/v1/chat/completions', chat(`limited ${Date.now()}`), { key: LIMITED_KEY });
  assert.equal(ok.status, 200);
  await ok.text();
  const refused = await post(gw.url, '/v1/chat/completions', chat(`limited 2 ${Date.now()}`), { key: LIMITED_KEY });
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.code, 'gateway_rate_limit');
  const { text, samples } = await scrapeUntil(
    (s) => value(s, 'llmgw_requests_total') - value(before, 'llmgw_requests_total') >= 2);
  const delta = (name, labels) => value(samples, name, labels) - value(before, name, labels);
  assert.equal(delta('llmgw_rate_limit_rejections_total'), 1, text);
  assert.equal(delta('llmgw_budget_rejections_total'), 0, text);
  // Refused before any vendor was tried, for a model the router knows.
  assert.equal(delta('llmgw_requests_total', { provider: 'none', model: 'gpt-4o-mini', code: '429' }), 1, text);
  assert.equal(delta('llmgw_upstream_errors_total'), 0, text);
});

test('a request the server refuses itself counts too', async () => {
  const before = (await scrape()).samples;
  const bad = await rawRequest(gw.url, 'GARBAGE\r\n\r\n');
  assert.match(bad.data, /^HTTP\/1\.1 400/);
  const { text, samples } = await scrapeUntil(
    (s) => value(s, 'llmgw_requests_total') > value(before, 'llmgw_requests_total'));
  const delta = (name, labels) => value(samples, name, labels) - value(before, name, labels);
  assert.equal(delta('llmgw_requests_total', { provider: 'none', model: 'none', code: '400' }), 1, text);
  assert.equal(delta('llmgw_requests_total'), 1, text);
});

test('a scrape is not recorded, and only GET and HEAD read it', async () => {
  const before = (await scrape()).samples;
  await scrape();
  await sleep(50);
  const { samples } = await scrape();
  // Scrapes are not requests: they count nowhere and log nothing.
  assert.equal(value(samples, 'llmgw_requests_total'), value(before, 'llmgw_requests_total'));
  assert.equal(gw.accessLog().filter((l) => l.path === '/metrics').length, 0);
  const head = await fetch(`${gw.url}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  const posted = await fetch(`${gw.url}/metrics`, { method: 'POST', body: '' });
  assert.equal(posted.status, 405);
  // /v1/metrics is not the metrics: the /v1 paths are the vendors' API.
  const v1 = await fetch(`${gw.url}/v1/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  assert.equal(v1.status, 404);
});

test('metrics.require_key keeps /metrics to the master key', async () => {
  const locked = await startGateway({
    mockUrl: mock.url,
    config: `
keys:
  - { name: user, key: ${USER_KEY} }
metrics: { require_key: true }
`,
  });
  try {
    const none = await fetch(`${locked.url}/metrics`);
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.code, 'missing_api_key');
    const user = await fetch(`${locked.url}/metrics`, { headers: { authorization: `Bearer ${USER_KEY}` } });
    assert.equal(user.status, 403);
    assert.equal((await user.json()).error.code, 'master_key_required');
    const { text } = await scrape(locked.url, { authorization: `Bearer ${MASTER_KEY}` });
    assert.match(text, /# TYPE llmgw_requests_total counter/);
  } finally {
    assert.equal((await locked.stop()).code, 0, locked.stderr);
  }
  // Without the switch nobody needs a key (checked by the tests above).
  const open = await fetch(`${gw.url}/metrics`);
  assert.equal(open.status, 200);
  await open.text();
});

test('llmgw_redis_up follows the Redis client of the limiter', async () => {
  const redis = await RedisServer.start();
  const gwr = await startGateway({
    mockUrl: mock.url,
    workers: 1,
    env: { REDIS_URL: redis.url },
    config: `
keys:
  - { name: limited, key: ${LIMITED_KEY}, limits: { rpm: 100000 } }
`,
  });
  // A request whose limits go to Redis, then the gauge as that worker saw it.
  const redisUp = async () => {
    const r = await post(gwr.url, '/v1/chat/completions', chat('redis'), { key: LIMITED_KEY });
    assert.equal(r.status, 200);  // fail-open while Redis is down
    await r.text();
    await sleep(20);
    return value((await scrape(gwr.url)).samples, 'llmgw_redis_up');
  };
  const until = async (want) => {
    const deadline = performance.now() + 8000;
    let got;
    while ((got = await redisUp()) !== want && performance.now() < deadline) await sleep(100);
    return got;
  };
  try {
    assert.equal(await until(1), 1);
    await redis.down();
    assert.equal(await until(0), 0);
    await redis.up();
    assert.equal(await until(1), 1);  // reconnects by itself (backoff at most 2 s)
  } finally {
    assert.equal((await gwr.stop()).code, 0, gwr.stderr);
    await redis.down();
  }
  // No Redis configured: no gauge.
  assert.ok(!(await scrape()).text.includes('llmgw_redis_up'));
});
