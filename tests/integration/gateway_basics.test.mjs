// Health, paths, authentication, headers, routing and the access log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMock, startGateway, post, chatBody, keyHash, MASTER_KEY, VENDOR_KEY, lastUpstreamRequest,
} from '../lib/harness.mjs';

const TEAM_KEY = 'sk-team-a-plaintext-key';
let mock;
let gw;

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    config: `
providers:
  - name: local
    base_url: ${mock.url}/v1
    models: ['org/model:v1']
keys:
  - name: team-a
    key_sha256: ${keyHash(TEAM_KEY)}
aliases:
  fast: openai/gpt-4o-mini
model_groups:
  grp:
    - {provider: openai, model: gpt-4o-mini, weight: 1}
`,
  });
});

after(async () => {
  const g = await gw?.stop();
  const m = await mock?.stop();
  assert.equal(g?.code, 0, `gateway exit: ${JSON.stringify(g)}\n${gw?.stderr}`);
  assert.equal(m?.code, 0, 'mock-vendor exit');
  // Secrets never reach the gateway's output.
  for (const secret of [VENDOR_KEY, MASTER_KEY, TEAM_KEY]) {
    assert.ok(!gw.stdout.includes(secret), `stdout leaks ${secret}`);
    assert.ok(!gw.stderr.includes(secret), `stderr leaks ${secret}`);
  }
});

test('health and readiness answer without a key', async () => {
  for (const p of ['/health', '/health/ready', '/v1/health']) {
    const r = await fetch(gw.url + p);
    assert.equal(r.status, 200, p);
    assert.equal((await r.json()).status, 'ok');
    assert.match(r.headers.get('x-request-id'), /^req_[0-9a-f]{24}$/);
  }
});

test('unknown path is a 404 in the OpenAI error shape', async () => {
  const r = await post(gw.url, '/v1/nothing-here', {});
  assert.equal(r.status, 404);
  const body = await r.json();
  assert.equal(typeof body.error.message, 'string');
  assert.ok('param' in body.error && 'code' in body.error && 'type' in body.error);
  assert.ok(r.headers.get('x-request-id'));
});

test('wrong method is a 405', async () => {
  const r = await fetch(gw.url + '/v1/chat/completions', { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  assert.equal(r.status, 405);
  assert.ok((await r.json()).error);
});

test('missing and wrong keys are 401s with different messages, in OpenAI\'s wording', async () => {
  const missing = await post(gw.url, '/v1/chat/completions', chatBody('hi'), { key: null });
  assert.equal(missing.status, 401);
  const m = (await missing.json()).error;
  assert.match(m.message, /You didn't provide an API key/);
  assert.ok('param' in m && 'code' in m && 'type' in m);

  const wrong = await post(gw.url, '/v1/chat/completions', chatBody('hi'), { key: 'sk-wrong' });
  assert.equal(wrong.status, 401);
  const w = (await wrong.json()).error;
  assert.equal(w.code, 'invalid_api_key');
  assert.match(w.message, /Incorrect API key provided/);
  assert.ok(!w.message.includes('sk-wrong'), 'the presented key is not echoed');
});

test('on /v1/messages a missing key is told to send x-api-key, a wrong one that it is invalid', async () => {
  const body = { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
  const missing = await post(gw.url, '/v1/messages', body, { key: null });
  assert.equal(missing.status, 401);
  const m = await missing.json();
  assert.equal(m.type, 'error');
  assert.equal(m.error.type, 'authentication_error');
  assert.match(m.error.message, /^x-api-key header is required/);

  const wrong = await post(gw.url, '/v1/messages', body, { key: null, headers: { 'x-api-key': 'sk-wrong' } });
  assert.equal(wrong.status, 401);
  const w = await wrong.json();
  assert.equal(w.error.type, 'authentication_error');
  assert.match(w.error.message, /^invalid x-api-key/);
  assert.ok(!w.error.message.includes('sk-wrong'));
});

test('a config key (stored hashed) and x-api-key both authenticate', async () => {
  const r1 = await post(gw.url, '/v1/chat/completions', chatBody('hi'), { key: TEAM_KEY });
  assert.equal(r1.status, 200);
  const r2 = await post(gw.url, '/v1/chat/completions', chatBody('hi'), { key: null, headers: { 'x-api-key': TEAM_KEY } });
  assert.equal(r2.status, 200);
});

test('the vendor gets the vendor key, never the client key', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'), { key: TEAM_KEY });
  assert.equal(r.status, 200);
  const up = await lastUpstreamRequest(mock.url);
  assert.equal(up.headers.authorization, `Bearer ${VENDOR_KEY}`);
  assert.ok(!JSON.stringify(up).includes(TEAM_KEY));
});

test('paths with and without /v1 are the same endpoint', async () => {
  const a = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
  const b = await post(gw.url, '/chat/completions', chatBody('hi'));
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  const m = await fetch(gw.url + '/models', { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  assert.equal(m.status, 200);
});

test('responses carry a unique request id, provider and model headers', async () => {
  const ids = new Set();
  for (let i = 0; i < 5; i++) {
    const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
    assert.equal(r.status, 200);
    ids.add(r.headers.get('x-request-id'));
    assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
    assert.equal(r.headers.get('x-llmgw-model'), 'gpt-4o-mini');
    await r.text();
  }
  assert.equal(ids.size, 5);
});

test('explicit vendor/model, prefix rules, aliases and groups route to the vendor model', async () => {
  for (const model of ['openai/gpt-4o-mini', 'gpt-4o-mini', 'fast', 'grp']) {
    const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model });
    assert.equal(r.status, 200, model);
    assert.equal(r.headers.get('x-llmgw-model'), 'gpt-4o-mini', model);
    const up = await lastUpstreamRequest(mock.url);
    assert.equal(JSON.parse(up.body).model, 'gpt-4o-mini', `${model} is sent as the vendor's id`);
  }
});

test('an unknown model is a 404 model_not_found naming it', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'nope-1' });
  assert.equal(r.status, 404);
  const { error } = await r.json();
  assert.equal(error.code, 'model_not_found');
  assert.match(error.message, /nope-1/);
});

