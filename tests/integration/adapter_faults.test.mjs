// Translated routes (Anthropic, Gemini, Bedrock adapters and the Anthropic
// Messages API inbound) under faults: vendor errors in their own shapes,
// resets mid-stream, slow first bytes, failover across vendors, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  lastUpstreamRequest, startMock, startGateway, post, readEvents, allVendorsEnv, mockStats, VENDOR_SECRETS,
  ANTHROPIC_VENDOR_KEY, MASTER_KEY,
} from '../lib/harness.mjs';

let mock;
let overloaded;  // an Anthropic that answers everything with 529
let gw;

const TRANSLATED = ['claude-3-5-haiku-latest', 'gemini-2.0-flash', 'bedrock/anthropic.claude-3-haiku-20240307-v1:0'];

function messages(content, extra = {}) {
  return { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content }], ...extra };
}

before(async () => {
  mock = await startMock();
  overloaded = await startMock(['--script', 'status=529']);
  gw = await startGateway({
    mockUrl: mock.url,
    env: allVendorsEnv(mock.url),
    config: `
upstream:
  first_byte_timeout_ms: 1000
  idle_timeout_ms: 1000
providers:
  - {name: claude-busy, type: anthropic, base_url: "${overloaded.url}", api_key: "${ANTHROPIC_VENDOR_KEY}", models: [claude-3-5-haiku-latest]}
aliases:
  house-claude: claude-3-5-haiku-latest
model_groups:
  busy-claude-then-claude:
    - {provider: claude-busy, model: claude-3-5-haiku-latest, weight: 1}
    - {provider: anthropic, model: claude-3-5-sonnet-latest, weight: 0}
  claude-then-gpt:
    - {provider: claude-busy, model: claude-3-5-haiku-latest, weight: 1}
    - {provider: openai, model: gpt-4o-mini, weight: 0}
`,
  });
});

after(async () => {
  const stopped = await gw?.stop();
  assert.equal(stopped?.code, 0, gw?.stderr);
  for (const secret of VENDOR_SECRETS) {
    assert.ok(!gw.stderr.includes(secret) && !gw.stdout.includes(secret), 'vendor credentials never logged');
  }
  await mock?.stop();
  await overloaded?.stop();
});

for (const model of TRANSLATED) {
  test(`${model}: a vendor error keeps its status, in OpenAI's shape, with retry-after`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'x [mock:status=429]' }] });
    assert.equal(r.status, 429);
    // Anthropic sends retry-after, Gemini a RetryInfo in the body; Bedrock neither.
    if (!model.startsWith('bedrock/')) assert.ok(Number(r.headers.get('retry-after')) > 0, 'retry-after kept');
    const body = await r.json();
    assert.equal(typeof body.error.message, 'string');
    for (const secret of VENDOR_SECRETS) assert.ok(!JSON.stringify(body).includes(secret));
  });

  test(`${model}: a reset mid-stream ends the client stream with an error event and no [DONE]`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', {
      model, stream: true, messages: [{ role: 'user', content: 'x [mock:tokens=20,reset_after=3]' }],
    });
    assert.equal(r.status, 200);
    const events = await readEvents(r);
    assert.ok(events.length >= 2);
    assert.notEqual(events.at(-1).data, '[DONE]');
    assert.ok(JSON.parse(events.at(-1).data).error, 'last event is an error');
    // Content reached the client before the failure.
    assert.ok(events.some((e) => e.data.includes('"content"')));
  });

  test(`${model}: the vendor's own error event mid-stream becomes an OpenAI error event`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', {
      model, stream: true, messages: [{ role: 'user', content: 'x [mock:tokens=20,error_after=3]' }],
    });
    assert.equal(r.status, 200);
    const events = await readEvents(r);
    assert.ok(events.filter((e) => e.data.includes('"content"')).length >= 3, 'the content before the failure arrived');
    assert.notEqual(events.at(-1).data, '[DONE]');
    const { error } = JSON.parse(events.at(-1).data);
    assert.ok(error, 'last event is an error');
    assert.match(error.message, /overload|failed|stream/i);
    assert.notEqual(error.type, undefined);
  });

  test(`${model}: a slow first byte is a 504 timeout`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'x [mock:latency_ms=3000]' }] });
    assert.equal(r.status, 504);
    await r.text();
  });

  test(`${model}: the first stream event arrives before the vendor's stream ends`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', {
      model, stream: true, messages: [{ role: 'user', content: 'x [mock:tokens=10,tps=20]' }],
    });
    const events = await readEvents(r);
    assert.equal(events.at(-1).data, '[DONE]');
    assert.ok(events.at(-1).at - events[0].at > 250, `events spread over time (${events[0].at} … ${events.at(-1).at} ms)`);
  });
}

test('Anthropic 529 overloaded reaches an OpenAI client as 503', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { model: 'claude-busy/claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(r.status, 503);
  const body = await r.json();
  assert.match(body.error.message, /overloaded/i);
});

test('a group falls over from an overloaded Anthropic to OpenAI', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { model: 'claude-then-gpt', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
  await r.json();
});

