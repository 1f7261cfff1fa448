// The response cache (issue 10, items 8-11), memory backend: a hit answers
// without an upstream call, in the client's API, as JSON or as a replayed
// stream; what may not be reused (errors, truncated answers, another key's
// answers, another system prompt or tools) is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import {
  startMock, startGateway, post, mockStats, allVendorsEnv, sleep, MASTER_KEY,
} from '../lib/harness.mjs';

let mock;
let gw;
let seq = 0;

// A question no other test asks: entries of one test never answer another's.
const unique = (text = 'hello') => `${text} #${++seq}-${Date.now()}`;
const upstreamCalls = async () => (await mockStats(mock.url)).requests;

const KEYS = { a: 'sk-team-a', b: 'sk-team-b', c: 'sk-team-c' };

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    env: allVendorsEnv(mock.url),
    config: `
keys:
  - { name: team-a, key: ${KEYS.a} }
  - { name: team-b, key: ${KEYS.b} }
  - { name: team-c, key: ${KEYS.c} }
model_groups:
  short-lived: [{ provider: openai, model: gpt-4o-mini }]
  uncached: [{ provider: openai, model: gpt-4o-mini }]
cache:
  backend: memory
  ttl: 300
  max_bytes: 16777216
  groups: { short-lived: { ttl: 1 }, uncached: { enabled: false } }
  namespaces: { shared: [team-b, team-c] }
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

// One chat request: status, headers and body text.
async function ask(body, { key = MASTER_KEY, headers = {}, path = '/v1/chat/completions' } = {}) {
  const h = path === '/v1/messages' ? { 'x-api-key': key, 'anthropic-version': '2023-06-01', ...headers } : headers;
  const r = await post(gw.url, path, body, { key: path === '/v1/messages' ? null : key, headers: h });
  return { status: r.status, headers: r.headers, text: await r.text(), cache: r.headers.get('x-llmgw-cache') };
}

const chat = (content, extra = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

test('a hit returns the very bytes of the miss, with age, and makes no upstream call', async () => {
  const body = chat(unique());
  const first = await ask(body);
  assert.equal(first.status, 200);
  assert.equal(first.cache, 'miss');
  assert.equal(first.headers.get('age'), null);
  const calls = await upstreamCalls();
  const second = await ask(body);
  assert.equal(second.status, 200);
  assert.equal(second.cache, 'hit');
  assert.equal(second.text, first.text);  // the mock's id and created would differ on a new call
  assert.match(second.headers.get('age'), /^\d+$/);
  assert.equal(await upstreamCalls(), calls, 'the hit called the vendor');
});

test('key order, stream, user and metadata do not change the key', async () => {
  const q = unique();
  const first = await ask({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }], temperature: 0.5 });
  assert.equal(first.cache, 'miss');
  const reordered = await ask({ temperature: 0.5, messages: [{ content: q, role: 'user' }], model: 'gpt-4o-mini',
                                user: 'someone', metadata: { a: 'b' }, store: false });
  assert.equal(reordered.cache, 'hit');
  assert.equal(reordered.text, first.text);
});

test('a change of system prompt, tools, sampling or model misses', async () => {
  const q = unique();
  const base = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: q }] };
  assert.equal((await ask(base)).cache, 'miss');
  assert.equal((await ask(base)).cache, 'hit');
  const tool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };
  const variants = [
    { ...base, messages: [{ role: 'system', content: 'Be verbose.' }, base.messages[1]] },
    { ...base, tools: [tool] },
    { ...base, tools: [{ ...tool, function: { ...tool.function, description: 'other' } }] },
    { ...base, temperature: 0.2 },
    { ...base, max_tokens: 50 },
    { ...base, seed: 7 },
    { ...base, response_format: { type: 'json_object' } },
    { ...base, model: 'gpt-4o' },
  ];
  for (const v of variants) {
    const r = await ask(v);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.cache, 'miss', JSON.stringify(v));
  }
  // The cache holds one choice: n > 1 goes around it.
  assert.equal((await ask({ ...base, n: 2 })).cache, 'skip');
});

test('an error answer and a truncated answer are never stored', async () => {
  const failing = chat(unique('fail [mock:status=500]'));
  const e1 = await ask(failing);
  assert.equal(e1.status, 500);
  const calls = await upstreamCalls();
  const e2 = await ask(failing);
  assert.equal(e2.status, 500);
  assert.notEqual(e2.cache, 'hit');
  assert.ok(await upstreamCalls() > calls, 'the error was replayed from the cache');

  const truncated = chat(unique('long [mock:tokens=20]'), { max_tokens: 3 });
  const t1 = await ask(truncated);
  assert.equal(JSON.parse(t1.text).choices[0].finish_reason, 'length');
  const t2 = await ask(truncated);
  assert.equal(t2.cache, 'miss');
});

test('a stream that fails midway is not stored', async () => {
  const body = chat(unique('cut [mock:tokens=10,error_after=3]'), { stream: true });
  const r1 = await ask(body);
  assert.equal(r1.status, 200);
  assert.equal((await ask(body)).cache, 'miss');
});

test('namespaces: each key has its own entries unless the config shares them', async () => {
  const body = chat(unique());
  assert.equal((await ask(body, { key: KEYS.a })).cache, 'miss');
  assert.equal((await ask(body, { key: KEYS.a })).cache, 'hit');
  assert.equal((await ask(body, { key: KEYS.b })).cache, 'miss', 'team-b read team-a\'s entry');
  assert.equal((await ask(body, { key: KEYS.c })).cache, 'hit', 'team-c does not share team-b\'s namespace');
  assert.equal((await ask(body)).cache, 'miss', 'the master key read another key\'s entry');
});

test('TTL: the header sets it, a group sets it, and an entry expires', async () => {
  const body = chat(unique());
  assert.equal((await ask(body, { headers: { 'x-llmgw-cache-ttl': '1' } })).cache, 'miss');
  assert.equal((await ask(body)).cache, 'hit');
  await sleep(1300);
  assert.equal((await ask(body)).cache, 'miss', 'the entry outlived its 1 s TTL');

  const grouped = { ...chat(unique()), model: 'short-lived' };
  assert.equal((await ask(grouped)).cache, 'miss');
  assert.equal((await ask(grouped)).cache, 'hit');
  await sleep(1300);
  assert.equal((await ask(grouped)).cache, 'miss', 'the group\'s 1 s TTL was not applied');

  const bad = await ask(chat(unique()), { headers: { 'x-llmgw-cache-ttl': 'soon' } });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.text).error.param, 'x-llmgw-cache-ttl');
});

test('a group with enabled: false is skipped', async () => {
  const body = { ...chat(unique()), model: 'uncached' };
  assert.equal((await ask(body)).cache, 'skip');
  const calls = await upstreamCalls();
  assert.equal((await ask(body)).cache, 'skip');
  assert.equal(await upstreamCalls(), calls + 1);
});

test('cache-control: no-cache skips the lookup, no-store skips the store', async () => {
  const body = chat(unique());
  const noStore = await ask(body, { headers: { 'cache-control': 'no-store' } });
  assert.equal(noStore.cache, 'miss');
  assert.equal((await ask(body)).cache, 'miss', 'no-store stored the answer');
  assert.equal((await ask(body)).cache, 'hit');
  const calls = await upstreamCalls();
  const noCache = await ask(body, { headers: { 'cache-control': 'max-age=0, No-Cache' } });
  assert.equal(noCache.cache, 'skip');
  assert.equal(noCache.status, 200);
  assert.equal(await upstreamCalls(), calls + 1, 'no-cache was answered from the cache');
});

test('OpenAI and Anthropic clients asking the same question share the entry', async () => {
  const q = unique();
  const openai = await ask({
    model: 'gpt-4o-mini', max_tokens: 256,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: q }],
  });
  assert.equal(openai.cache, 'miss');
  const calls = await upstreamCalls();
  const anthropic = await ask({
    model: 'gpt-4o-mini', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: [{ type: 'text', text: q }] }],
  }, { path: '/v1/messages' });
  assert.equal(anthropic.status, 200, anthropic.text);
  assert.equal(anthropic.cache, 'hit');
  assert.equal(await upstreamCalls(), calls);
  const m = JSON.parse(anthropic.text);
  assert.equal(m.type, 'message');
  assert.equal(m.content[0].text, JSON.parse(openai.text).choices[0].message.content);
  assert.equal(m.stop_reason, 'end_turn');
});

test('stream replays parse with the official openai SDK, usage chunk when asked', async () => {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 10000 });
  const q = unique('hello [mock:tokens=6]');
  const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }] });
  const calls = await upstreamCalls();
  for (const includeUsage of [false, true]) {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini', messages: [{ role: 'user', content: q }], stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    }, { signal: AbortSignal.timeout(20000) });
    let text = '';
    let finish;
    let usage;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta?.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    assert.equal(text, first.choices[0].message.content);
    assert.equal(finish, 'stop');
    if (includeUsage) {
      assert.deepEqual([usage.prompt_tokens, usage.completion_tokens],
                       [first.usage.prompt_tokens, first.usage.completion_tokens]);
    } else {
      assert.equal(usage, undefined);
    }
  }
  assert.equal(await upstreamCalls(), calls, 'a streamed hit called the vendor');

  // A streamed miss that completes is stored, and answers a JSON request.
  const q2 = unique('again [mock:tokens=5]');
  const raw = await post(gw.url, '/v1/chat/completions', chat(q2, { stream: true }));
  assert.equal(raw.headers.get('x-llmgw-cache'), 'miss');
  await raw.text();
  const json = await ask(chat(q2));
  assert.equal(json.cache, 'hit');
  assert.equal(JSON.parse(json.text).choices[0].finish_reason, 'stop');
});

test('stream replays parse with the official Anthropic SDK, passed through to Anthropic or translated', async () => {
  const client = new Anthropic({ baseURL: gw.url, apiKey: MASTER_KEY, maxRetries: 0, timeout: 10000 });
  for (const model of ['claude-3-5-haiku-latest', 'gpt-4o-mini']) {
    const q = unique('hello [mock:tokens=6]');
    const params = { model, max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: q }] };
    const miss = await client.messages.stream(params, { signal: AbortSignal.timeout(20000) }).finalMessage();
    const calls = await upstreamCalls();
    const events = [];
    const s = client.messages.stream(params, { signal: AbortSignal.timeout(20000) });
    s.on('streamEvent', (e) => events.push(e.type));
    const hit = await s.finalMessage();
    assert.equal(await upstreamCalls(), calls, `${model}: the streamed hit called the vendor`);
    assert.equal(events[0], 'message_start');
    assert.equal(events.at(-1), 'message_stop');
    assert.equal(hit.content[0].text, miss.content[0].text, model);
    assert.equal(hit.stop_reason, 'end_turn');
    assert.equal(hit.usage.output_tokens, miss.usage.output_tokens);
    const json = await client.messages.create(params);
    assert.equal(json.content[0].text, miss.content[0].text);
    assert.equal(await upstreamCalls(), calls, `${model}: the JSON hit called the vendor`);
  }
});

test('tool calls survive the cache, in both APIs', async () => {
  const q = unique('weather? [mock:tool]');
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const first = await ask(chat(q, { tools }));
  const call = JSON.parse(first.text).choices[0].message.tool_calls[0];
  const streamed = await ask(chat(q, { tools, stream: true }));
  assert.equal(streamed.cache, 'hit');
  assert.match(streamed.text, /"get_weather"/);
  assert.ok(streamed.text.includes(JSON.stringify(call.id)));
  const anthropic = await ask({
    model: 'gpt-4o-mini', max_tokens: 4096, messages: [{ role: 'user', content: q }],
    tools: [{ name: 'get_weather', input_schema: tools[0].function.parameters }],
  }, { path: '/v1/messages' });
  // max_tokens differs from the OpenAI request (none): another question.
  assert.equal(anthropic.cache, 'miss');
});

test('the access log records the cache status', async () => {
  const body = chat(unique());
  const miss = await post(gw.url, '/v1/chat/completions', body);
  await miss.text();
  const hit = await post(gw.url, '/v1/chat/completions', body);
  await hit.text();
  const skip = await post(gw.url, '/v1/chat/completions', body, { headers: { 'cache-control': 'no-cache' } });
  await skip.text();
  for (const [r, status] of [[miss, 'miss'], [hit, 'hit'], [skip, 'skip']]) {
    const id = r.headers.get('x-request-id');
    const line = await gw.waitForAccessLog((l) => l.request_id === id);
    assert.ok(line, `no access log line for ${id}`);
    assert.equal(line.cache, status);
  }
});
