// The official Anthropic SDK as the client of POST /v1/messages: passed
// through to Anthropic, and translated for OpenAI, Gemini and Bedrock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import {
  startMock, startGateway, allVendorsEnv, lastUpstreamRequest, MASTER_KEY, ANTHROPIC_VENDOR_KEY,
} from '../lib/harness.mjs';
import { digestOfAnthropic, expectedFor } from '../lib/digest.mjs';

let mock;
let gw;
let client;
const streamOpts = () => ({ signal: AbortSignal.timeout(20000) });

const tools = [{
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];

// A 1x1 PNG.
const pixelBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const MODELS = ['claude-3-5-haiku-latest', 'gpt-4o-mini', 'gemini-2.0-flash', 'bedrock/anthropic.claude-3-haiku-20240307-v1:0'];

before(async () => {
  mock = await startMock();
  gw = await startGateway({ mockUrl: mock.url, env: allVendorsEnv(mock.url) });
  client = new Anthropic({ baseURL: gw.url, apiKey: MASTER_KEY, maxRetries: 0, timeout: 10000 });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

// The script a user writes once against Claude.
async function script(model) {
  const m = await client.messages.create({
    model, max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'hello' }],
  });
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.equal(m.content[0].type, 'text');
  assert.match(m.content[0].text, /mock/);
  assert.equal(m.stop_reason, 'end_turn');
  assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0);

  // Streamed text through the SDK's stream helper.
  const stream = client.messages.stream({
    model, max_tokens: 256, messages: [{ role: 'user', content: 'hello [mock:tokens=8]' }],
  }, streamOpts());
  const events = [];
  stream.on('streamEvent', (e) => events.push(e.type));
  const final = await stream.finalMessage();
  assert.equal(events[0], 'message_start');
  assert.ok(events.includes('content_block_delta'));
  assert.equal(events.at(-1), 'message_stop');
  assert.ok(final.content[0].text.length > 0);
  assert.equal(final.stop_reason, 'end_turn');
  assert.ok(final.usage.output_tokens > 0, 'usage in message_delta');

  // Tools, streamed: input_json_delta fragments assembled by the SDK.
  const toolStream = client.messages.stream({
    model, max_tokens: 256, tools, messages: [{ role: 'user', content: 'weather in Paris? [mock:tool]' }],
  }, streamOpts());
  const withTool = await toolStream.finalMessage();
  const use = withTool.content.find((b) => b.type === 'tool_use');
  assert.ok(use, 'a tool_use block');
  assert.equal(use.name, 'get_weather');
  assert.equal(typeof use.input.city, 'string');
  assert.equal(withTool.stop_reason, 'tool_use');

  // The tool result goes back; the answer is text.
  const answer = await client.messages.create({
    model, max_tokens: 256, tools,
    messages: [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: [use] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":21}' }] },
    ],
  });
  assert.equal(answer.stop_reason, 'end_turn');
  assert.equal(answer.content[0].type, 'text');

  // The same history, one turn on, as the vendor received it in its own
  // format: system prompt, the call and the result under its id, the texts,
  // an image beside the new question, stop sequences and the limit.
  const history = {
    model, max_tokens: 500, tools, system: 'Answer with the weather.', stop_sequences: ['END'],
    messages: [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: [use] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":21}' }] },
      { role: 'assistant', content: 'It is 21 °C in Paris.' },
      { role: 'user', content: [
        { type: 'text', text: 'and what is this? [mock:digest]' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pixelBase64 } },
      ] },
    ],
  };
  const receipt = await client.messages.create(history);
  assert.deepEqual(JSON.parse(receipt.content[0].text), expectedFor(model, digestOfAnthropic(history)),
    'what the vendor received');

  // An image block, translated into each vendor's image part.
  const seen = await client.messages.create({
    model, max_tokens: 256,
    messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pixelBase64 } },
      { type: 'text', text: 'what is this?' },
    ] }],
  });
  assert.match(seen.content[0].text, /I see 1 image\./);
}

for (const model of MODELS) {
  test(`the same Anthropic SDK script runs against ${model}`, async () => {
    await script(model);
  });
}

test('routed to Anthropic, the body and the client\'s anthropic headers pass through untouched', async () => {
  const body = {
    model: 'claude-3-5-haiku-latest', max_tokens: 64,
    system: [{ type: 'text', text: 'long prompt', cache_control: { type: 'ephemeral' } }],
    thinking: { type: 'enabled', budget_tokens: 1024 },
    messages: [{ role: 'user', content: 'hi' }],
  };
  await client.messages.create(body, { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31', 'anthropic-version': '2023-06-01' } });
  const req = await lastUpstreamRequest(mock.url);
  assert.equal(req.target, '/v1/messages');
  assert.deepEqual(JSON.parse(req.body), body);
  assert.equal(req.headers['anthropic-beta'], 'prompt-caching-2024-07-31');
  assert.equal(req.headers['anthropic-version'], '2023-06-01', 'the client\'s version, not a default');
  // Without one the SDK sends its own, which is what goes upstream.
  await client.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] },
    { headers: { 'anthropic-version': '2099-01-01' } });
  assert.equal((await lastUpstreamRequest(mock.url)).headers['anthropic-version'], '2099-01-01');
  assert.equal(req.headers['x-api-key'], ANTHROPIC_VENDOR_KEY, 'the vendor key, not the gateway key, goes upstream');
  assert.equal(req.headers.authorization, undefined);
});

test('count_tokens is passed through to Anthropic', async () => {
  const r = await client.messages.countTokens({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hello' }] });
  assert.ok(r.input_tokens > 0);
  const req = await lastUpstreamRequest(mock.url);
  assert.equal(req.target, '/v1/messages/count_tokens');
});

test('errors arrive in Anthropic\'s shape as the SDK\'s typed exceptions', async () => {
  await assert.rejects(
    client.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user', content: 'x [mock:status=529]' }] }),
    (e) => e instanceof Anthropic.APIError && e.status === 529 && e.error?.error?.type === 'overloaded_error',
  );
  await assert.rejects(
    client.messages.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'x [mock:status=429]' }] }),
    (e) => e instanceof Anthropic.RateLimitError && e.error?.error?.type === 'rate_limit_error',
  );
  await assert.rejects(
    client.messages.create({ model: 'no-such-model-xyz', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.NotFoundError && e.error?.type === 'error' && e.error?.error?.type === 'not_found_error',
  );
  await assert.rejects(
    client.messages.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message),
  );
  const bad = new Anthropic({ baseURL: gw.url, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(
    bad.messages.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.AuthenticationError && e.error?.error?.type === 'authentication_error',
  );
});

test('a body over the gateway\'s limit raises the SDK\'s typed error with Anthropic\'s error type', async () => {
  const small = await startGateway({ mockUrl: mock.url, env: allVendorsEnv(mock.url), config: 'server:\n  max_body_bytes: 4096\n' });
  try {
    const c = new Anthropic({ baseURL: small.url, apiKey: MASTER_KEY, maxRetries: 0, timeout: 10000 });
    await assert.rejects(
      c.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 16, messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
      (e) => e instanceof Anthropic.ContentTooLargeError && e.status === 413 && e.error?.type === 'error' &&
        e.error?.error?.type === 'request_too_large' && /4096/.test(e.error?.error?.message) &&
        /^req_/.test(e.headers?.get('x-request-id') ?? ''),
    );
  } finally {
    assert.equal((await small.stop()).code, 0, small.stderr);
  }
});