test('Anthropic client, Anthropic upstream: the vendor error is relayed as it came (529)', async () => {
  const r = await post(gw.url, '/v1/messages', { ...messages('x'), model: 'claude-busy/claude-3-5-haiku-latest' }, { headers: { 'anthropic-version': '2023-06-01' } });
  assert.equal(r.status, 529);
  const body = await r.json();
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'overloaded_error');
});

test('Anthropic client: the key may come as x-api-key', async () => {
  const r = await post(gw.url, '/v1/messages', messages('hello'), { key: null, headers: { 'x-api-key': MASTER_KEY } });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.type, 'message');
});

test('Anthropic client: malformed and invalid bodies get Anthropic-shaped 400s naming the field', async () => {
  let r = await post(gw.url, '/v1/messages', '{"model": ');
  assert.equal(r.status, 400);
  let body = await r.json();
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
  r = await post(gw.url, '/v1/messages', { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'robot', content: 'x' }] });
  assert.equal(r.status, 400);
  body = await r.json();
  assert.match(body.error.message, /messages\.0\.role/);
});

test('Anthropic client, translated stream: a reset mid-stream ends with an Anthropic error event', async () => {
  const r = await post(gw.url, '/v1/messages', messages('x [mock:tokens=20,reset_after=3]', { stream: true }));
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /^event: message_start\n/);
  assert.match(text, /event: error\ndata: \{"type":"error","error":\{"type":"[a-z_]+","message"/);
  assert.ok(!text.includes('event: message_stop'));
});

test('Anthropic client: count_tokens for a model not served by Anthropic is a clear 404', async () => {
  const r = await post(gw.url, '/v1/messages/count_tokens', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(r.status, 404);
  const body = await r.json();
  assert.equal(body.error.type, 'not_found_error');
  assert.match(body.error.message, /Anthropic/);
});

test('a client that leaves a translated stream stops the vendor stream', async () => {
  const before = await mockStats(mock.url);
  const ctl = new AbortController();
  const r = await post(gw.url, '/v1/chat/completions', {
    model: 'claude-3-5-haiku-latest', stream: true, messages: [{ role: 'user', content: 'x [mock:tokens=200,tps=20]' }],
  }, { timeoutMs: 20000 });
  const reader = r.body.getReader();
  await reader.read();
  await reader.cancel();
  ctl.abort();
  let stats;
  for (let i = 0; i < 50; i++) {
    stats = await mockStats(mock.url);
    if (stats.streams_aborted > before.streams_aborted) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(stats.streams_aborted > before.streams_aborted, 'the vendor saw the stream abandoned');
  // And the gateway is healthy afterwards.
  const ok = await post(gw.url, '/v1/chat/completions', { model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(ok.status, 200);
  await ok.json();
});

test('Anthropic client, Anthropic upstream: an error event mid-stream is relayed as Anthropic sent it', async () => {
  const r = await post(gw.url, '/v1/messages', { ...messages('x [mock:tokens=20,error_after=2]', { stream: true }), model: 'claude-3-5-haiku-latest' },
    { headers: { 'anthropic-version': '2023-06-01' } });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.ok(text.endsWith('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'));
});

test('Anthropic client, OpenAI upstream: OpenAI\'s in-stream error becomes an Anthropic error event', async () => {
  const r = await post(gw.url, '/v1/messages', messages('x [mock:tokens=20,error_after=2]', { stream: true }));
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.match(text, /event: content_block_delta/);
  assert.match(text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+"\}\}\n\n$/);
  assert.ok(!text.includes('event: message_stop'));
});

test('Anthropic client under an alias: passed through with the model renamed, everything else untouched', async () => {
  const body = { ...messages('hi'), model: 'house-claude', metadata: { user_id: 'u-1' }, top_k: 5 };
  const r = await post(gw.url, '/v1/messages', body, { headers: { 'anthropic-version': '2023-06-01' } });
  assert.equal(r.status, 200);
  const answer = await r.json();
  assert.equal(answer.type, 'message');
  const sent = JSON.parse((await lastUpstreamRequest(mock.url)).body);
  assert.deepEqual(sent, { ...body, model: 'claude-3-5-haiku-latest' });
});

test('Anthropic client, group of Anthropic deployments: fails over with the next deployment\'s model id', async () => {
  const r = await post(gw.url, '/v1/messages', { ...messages('hi'), model: 'busy-claude-then-claude' },
    { headers: { 'anthropic-version': '2023-06-01' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-model'), 'claude-3-5-sonnet-latest');
  assert.equal(JSON.parse((await lastUpstreamRequest(mock.url)).body).model, 'claude-3-5-sonnet-latest');
  await r.json();
});

test('Anthropic client, group from Anthropic to OpenAI: the failover deployment gets the OpenAI translation', async () => {
  const r = await post(gw.url, '/v1/messages', { ...messages('hi', { stream: true }), model: 'claude-then-gpt' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
  const text = await r.text();
  assert.match(text, /^event: message_start\n/);
  assert.match(text, /event: message_stop\n/);
  const sent = await lastUpstreamRequest(mock.url);
  assert.equal(sent.target, '/v1/chat/completions');
  assert.equal(JSON.parse(sent.body).model, 'gpt-4o-mini');
});
