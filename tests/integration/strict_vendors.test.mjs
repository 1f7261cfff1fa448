// The mock vendors refuse what the real ones refuse (src/mock/*_rules.cpp),
// so these tests fail when a translation sends a request the vendor would
// answer with a 400. What the gateway must change to be answered (top_p
// beside temperature for recent Claude models) it changes, and the access
// log says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  lastUpstreamRequest, startMock, startGateway, post, allVendorsEnv,
} from '../lib/harness.mjs';

let mock;
let gw;

before(async () => {
  mock = await startMock();
  gw = await startGateway({ mockUrl: mock.url, env: allVendorsEnv(mock.url) });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

const hello = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function accessLine(r) {
  const id = r.headers.get('x-request-id');
  const line = await gw.waitForAccessLog((l) => l.request_id === id, { timeoutMs: 2000 });
  assert.ok(line, `no access log line for ${id}`);
  return line;
}

// Claude Sonnet 4.5 and later refuse temperature and top_p together; many
// OpenAI clients send both by default.
const ONE_SAMPLER = [
  { model: 'claude-sonnet-4-5', sent: (b) => b },
  { model: 'bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0', sent: (b) => b.inferenceConfig },
];
for (const { model, sent } of ONE_SAMPLER) {
  test(`${model}: temperature and top_p together are answered; top_p is dropped and the access log says so`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', hello(model, { temperature: 0.5, top_p: 0.9 }));
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    const vendor = sent(JSON.parse((await lastUpstreamRequest(mock.url)).body));
    assert.equal(vendor.temperature, 0.5);
    assert.equal(vendor.top_p ?? vendor.topP, undefined, 'top_p not sent');
    assert.deepEqual((await accessLine(r)).dropped_params, ['top_p']);
  });
}

test('a Claude model that takes both gets both, and nothing is logged as dropped', async () => {
  const r = await post(gw.url, '/v1/chat/completions', hello('claude-3-5-haiku-latest', { temperature: 0.5, top_p: 0.9 }));
  assert.equal(r.status, 200);
  await r.json();
  const vendor = JSON.parse((await lastUpstreamRequest(mock.url)).body);
  assert.equal(vendor.top_p, 0.9);
  assert.equal((await accessLine(r)).dropped_params, undefined);
});

test('Gemini gets a JSON-schema const as a STRING enum, which it accepts', async () => {
  const schema = { type: 'object', properties: { kind: { const: 'city' }, n: { type: 'integer' } }, required: ['kind'] };
  const r = await post(gw.url, '/v1/chat/completions', hello('gemini-2.0-flash', {
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
  }));
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  const vendor = JSON.parse((await lastUpstreamRequest(mock.url)).body);
  assert.deepEqual(vendor.generationConfig.responseSchema.properties.kind, { type: 'STRING', enum: ['city'] });
});

// A tool result that answers no tool call is the client's mistake: every
// vendor refuses it, and the client hears the vendor's reason with its 400.
const MISMATCHED_RESULT = [
  { model: 'gpt-4o-mini', says: "'tool_call_id' of 'call_x' not found in 'tool_calls' of previous message" },
  { model: 'claude-3-5-haiku-latest', says: 'unexpected `tool_use_id` found in `tool_result` blocks: call_x' },
  { model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0', says: 'Expected toolResult blocks at messages.2.content for the following Ids: call_a' },
];
for (const { model, says } of MISMATCHED_RESULT) {
  test(`${model}: a tool result for a call that was never made gets the vendor's 400`, async () => {
    const r = await post(gw.url, '/v1/chat/completions', {
      model,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_x', content: 'done' },
      ],
    });
    const body = await r.json();
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.ok(body.error.message.includes(says), body.error.message);
  });
}
