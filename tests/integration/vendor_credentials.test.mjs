// Vendor credentials end to end (issue 9, point 3). Every mock requires its
// vendor's key (harness: startMock) and recomputes Bedrock's SigV4 signature
// with the AWS secret over the bytes it received. A wrong key is refused
// with the vendor's own error; the gateway sent exactly the key it was
// configured with, in the vendor's header; and a client hears that the
// vendor refused the gateway's credentials (its own key was fine), with no
// credential and no AWS signing diagnosis in the answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMock, startGateway, allVendorsEnv, post, lastUpstreamRequest,
  VENDOR_KEY, ANTHROPIC_VENDOR_KEY, GEMINI_VENDOR_KEY, AWS_ACCESS_KEY, AWS_SECRET, VENDOR_SECRETS,
} from '../lib/harness.mjs';

const WRONG = {
  openai: 'sk-wrong-openai-key-000000',
  anthropic: 'sk-ant-wrong-key-111111',
  gemini: 'AIzaWrongGeminiKey222222',
  awsSecret: 'wrong/aws/secret/333333',
  awsKeyId: 'AKIDWRONGEXAMPLE',
};
const SESSION_TOKEN = 'mock-session-token-0123456789ABCDEF';
const BEDROCK = 'bedrock/anthropic.claude-3-haiku-20240307-v1:0';
const BEDROCK_TARGET = '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse';

let mock;
let good;       // the vendors' own keys, with an AWS session token
let wrongKeys;  // every key and the AWS secret wrong
let wrongId;    // the AWS access key id wrong

before(async () => {
  mock = await startMock();
  good = await startGateway({ mockUrl: mock.url, env: { ...allVendorsEnv(mock.url), AWS_SESSION_TOKEN: SESSION_TOKEN } });
  wrongKeys = await startGateway({
    mockUrl: mock.url,
    env: {
      ...allVendorsEnv(mock.url),
      OPENAI_API_KEY: WRONG.openai,
      ANTHROPIC_API_KEY: WRONG.anthropic,
      GEMINI_API_KEY: WRONG.gemini,
      AWS_SECRET_ACCESS_KEY: WRONG.awsSecret,
      AWS_SESSION_TOKEN: SESSION_TOKEN,
    },
  });
  wrongId = await startGateway({ mockUrl: mock.url, env: { ...allVendorsEnv(mock.url), AWS_ACCESS_KEY_ID: WRONG.awsKeyId } });
});

after(async () => {
  for (const gw of [good, wrongKeys, wrongId]) {
    const stopped = await gw?.stop();
    assert.equal(stopped?.code, 0, gw?.stderr);
    for (const secret of [...VENDOR_SECRETS, ...Object.values(WRONG), SESSION_TOKEN]) {
      assert.ok(!gw.stdout.includes(secret) && !gw.stderr.includes(secret), 'no vendor credential in the logs');
    }
  }
  await mock?.stop();
});

