// One OpenAI SDK script, run unchanged against a model of every vendor:
// OpenAI (pass-through), Anthropic, Gemini and Bedrock (translated by their
// adapters), all emulated by the mock vendor in its own wire formats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  startMock, startGateway, allVendorsEnv, lastUpstreamRequest, MASTER_KEY, CROSS_VENDOR_MODELS,
  VENDOR_KEY, ANTHROPIC_VENDOR_KEY, GEMINI_VENDOR_KEY, AWS_ACCESS_KEY,
} from '../lib/harness.mjs';
import { digestOfOpenAI, expectedFor } from '../lib/digest.mjs';

let mock;
let gw;
let client;
const streamOpts = () => ({ signal: AbortSignal.timeout(20000) });

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
  },
}];
// A 1x1 PNG.
const pixel = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

before(async () => {
  mock = await startMock();
  gw = await startGateway({ mockUrl: mock.url, env: allVendorsEnv(mock.url) });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 10000 });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

// The script a user writes once against gpt-4o-mini.
async function script(model) {
  // Plain completion with a system prompt.
  const c = await client.chat.completions.create({
    model,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }],
  });
  assert.equal(c.object, 'chat.completion');
  assert.equal(c.model, model);
  assert.match(c.choices[0].message.content, /mock/);
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.ok(c.usage.prompt_tokens > 0 && c.usage.completion_tokens > 0);

  // What the vendor received, in its own format, read back through the
  // mock's digest: the system prompt, the text and the image with its media
  // type, the stop sequence and the token limit.
  const asked = {
    model, max_tokens: 500, stop: ['END'],
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'what is this? [mock:digest]' }, { type: 'image_url', image_url: { url: pixel } }] },
    ],
  };
  const receipt = await client.chat.completions.create(asked);
  assert.deepEqual(JSON.parse(receipt.choices[0].message.content), expectedFor(model, digestOfOpenAI(asked)),
    'what the vendor received');

  // Streamed text, with usage at the end.
  const stream = await client.chat.completions.create({
    model, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hello [mock:tokens=8]' }],
  }, streamOpts());
  let text = '';
  let finish;
  let usage;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 4, `several chunks, got ${chunks}`);
  assert.ok(text.length > 0);
  assert.equal(finish, 'stop');
  assert.ok(usage?.completion_tokens > 0, 'usage survives to the end of the stream');

  // Tools, streamed: the SDK's helper assembles the argument fragments.
  const runner = client.chat.completions.stream({
    model, tools, messages: [{ role: 'user', content: 'weather in Paris? [mock:tool]' }],
  }, streamOpts());
  const final = await runner.finalChatCompletion();
  const call = final.choices[0].message.tool_calls?.[0];
  assert.ok(call, 'a tool call');
  assert.equal(call.function.name, 'get_weather');
  const args = JSON.parse(call.function.arguments);
  assert.equal(typeof args.city, 'string');
  assert.equal(final.choices[0].finish_reason, 'tool_calls');

  // The tool result goes back; the answer is text.
  const after = await client.chat.completions.create({
    model, tools,
    messages: [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
      { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21}' },
    ],
  });
  assert.equal(after.choices[0].finish_reason, 'stop');
  assert.ok(after.choices[0].message.content.length > 0);

  // The same history, one turn on, as the vendor received it: the call and
  // the result under the call's id, the texts around them, the system prompt.
  const history = {
    model, tools, max_tokens: 500,
    messages: [
      { role: 'system', content: 'Answer with the weather.' },
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
      { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21}' },
      { role: 'assistant', content: 'It is 21 °C in Paris.' },
      { role: 'user', content: 'and tomorrow? [mock:digest]' },
    ],
  };
  const received = await client.chat.completions.create(history);
  assert.deepEqual(JSON.parse(received.choices[0].message.content), expectedFor(model, digestOfOpenAI(history)),
    'what the vendor received of the tool round trip');

  // An image by data URL.
  const img = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: pixel } }] }],
  });
  assert.match(img.choices[0].message.content, /I see 1 image\./, 'the vendor received the image in its own format');
}

