// Every answered request is priced from the vendor's own usage: each kind
// of prompt token (uncached, read from the vendor's cache, written to it) at
// its own rate, by the deployment's price, the config's `prices:`, a
// prices_file in LiteLLM's format or the built-in table, in that order. A
// JSON answer says its cost in x-llmgw-cost and the gateway's own time in
// x-llmgw-overhead-ms; a model without a price gets no cost header (never
// $0). The prices file is reloaded on SIGHUP and when it changes.
// The mock reports the usage a `[mock:prompt_tokens=…,cached_tokens=…,
// cache_write_tokens=…,tokens=…]` marker asks for, in each vendor's fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, renameSync } from 'node:fs';
import {
  startMock, startGateway, post, writeTemp, sleep, allVendorsEnv, readEvents, ANTHROPIC_VENDOR_KEY,
} from '../lib/harness.mjs';

let mock;
before(async () => { mock = await startMock(); });
after(async () => { await mock.stop(); });

const chat = (model, marker, extra = {}) => ({
  model, messages: [{ role: 'user', content: `hello ${marker}` }], ...extra,
});

// The cost header as a number (undefined when absent), the body read.
async function costOf(gw, body, path = '/v1/chat/completions') {
  const r = await post(gw.url, path, body);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const h = r.headers.get('x-llmgw-cost');
  return { cost: h === null ? undefined : Number(h), raw: h, overhead: r.headers.get('x-llmgw-overhead-ms'), text };
}

const near = (actual, expected, what) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

async function until(f, ms = 5000) {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await f();
    if (v || performance.now() > deadline) return v;
    await sleep(50);
  }
}