const chat = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function toMock(path, body, headers) {
  const r = await fetch(mock.url + path, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

// The facts below are the vendors' documented or observed answers to a
// wrong key; see the dialect files in src/mock/ and sigv4_check.cpp for sources.
test('the mock refuses any other key with each vendor\'s own error', async () => {
  const openai = await toMock('/v1/chat/completions', chat('gpt-4o-mini'), { authorization: `Bearer ${WRONG.openai}` });
  assert.equal(openai.status, 401);
  assert.equal(openai.body.error.code, 'invalid_api_key');
  assert.match(openai.body.error.message, /^Incorrect API key provided: /);
  assert.ok(!JSON.stringify(openai.body).includes(WRONG.openai), 'OpenAI masks the key it quotes');
  // Another vendor's key is as wrong as any.
  const crossed = await toMock('/v1/chat/completions', chat('gpt-4o-mini'), { authorization: `Bearer ${ANTHROPIC_VENDOR_KEY}` });
  assert.equal(crossed.status, 401);

  const anthropic = await toMock('/v1/messages', { ...chat('claude-3-5-haiku-latest'), max_tokens: 5 },
    { 'x-api-key': VENDOR_KEY, 'anthropic-version': '2023-06-01' });
  assert.equal(anthropic.status, 401);
  assert.deepEqual(anthropic.body.error, { type: 'authentication_error', message: 'invalid x-api-key' });

  const contents = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
  for (const [path, headers] of [
    ['/v1beta/models/gemini-2.0-flash:generateContent', { 'x-goog-api-key': WRONG.gemini }],
    [`/v1beta/models/gemini-2.0-flash:generateContent?key=${WRONG.gemini}`, {}],
  ]) {
    const gemini = await toMock(path, contents, headers);
    assert.equal(gemini.status, 400);
    assert.equal(gemini.body.error.status, 'INVALID_ARGUMENT');
    assert.equal(gemini.body.error.details[0].reason, 'API_KEY_INVALID');
  }

  // A SigV4 header of the right shape with a signature of zeros.
  const sigv4 = (keyId, date = '20240101T000000Z') => ({
    authorization: `AWS4-HMAC-SHA256 Credential=${keyId}/${date.slice(0, 8)}/us-east-1/bedrock/aws4_request, ` +
      `SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': date,
  });
  const unknownId = await toMock(BEDROCK_TARGET, { messages: [] }, sigv4(WRONG.awsKeyId));
  assert.equal(unknownId.status, 403);
  assert.equal(unknownId.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');
  assert.deepEqual(unknownId.body, { message: 'The security token included in the request is invalid.' });
  const expired = await toMock(BEDROCK_TARGET, { messages: [] }, sigv4(AWS_ACCESS_KEY));
  assert.equal(expired.status, 403);
  assert.match(expired.headers.get('x-amzn-errortype'), /^InvalidSignatureException/);
  assert.match(expired.body.message, /^Signature expired: 20240101T000000Z is now earlier than /);
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');  // e.g. 20240101T000000Z
  const badSignature = await toMock(BEDROCK_TARGET, { messages: [] }, sigv4(AWS_ACCESS_KEY, now));
  assert.equal(badSignature.status, 403);
  assert.match(badSignature.headers.get('x-amzn-errortype'), /^InvalidSignatureException/);
  assert.match(badSignature.body.message,
    /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key/);
});

test('each vendor received exactly its configured key in its own header, and Bedrock the signed path', async () => {
  const expected = {
    'gpt-4o-mini': (h) => assert.equal(h.authorization, `Bearer ${VENDOR_KEY}`),
    'claude-3-5-haiku-latest': (h) => assert.equal(h['x-api-key'], ANTHROPIC_VENDOR_KEY),
    'gemini-2.0-flash': (h) => assert.equal(h['x-goog-api-key'], GEMINI_VENDOR_KEY),
    [BEDROCK]: (h) => {
      assert.match(h.authorization, new RegExp(`^AWS4-HMAC-SHA256 Credential=${AWS_ACCESS_KEY}/\\d{8}/us-east-1/bedrock/aws4_request, ` +
        'SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$'));
      assert.equal(h['x-amz-security-token'], SESSION_TOKEN);
    },
  };
  for (const [model, check] of Object.entries(expected)) {
    for (const stream of [false, true]) {
      const r = await post(good.url, '/v1/chat/completions', chat(model, { stream }));
      assert.equal(r.status, 200, `${model}: ${await r.clone().text()}`);
      await r.text();
      const req = await lastUpstreamRequest(mock.url);
      check(req.headers);
      if (model === BEDROCK) assert.equal(req.target, stream ? BEDROCK_TARGET.replace('converse', 'converse-stream') : BEDROCK_TARGET);
    }
  }
  assert.ok(!JSON.stringify(await lastUpstreamRequest(mock.url)).includes(AWS_SECRET), 'the AWS secret never travels');
});

test('a key the vendor refuses: the vendor got that key, the client hears it was the gateway\'s', async () => {
  const cases = [
    { model: 'gpt-4o-mini', provider: 'openai', status: 401, sent: (h) => h.authorization === `Bearer ${WRONG.openai}` },
    { model: 'claude-3-5-haiku-latest', provider: 'anthropic', status: 401, sent: (h) => h['x-api-key'] === WRONG.anthropic },
    // Google answers a wrong key with 400; to the client it is a refused credential.
    { model: 'gemini-2.0-flash', provider: 'gemini', status: 401, sent: (h) => h['x-goog-api-key'] === WRONG.gemini },
    // Signed with the wrong secret: the key id and token are right, the signature is not.
    {
      model: BEDROCK, provider: 'bedrock', status: 403,
      sent: (h) => h.authorization.includes(`Credential=${AWS_ACCESS_KEY}/`) && h['x-amz-security-token'] === SESSION_TOKEN,
      message: /The request signature we calculated does not match the signature you provided\./,
    },
  ];
  for (const c of cases) {
    for (const stream of [false, true]) {
      const r = await post(wrongKeys.url, '/v1/chat/completions', chat(c.model, { stream }));
      const text = await r.text();
      assert.equal(r.status, c.status, `${c.model}: ${text}`);
      const { error } = JSON.parse(text);
      assert.ok(error.message.startsWith(`The upstream provider ${c.provider} rejected the gateway's credentials: `), text);
      if (c.message) assert.match(error.message, c.message);
      assert.ok(c.sent((await lastUpstreamRequest(mock.url)).headers), `${c.model}: the vendor received the configured key`);
      for (const secret of [...VENDOR_SECRETS, ...Object.values(WRONG), SESSION_TOKEN]) {
        assert.ok(!text.includes(secret), `${c.model}: no credential in the answer`);
      }
      // AWS's diagnosis of a bad signature (canonical request, upstream host) stays out.
      assert.ok(!text.includes('Canonical String') && !text.includes(new URL(mock.url).host), text);
    }
  }
});

test('Anthropic clients, passed through to Anthropic or translated, hear the gateway\'s credential was refused', async () => {
  for (const [model, status] of [['claude-3-5-haiku-latest', 401], [BEDROCK, 403]]) {
    const r = await post(wrongKeys.url, '/v1/messages', { ...chat(model), max_tokens: 5 },
      { headers: { 'anthropic-version': '2023-06-01' } });
    const body = await r.json();
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, status === 401 ? 'authentication_error' : 'permission_error');
    assert.match(body.error.message, /^The upstream provider (anthropic|bedrock) rejected the gateway's credentials: /);
  }
});

test('an AWS access key id AWS does not know: 403 UnrecognizedClientException, relayed as refused credentials', async () => {
  const r = await post(wrongId.url, '/v1/chat/completions', chat(BEDROCK));
  const body = await r.json();
  assert.equal(r.status, 403);
  assert.equal(body.error.message,
    'The upstream provider bedrock rejected the gateway\'s credentials: The security token included in the request is invalid.');
  assert.match((await lastUpstreamRequest(mock.url)).headers.authorization, new RegExp(`Credential=${WRONG.awsKeyId}/`));
});