for (const model of CROSS_VENDOR_MODELS) {
  test(`the same SDK script runs against ${model}`, async () => {
    await script(model);
  });
}

// Every vendor's own credential, exactly, in its own header and nowhere
// else (the mock refuses any other with the vendor's 401/403, and verifies
// Bedrock's signature over the bytes it received).
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'x-amz-security-token'];
function assertOnlyCredential(req, name, value) {
  for (const h of CREDENTIAL_HEADERS) {
    if (h === name) continue;
    assert.equal(req.headers[h], undefined, `no ${h} header beside ${name}`);
  }
  if (typeof value === 'string') {
    assert.equal(req.headers[name], value);
  } else {
    assert.match(req.headers[name], value);
  }
}

test('each vendor received its own wire format and exactly its own key', async () => {
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
  let req = await lastUpstreamRequest(mock.url);
  assert.equal(req.target, '/v1/chat/completions');
  assertOnlyCredential(req, 'authorization', `Bearer ${VENDOR_KEY}`);

  await client.chat.completions.create({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x' }] });
  req = await lastUpstreamRequest(mock.url);
  assert.equal(req.target, '/v1/messages');
  assert.ok(JSON.parse(req.body).max_tokens > 0, 'max_tokens filled for Anthropic');
  assertOnlyCredential(req, 'x-api-key', ANTHROPIC_VENDOR_KEY);

  await client.chat.completions.create({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'x' }] });
  req = await lastUpstreamRequest(mock.url);
  assert.equal(req.target, '/v1beta/models/gemini-2.0-flash:generateContent', 'the key is not in the URL');
  assert.ok(JSON.parse(req.body).contents[0].parts[0].text === 'x');
  assertOnlyCredential(req, 'x-goog-api-key', GEMINI_VENDOR_KEY);

  await client.chat.completions.create({ model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: 'x' }] });
  req = await lastUpstreamRequest(mock.url);
  // The path AWS gets is the one that was signed: ':' sent as %3A (and
  // signed as %253A); the mock answered, so the signature verified on it.
  assert.equal(req.target, '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
  assertOnlyCredential(req, 'authorization', new RegExp(
    `^AWS4-HMAC-SHA256 Credential=${AWS_ACCESS_KEY}/\\d{8}/us-east-1/bedrock/aws4_request, ` +
    'SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$'));
});

test('errors of every vendor raise the SDK\'s typed exceptions', async () => {
  for (const model of CROSS_VENDOR_MODELS) {
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x [mock:status=429]' }] }),
      (e) => e instanceof OpenAI.RateLimitError && e.status === 429,
      model,
    );
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x [mock:status=400]' }] }),
      (e) => e instanceof OpenAI.BadRequestError,
      model,
    );
  }
  // Anthropic's 529 overloaded_error reaches an OpenAI client as 503, not 500.
  await assert.rejects(
    client.chat.completions.create({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'x [mock:status=529]' }] }),
    (e) => e instanceof OpenAI.InternalServerError && e.status === 503,
  );
});

test('embeddings through Gemini\'s batchEmbedContents, in the SDK\'s default base64 form and as floats', async () => {
  const res = await client.embeddings.create({ model: 'gemini/text-embedding-004', input: ['one', 'two'] });
  assert.equal(res.object, 'list');
  assert.equal(res.data.length, 2);
  assert.equal(res.data[1].index, 1);
  assert.ok(res.data[0].embedding.length > 0);
  assert.ok(res.data[0].embedding.every((x) => Number.isFinite(x)));
  const floats = await client.embeddings.create({ model: 'gemini/text-embedding-004', input: 'one', encoding_format: 'float' });
  // The same vector either way (float32 precision through base64).
  assert.ok(Math.abs(floats.data[0].embedding[0] - res.data[0].embedding[0]) < 1e-6);
  const req = await lastUpstreamRequest(mock.url);
  assert.equal(req.target, '/v1beta/models/text-embedding-004:batchEmbedContents');
  assertOnlyCredential(req, 'x-goog-api-key', GEMINI_VENDOR_KEY);
});
