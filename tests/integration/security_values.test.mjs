// Values that reach headers, vendor secrets in vendor answers, and model
// names that become URL path segments (issue 7, items 1, 4 and 11). Raw
// sockets where a normal client would not send such bytes, and the raw
// response bytes are what is checked: a header or a second response that
// fetch() would hide must not be there at all.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMock, startGateway, post, rawRequest, lastUpstreamRequest, allVendorsEnv, chatBody,
  MASTER_KEY, VENDOR_KEY, VENDOR_SECRETS,
} from '../lib/harness.mjs';

// Bedrock's secret key never travels; its session token does, so that is
// what a careless Bedrock could echo.
const SESSION_TOKEN = 'mock-session-token-QWERTYUIOP0123456789';

let mock;
let gw;

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    env: {
      ...allVendorsEnv(mock.url),
      AWS_SESSION_TOKEN: SESSION_TOKEN,
      AZURE_OPENAI_API_KEY: VENDOR_KEY,
      AZURE_OPENAI_ENDPOINT: mock.url,
    },
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

// One request on its own connection, closed after the answer, so `data` is
// every byte the gateway wrote. Returns the status, the head and the body.
async function raw(path, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const u = new URL(gw.url);
  const head = {
    host: u.host,
    authorization: `Bearer ${MASTER_KEY}`,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    connection: 'close',
    ...headers,
  };
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  const { data } = await rawRequest(gw.url, `POST ${path} HTTP/1.1\r\n${lines}\r\n\r\n${text}`);
  const end = data.indexOf('\r\n\r\n');
  return {
    data,
    status: Number(data.slice(9, 12)),
    head: data.slice(0, end).toLowerCase(),
    body: data.slice(end + 4),
  };
}

// The first piece of `secret` of `n` characters or more found in `text`.
function fragmentOf(secret, text, n = 8) {
  for (let i = 0; i + n <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + n))) return secret.slice(i, i + n);
  }
  return null;
}

function assertNoSecret(text) {
  for (const secret of [...VENDOR_SECRETS, SESSION_TOKEN]) {
    const f = fragmentOf(secret, text);
    assert.equal(f, null, `a fragment of a vendor secret (${f}) reached the client:\n${text}`);
  }
}

// After each test: the gateway still serves a normal request.
async function assertStillServes() {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('still there?'));
  assert.equal(r.status, 200);
  assert.equal((await r.json()).object, 'chat.completion');
}

function countResponses(data) {
  return (data.match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
}

describe('item 1: values that reach headers', () => {
  const injected = 'gpt-4o-mini\r\nSet-Cookie: a=b';
  const split = 'gpt-4o-mini\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: forged=1\r\nContent-Length: 2\r\n\r\nok';

  for (const [path, body] of [
    ['/v1/chat/completions', (model) => ({ model, messages: [{ role: 'user', content: 'hi' }] })],
    ['/v1/chat/completions', (model) => ({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] })],
    ['/v1/embeddings', (model) => ({ model, input: 'hi' })],
  ]) {
    test(`${path}: a model with CR LF is a 400 naming model, and no header is injected`, async () => {
      for (const model of [injected, split, 'gpt-4o-mini\u0000x', 'gpt-4o-mini\u007f', 'gpt-4o-mini\tx']) {
        const r = await raw(path, body(model));
        assert.equal(r.status, 400, r.data);
        assert.equal(countResponses(r.data), 1, r.data);
        assert.doesNotMatch(r.head, /set-cookie/);
        assert.doesNotMatch(r.head, /x-llmgw-model/);
        const { error } = JSON.parse(r.body);
        assert.equal(error.param, 'model');
        assert.equal(error.type, 'invalid_request_error');
      }
      await assertStillServes();
    });
  }

  for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
    test(`${path}: a model with CR LF is a 400 in Anthropic's shape naming model`, async () => {
      for (const model of [injected, split]) {
        const r = await raw(path, { model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
                            { 'anthropic-version': '2023-06-01' });
        assert.equal(r.status, 400, r.data);
        assert.equal(countResponses(r.data), 1, r.data);
        assert.doesNotMatch(r.head, /set-cookie/);
        const body = JSON.parse(r.body);
        assert.equal(body.type, 'error');
        assert.equal(body.error.type, 'invalid_request_error');
        assert.match(body.error.message, /^model: /);
      }
      await assertStillServes();
    });
  }

  test('a vendor retry-after that is not delta-seconds or an HTTP-date is dropped', async () => {
    // The careless vendor puts our key in its retry-after (and in x-mock-leaked).
    const r = await raw('/v1/chat/completions', chatBody('x [mock:status=429,leak]'));
    assert.equal(r.status, 429);
    assert.doesNotMatch(r.head, /retry-after/);
    assert.doesNotMatch(r.head, /x-mock-leaked/);
    // A valid one is still relayed.
    const ok = await raw('/v1/chat/completions', chatBody('x [mock:status=429]'));
    assert.match(ok.head, /\r\nretry-after: 1\r\n/);
    await assertStillServes();
  });
});