test('built-in prices: cached, cache-write and uncached tokens each at their rate, for every vendor', async () => {
  const gw = await startGateway({ mockUrl: mock.url, env: allVendorsEnv(mock.url) });
  try {
    // gpt-4o: $2.50 / $1.25 cached / $10 per million.
    // 500 × 2.5e-6 + 1500 × 1.25e-6 + 100 × 10e-6 = 0.00125 + 0.001875 + 0.001
    let r = await costOf(gw, chat('gpt-4o', '[mock:prompt_tokens=2000,cached_tokens=1500,tokens=100]'));
    near(r.cost, 0.004125, 'gpt-4o');
    assert.equal(r.raw, '0.004125');
    assert.match(r.overhead, /^\d+\.\d{3}$/);
    // The mini model is never priced as its prefix: $0.15 / $0.075 / $0.60.
    // 500 × 0.15e-6 + 1500 × 0.075e-6 + 100 × 0.6e-6 = 0.000075 + 0.0001125 + 0.00006
    r = await costOf(gw, chat('gpt-4o-mini', '[mock:prompt_tokens=2000,cached_tokens=1500,tokens=100]'));
    near(r.cost, 0.0002475, 'gpt-4o-mini');

    // Claude Sonnet 4.5: $3 input, cache write $3.75, cache read $0.30, $15 output.
    // Anthropic's input_tokens (100) leave out the cache read (2000) and write (1000):
    // 100 × 3e-6 + 2000 × 0.3e-6 + 1000 × 3.75e-6 + 200 × 15e-6 = 0.0003 + 0.0006 + 0.00375 + 0.003
    const claude = '[mock:prompt_tokens=3100,cached_tokens=2000,cache_write_tokens=1000,tokens=200]';
    r = await costOf(gw, chat('claude-sonnet-4-5', claude));
    near(r.cost, 0.00765, 'claude via the OpenAI API');
    r = await costOf(gw, chat('claude-sonnet-4-5', claude, { max_tokens: 1000 }), '/v1/messages');
    near(r.cost, 0.00765, 'claude via /v1/messages (passed through)');
    assert.equal(JSON.parse(r.text).usage.cache_read_input_tokens, 2000);

    // Gemini 2.5 Pro above 200k prompt tokens: $2.50 / $0.25 cached / $15.
    // 200000 × 2.5e-6 + 50000 × 0.25e-6 + 1000 × 15e-6 = 0.5 + 0.0125 + 0.015
    r = await costOf(gw, chat('gemini-2.5-pro', '[mock:prompt_tokens=250000,cached_tokens=50000,tokens=1000]'));
    near(r.cost, 0.5275, 'gemini-2.5-pro long context');
    // …and at or below 200k: $1.25 / $0.125 / $10.
    // 150000 × 1.25e-6 + 50000 × 0.125e-6 + 1000 × 10e-6 = 0.1875 + 0.00625 + 0.01
    r = await costOf(gw, chat('gemini-2.5-pro', '[mock:prompt_tokens=200000,cached_tokens=50000,tokens=1000]'));
    near(r.cost, 0.20375, 'gemini-2.5-pro');

    // Claude 3 Haiku on Bedrock (id with vendor and version): $0.25, write $0.3125, read $0.025, $1.25.
    // 200 × 0.25e-6 + 600 × 0.025e-6 + 200 × 0.3125e-6 + 50 × 1.25e-6
    r = await costOf(gw, chat('bedrock/anthropic.claude-3-haiku-20240307-v1:0',
      '[mock:prompt_tokens=1000,cached_tokens=600,cache_write_tokens=200,tokens=50]'));
    near(r.cost, 0.00005 + 0.000015 + 0.0000625 + 0.0000625, 'bedrock claude-3-haiku');
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('a stream has no cost header (its headers go before the usage); a model with no price gets none', async () => {
  const gw = await startGateway({
    mockUrl: mock.url,
    config: 'model_groups:\n  private:\n    - {provider: openai, model: my-private-model}\n',
  });
  try {
    const s = await post(gw.url, '/v1/chat/completions',
      chat('gpt-4o', '[mock:prompt_tokens=2000,tokens=5]', { stream: true }));
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('x-llmgw-cost'), null);
    assert.equal(s.headers.get('x-llmgw-overhead-ms'), null);
    await readEvents(s);

    const r = await costOf(gw, chat('private', '[mock:prompt_tokens=2000,tokens=5]'));
    assert.equal(r.raw, null, 'an unpriced model must not be priced (nor at $0)');
    assert.match(r.overhead, /^\d+\.\d{3}$/);
    // The overhead leaves the vendor's time out: a vendor taking 300 ms
    // before its headers does not show in it.
    const t0 = performance.now();
    const slow = await costOf(gw, chat('gpt-4o', '[mock:latency_ms=300,prompt_tokens=10,tokens=5]'));
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 300, `elapsed ${elapsed}`);
    assert.ok(Number(slow.overhead) < 100, `overhead ${slow.overhead} ms includes the vendor's 300 ms`);
    // A name that only begins like a priced model is not priced as it.
    const longer = await costOf(gw, chat('gpt-4o-mini-unlisted', '[mock:prompt_tokens=2000,tokens=5]'));
    assert.equal(longer.raw, null, 'gpt-4o-mini-unlisted must not take the price of gpt-4o-mini or gpt-4o');
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('config prices: a deployment price wins over the model price, which wins over the built-in one', async () => {
  const gw = await startGateway({
    mockUrl: mock.url,
    config: `
prices:
  my-private-model: {input_per_mtok: 1, output_per_mtok: 2}
  gpt-4o: {input_per_mtok: 10, output_per_mtok: 20, cached_input_per_mtok: 5}
model_groups:
  private:
    - {provider: openai, model: my-private-model}
  special:
    - {provider: openai, model: my-private-model, price: {input_per_mtok: 100, output_per_mtok: 200}}
`,
  });
  try {
    const marker = '[mock:prompt_tokens=1000,cached_tokens=400,tokens=10]';
    // 1000 × 1e-6 (no cached price: the input price) + 10 × 2e-6
    near((await costOf(gw, chat('private', marker))).cost, 0.001 + 0.00002, 'model price');
    // 1000 × 100e-6 + 10 × 200e-6
    near((await costOf(gw, chat('special', marker))).cost, 0.1 + 0.002, 'deployment price');
    // 600 × 10e-6 + 400 × 5e-6 + 10 × 20e-6
    near((await costOf(gw, chat('gpt-4o', marker))).cost, 0.006 + 0.002 + 0.0002, 'over the built-in price');
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

const litellm = (input, output, cached) => JSON.stringify({
  sample_spec: { input_cost_per_token: 0, litellm_provider: 'one of https://docs.litellm.ai/docs/providers' },
  'gpt-4o': {
    max_tokens: 16384, input_cost_per_token: input, output_cost_per_token: output,
    cache_read_input_token_cost: cached, litellm_provider: 'openai', mode: 'chat',
  },
});

test('prices_file: LiteLLM format over the built-in table, reloaded on SIGHUP and on change; a bad one is kept out', async () => {
  const file = writeTemp('model_prices_and_context_window.json', litellm(1e-6, 2e-6, 1e-7));
  const gw = await startGateway({ mockUrl: mock.url, config: `prices_file: ${file}\n` });
  const marker = '[mock:prompt_tokens=1000,cached_tokens=400,tokens=10]';
  const cost = async () => (await costOf(gw, chat('gpt-4o', marker))).cost;
  try {
    // 600 × 1e-6 + 400 × 1e-7 + 10 × 2e-6
    near(await cost(), 0.0006 + 0.00004 + 0.00002, 'from the file');

    // Edited in place, then SIGHUP: the new prices apply without a restart.
    writeFileSync(file, litellm(3e-6, 4e-6, 3e-7));
    gw.proc.kill('SIGHUP');
    // 600 × 3e-6 + 400 × 3e-7 + 10 × 4e-6
    const after = 0.0018 + 0.00012 + 0.00004;
    assert.ok(await until(async () => Math.abs((await cost()) - after) < 1e-12), 'SIGHUP did not reload');
    assert.match(gw.stderr, /prices: SIGHUP: loaded 1 models/);

    // Replaced (as a deploy would) without a signal: seen within about a second.
    const tmp = `${file}.new`;
    writeFileSync(tmp, litellm(5e-6, 6e-6, 5e-7));
    renameSync(tmp, file);
    const changed = 0.003 + 0.0002 + 0.00006;
    assert.ok(await until(async () => Math.abs((await cost()) - changed) < 1e-12), 'the change was not picked up');

    // A broken file on reload: the old prices stay, and the log says why.
    writeFileSync(file, '{"gpt-4o": {"input_cost_per_token": "cheap"}}');
    gw.proc.kill('SIGHUP');
    assert.ok(await until(() => /keeping the prices in use: .*input_cost_per_token/.test(gw.stderr)), gw.stderr);
    near(await cost(), changed, 'after a bad file');
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('a prices_file that does not load stops the start, naming it', async () => {
  const file = writeTemp('prices.json', '[1, 2]');
  await assert.rejects(startGateway({ mockUrl: mock.url, config: `prices_file: ${file}\n` }),
    (e) => e.message.includes(file) && e.message.includes('JSON object'));
});

test('budgets reserve the estimated cost from the price: a request that may cost more than is left is refused', async () => {
  const key = 'sk-budget-test-key';
  const gw = await startGateway({
    mockUrl: mock.url,
    config: `
keys:
  - {name: small, key: ${key}, budgets: [{period: day, usd: 0.005}]}
model_groups:
  private:
    - {provider: openai, model: my-private-model}
`,
  });
  try {
    const send = (model, maxTokens) => post(gw.url, '/v1/chat/completions',
      chat(model, '[mock:tokens=5]', { max_tokens: maxTokens }), { key });
    // gpt-4o: up to 1000 output tokens at $10 per million is $0.01 > $0.005.
    let r = await send('gpt-4o', 1000);
    const body = await r.json();
    assert.equal(r.status, 429, JSON.stringify(body));
    assert.equal(body.error.code, 'budget_exceeded');
    // Up to 10 output tokens fits; what it cost is what it says.
    r = await send('gpt-4o', 10);
    await r.text();
    assert.equal(r.status, 200);
    assert.ok(Number(r.headers.get('x-llmgw-cost')) > 0);
    // A model without a price cannot be estimated: admitted while the budget lasts.
    r = await send('private', 1000);
    await r.text();
    assert.equal(r.status, 200);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('a streamed answer is priced at its end, from the usage in the stream (seen through the budget it spends)', async () => {
  const key = 'sk-budget-stream-key';
  const gw = await startGateway({
    mockUrl: mock.url,
    config: `keys:\n  - {name: streamer, key: ${key}, budgets: [{period: day, usd: 0.003}]}\n`,
  });
  try {
    // Estimated at admission from the body's size and max_tokens (well under
    // $0.003); priced at the end from the stream's usage: 2000 prompt tokens
    // of gpt-4o, 2000 × 2.5e-6 + 5 × 10e-6 = $0.00505, which spends the budget.
    const send = () => post(gw.url, '/v1/chat/completions',
      chat('gpt-4o', '[mock:prompt_tokens=2000,tokens=5]', { stream: true, max_tokens: 10 }), { key });
    const first = await send();
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-llmgw-cost'), null);
    await readEvents(first);
    await sleep(100);  // the request is settled just after its last byte
    const second = await send();
    const body = await second.text();
    assert.equal(second.status, 429, body);
    assert.equal(JSON.parse(body).error.code, 'budget_exceeded');
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});
