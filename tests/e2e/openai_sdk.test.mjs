// The official openai SDK as the client, used exactly as against OpenAI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, startGateway, MASTER_KEY } from '../lib/harness.mjs';

let mock;
let gw;
let client;
let streamOpts;

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    // A model id with '/' and ':' (listed as local/org/model:v1), as Groq's and Bedrock's ids have.
    config: `upstream:\n  first_byte_timeout_ms: 1000\nproviders:\n  - {name: local, base_url: '${mock.url}/v1', models: ['org/model:v1']}\n`,
  });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 10000 });
  // The SDK's timeout stops at the response headers: streams get a signal too.
  streamOpts = () => ({ signal: AbortSignal.timeout(20000) });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

test('chat.completions.create (non-stream)', async () => {
  const c = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
  assert.equal(c.object, 'chat.completion');
  assert.ok(c.choices[0].message.content.length > 0);
  assert.ok(c.usage.total_tokens > 0);
});

test('withResponse exposes the gateway headers', async () => {
  const { response } = await client.chat.completions
    .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
    .withResponse();
  assert.equal(response.headers.get('x-llmgw-provider'), 'openai');
  assert.equal(response.headers.get('x-llmgw-model'), 'gpt-4o-mini');
  assert.match(response.headers.get('x-request-id'), /^req_/);
});

test('chat.completions.create (stream) yields the content', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello [mock:tokens=6]' }],
  }, streamOpts());
  let text = '';
  let finish;
  let sawUsage = false;
  for await (const chunk of stream) {
    if (chunk.usage) sawUsage = true;
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.ok(text.length > 0);
  assert.equal(finish, 'stop');
  assert.equal(sawUsage, false, 'no usage chunk unless asked');
});

test('stream with include_usage gets the usage chunk', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hello [mock:tokens=3]' }],
  }, streamOpts());
  let usage;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  assert.ok(usage?.completion_tokens > 0);
});

test('the stream helper assembles streamed tool-call arguments', async () => {
  const runner = client.chat.completions.stream({
    model: 'gpt-4o-mini', tools, messages: [{ role: 'user', content: 'weather in Paris? [mock:tool]' }],
  }, streamOpts());
  const final = await runner.finalChatCompletion();
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.equal(typeof JSON.parse(call.function.arguments).city, 'string');
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('embeddings.create (the SDK asks for base64)', async () => {
  const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 16 });
  assert.equal(e.data.length, 2);
  assert.equal(e.data[0].embedding.length, 16);
  assert.ok(e.data[0].embedding.every((x) => Number.isFinite(x)));
});

test('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes('gpt-4o-mini'));
});

test('models.retrieve for every listed model; an unknown one raises NotFoundError', async () => {
  const listed = [];
  for await (const m of client.models.list()) listed.push(m);
  assert.ok(listed.length > 0);
  assert.ok(listed.some((m) => m.id === 'local/org/model:v1'));
  for (const m of listed) {
    const got = await client.models.retrieve(m.id);
    assert.equal(got.id, m.id);
    assert.equal(got.object, 'model');
    assert.equal(got.owned_by, m.owned_by);
  }
  const e = await expectError(client.models.retrieve('nope-1'), OpenAI.NotFoundError, 404);
  assert.equal(e.code, 'model_not_found');
});

async function expectError(promise, Type, status) {
  try {
    await promise;
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof Type, `${e?.constructor?.name}: ${e?.message}`);
    if (status) assert.equal(e.status, status);
    return e;
  }
}

test('a wrong gateway key raises AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  await expectError(bad.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    OpenAI.AuthenticationError, 401);
});

test('an unknown model raises NotFoundError', async () => {
  const e = await expectError(client.chat.completions.create({ model: 'nope-1', messages: [{ role: 'user', content: 'x' }] }),
    OpenAI.NotFoundError, 404);
  assert.equal(e.code, 'model_not_found');
});

test('a bad request raises BadRequestError naming the field', async () => {
  const e = await expectError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'x', content: 'x' }] }),
    OpenAI.BadRequestError, 400);
  assert.equal(e.param, 'messages[0].role');
});

test('vendor 429 raises RateLimitError', async () => {
  await expectError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x [mock:status=429]' }] }),
    OpenAI.RateLimitError, 429);
});

test('vendor 500 raises InternalServerError', async () => {
  await expectError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x [mock:status=500]' }] }),
    OpenAI.InternalServerError, 500);
});

test('an upstream timeout raises an APIError with status 504', async () => {
  await expectError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x [mock:hang]' }] }),
    OpenAI.InternalServerError, 504);
});

test('a stream cut by the vendor raises an error in the SDK iterator', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x [mock:tokens=10] [mock:reset_after=2]' }],
  }, streamOpts());
  await assert.rejects(async () => {
    for await (const chunk of stream) void chunk;
  }, OpenAI.APIError);
});