test('a model of a vendor without a key is a 404 saying which key is missing', async () => {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'claude-3-5-haiku-latest' });
  assert.equal(r.status, 404);
  const { error } = await r.json();
  assert.equal(error.code, 'model_not_found');
  assert.match(error.message, /ANTHROPIC_API_KEY/);
});

test('/v1/models lists groups, aliases and the vendor models', async () => {
  const r = await fetch(gw.url + '/v1/models', { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.object, 'list');
  const ids = body.data.map((m) => m.id);
  for (const id of ['grp', 'fast', 'gpt-4o-mini']) assert.ok(ids.includes(id), `${id} in ${ids}`);
  for (const m of body.data) assert.equal(m.object, 'model');
});

test('GET /v1/models/{id} serves every listed model, ids with / and : included', async () => {
  const auth = { headers: { authorization: `Bearer ${MASTER_KEY}` } };
  const list = await (await fetch(gw.url + '/v1/models', auth)).json();
  const ids = list.data.map((m) => m.id);
  assert.ok(ids.includes('local/org/model:v1'), ids.join(' '));
  for (const listed of list.data) {
    // As the SDKs send it (encodeURIComponent), and as written.
    for (const p of [`/v1/models/${encodeURIComponent(listed.id)}`, `/v1/models/${listed.id}`, `/models/${listed.id}`]) {
      const r = await fetch(gw.url + p, auth);
      assert.equal(r.status, 200, p);
      assert.deepEqual(await r.json(), listed, p);
      assert.ok(r.headers.get('x-request-id'));
    }
  }
});

test('GET /v1/models/{id} of an unlisted model is a 404 model_not_found in OpenAI\'s shape', async () => {
  const auth = { headers: { authorization: `Bearer ${MASTER_KEY}` } };
  for (const id of ['nope-1', 'local%2Fnope', 'bad%zz']) {
    const r = await fetch(`${gw.url}/v1/models/${id}`, auth);
    assert.equal(r.status, 404, id);
    const { error } = await r.json();
    assert.equal(error.code, 'model_not_found', id);
    assert.equal(error.type, 'invalid_request_error');
    assert.ok('param' in error && typeof error.message === 'string');
  }
  assert.equal((await fetch(`${gw.url}/v1/models/gpt-4o-mini`)).status, 401, 'a key is needed, as for the list');
  const post405 = await post(gw.url, '/v1/models/gpt-4o-mini', {});
  assert.equal(post405.status, 405);
});

test('one access-log line per request, with the key name and never the key', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('log me'), { key: TEAM_KEY });
  const id = r.headers.get('x-request-id');
  await r.text();
  let line;
  for (let i = 0; i < 50 && !line; i++) {
    line = gw.accessLog().find((l) => l.request_id === id);
    if (!line) await new Promise((res) => setTimeout(res, 20));
  }
  assert.ok(line, 'access log line present');
  assert.equal(line.key, 'team-a');
  assert.equal(line.model, 'gpt-4o-mini');
  assert.equal(line.served_model, 'gpt-4o-mini');
  assert.equal(line.provider, 'openai');
  assert.equal(line.status, 200);
  assert.ok(line.latency_ms >= 0);
  assert.ok(line.ttfb_ms >= 0);
  assert.ok(line.prompt_tokens > 0);
  assert.ok(line.completion_tokens > 0);
});

test('keep-alive: several requests on one connection', async () => {
  const { rawRequest } = await import('../lib/harness.mjs');
  const body = JSON.stringify(chatBody('hi'));
  const one = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER_KEY}\r\n` +
              `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  const last = one.replace('host: x\r\n', 'host: x\r\nconnection: close\r\n');
  const { data } = await rawRequest(gw.url, one + one + last);
  assert.equal(data.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
});