describe('item 4: vendor secrets never reach the client', () => {
  // Every route to every vendor, with what the mock then leaks: its error's
  // every field and retry-after, or the answer text.
  const routes = [
    ['openai-compatible', '/v1/chat/completions', 'gpt-4o-mini'],
    ['anthropic (translated)', '/v1/chat/completions', 'claude-3-5-haiku-latest'],
    ['gemini', '/v1/chat/completions', 'gemini-2.0-flash'],
    ['bedrock', '/v1/chat/completions', 'bedrock/anthropic.claude-3-haiku-20240307-v1:0'],
    ['azure', '/v1/chat/completions', 'azure/my-deployment'],
    ['anthropic client to anthropic (passthrough)', '/v1/messages', 'claude-3-5-haiku-latest'],
    ['anthropic client to openai', '/v1/messages', 'gpt-4o-mini'],
  ];
  const request = (path, model, content, extra = {}) => (path === '/v1/messages'
    ? { model, max_tokens: 64, messages: [{ role: 'user', content }], ...extra }
    : { model, messages: [{ role: 'user', content }], ...extra });

  for (const [name, path, model] of routes) {
    test(`${name}: a vendor error echoing the key in every field and header`, async () => {
      for (const status of [401, 429, 500]) {
        const r = await raw(path, request(path, model, `x [mock:status=${status},leak]`),
                            { 'anthropic-version': '2023-06-01' });
        assert.ok(r.status >= 400, r.data);
        assertNoSecret(r.data);
        assert.doesNotMatch(r.head, /x-mock-leaked/);
        assert.match(r.body, /\[redacted\]/);
      }
      await assertStillServes();
    });

    test(`${name}: a success body echoing the key`, async () => {
      const r = await raw(path, request(path, model, 'x [mock:leak]'), { 'anthropic-version': '2023-06-01' });
      assert.equal(r.status, 200, r.data);
      assertNoSecret(r.data);
      assert.match(r.body, /\[redacted\]/);
      await assertStillServes();
    });

    test(`${name}: a stream echoing the key`, async () => {
      const r = await raw(path, request(path, model, 'x [mock:leak]', { stream: true }),
                          { 'anthropic-version': '2023-06-01' });
      assert.equal(r.status, 200, r.data);
      // The mock streams a token (up to 8 bytes) per event: each piece of 8
      // is found; a client joining the pieces sees at most 7 characters in a row.
      assertNoSecret(r.data);
      await assertStillServes();
    });
  }
});

describe('item 11: model names that become path segments', () => {
  async function sent(before) {
    const after = await lastUpstreamRequest(mock.url);
    return { target: after.target, changed: JSON.stringify(after) !== JSON.stringify(before) };
  }

  for (const model of ['azure/..', 'azure/.', 'azure/', 'azure/%2e%2e', 'azure/.%2E', 'azure/a/../b', 'azure/x%2F..',
                       'gemini/..', 'gemini/models/..', 'gemini/models/', 'gemini/%2E%2E',
                       'bedrock/..', 'bedrock/.', 'bedrock/%252e%252e', 'openai/..']) {
    test(`${JSON.stringify(model)} is a 400 naming model and nothing is sent upstream`, async () => {
      await assertStillServes();
      const before = await lastUpstreamRequest(mock.url);
      const r = await post(gw.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(r.status, 400);
      const { error } = await r.json();
      assert.equal(error.param, 'model');
      assert.equal(error.type, 'invalid_request_error');
      assert.equal((await sent(before)).changed, false, 'no upstream request');
      // The same on the Anthropic API, in its shape.
      const m = await post(gw.url, '/v1/messages', { model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(m.status, 400);
      assert.equal((await m.json()).error.type, 'invalid_request_error');
      assert.equal((await sent(before)).changed, false, 'no upstream request');
      await assertStillServes();
    });
  }

  test('odd names stay one percent-encoded segment, for azure, gemini and bedrock', async () => {
    const cases = [
      ['azure/a b?c#d', /^\/openai\/deployments\/a%20b%3Fc%23d\/chat\/completions\?api-version=[^&]+$/],
      ['gemini/a b?c#d', /^\/v1beta\/models\/a%20b%3Fc%23d:generateContent$/],
      ['bedrock/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0',
        /^\/model\/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus\.anthropic\.claude-3-haiku-20240307-v1%3A0\/converse$/],
      ['bedrock/a b?c#d', /^\/model\/a%20b%3Fc%23d\/converse$/],
    ];
    for (const [model, target] of cases) {
      const r = await post(gw.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
      // The mock checks Bedrock's signature header and answers any model id.
      assert.equal(r.status, 200, `${model}: ${await r.clone().text()}`);
      await r.json();
      assert.match((await lastUpstreamRequest(mock.url)).target, target, model);
    }
    await assertStillServes();
  });
});
