// The server's own errors (400, 408, 413, 431) speak the API the client
// called: Anthropic's shape on /v1/messages, OpenAI's elsewhere and before a
// request line could be read; one found while the gateway reads the body
// quotes the request's own id (the one its access-log line has).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, sleep, MASTER_KEY } from '../lib/harness.mjs';
import { RawConn } from '../lib/raw_conn.mjs';

let mock;
let gw;

before(async () => {
  mock = await startMock();
  gw = await startGateway({
    mockUrl: mock.url,
    config: 'server:\n  max_body_bytes: 4096\n  read_timeout_ms: 1000\n  max_header_bytes: 8192\n',
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
});

function head(method, path, headers = {}) {
  let s = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

const anthropicAuth = { host: 'gw', 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
const openaiAuth = { host: 'gw', authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' };

// Sends `bytes` on a new connection; the server answers its own errors and closes.
async function answer(...pieces) {
  const c = await RawConn.open(gw.url);
  for (const p of pieces) {
    if (typeof p === 'number') await sleep(p);
    else await c.write(p);
  }
  assert.ok(await c.closed(5000), 'the server closes after its own error');
  const text = c.text();
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, text);
  const headers = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: c.status(), headers, body: JSON.parse(text.slice(end + 4)) };
}

function assertAnthropic(r, status, type) {
  assert.equal(r.status, status);
  assert.equal(r.body.type, 'error', JSON.stringify(r.body));
  assert.equal(r.body.error.type, type);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(!('param' in r.body.error), 'no OpenAI fields');
  assert.match(r.headers['x-request-id'], /^req_/);
}

function assertOpenAI(r, status) {
  assert.equal(r.status, status);
  assert.ok(!('type' in r.body), JSON.stringify(r.body));
  assert.equal(typeof r.body.error.message, 'string');
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.ok('param' in r.body.error && 'code' in r.body.error);
  assert.match(r.headers['x-request-id'], /^req_/);
}

// The access-log line of a request (written off the request path: poll briefly).
async function logLine(id) {
  for (let i = 0; i < 50; i++) {
    const line = gw.accessLog().find((l) => l.request_id === id);
    if (line) return line;
    await sleep(20);
  }
  return undefined;
}

test('413: a declared body over the limit, in the shape of the API called', async () => {
  const tooBig = { 'content-length': 5000 };
  assertAnthropic(await answer(head('POST', '/v1/messages', { ...anthropicAuth, ...tooBig })), 413, 'request_too_large');
  assertAnthropic(await answer(head('POST', '/messages?beta=true', { ...anthropicAuth, ...tooBig })), 413, 'request_too_large');
  assertAnthropic(await answer(head('POST', '/v1/messages/count_tokens', { ...anthropicAuth, ...tooBig })), 413, 'request_too_large');
  assertOpenAI(await answer(head('POST', '/v1/chat/completions', { ...openaiAuth, ...tooBig })), 413);
});

test('413: a chunked body that grows past the limit while the gateway reads it quotes the request\'s own id', async () => {
  const chunk = 'x'.repeat(5000);
  const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
  const r = await answer(head('POST', '/v1/messages', { ...anthropicAuth, 'transfer-encoding': 'chunked' }) + body);
  assertAnthropic(r, 413, 'request_too_large');
  const line = await logLine(r.headers['x-request-id']);
  assert.ok(line, 'the access log has a line with the id the client was given');
  assert.equal(line.status, 413);
  const o = await answer(head('POST', '/v1/chat/completions', { ...openaiAuth, 'transfer-encoding': 'chunked' }) + body);
  assertOpenAI(o, 413);
});

test('431: headers over the limit, in the shape of the API called', async () => {
  const big = { 'x-big': 'a'.repeat(9000) };
  assertAnthropic(await answer(head('POST', '/v1/messages', { ...anthropicAuth, ...big })), 431, 'invalid_request_error');
  assertOpenAI(await answer(head('POST', '/v1/chat/completions', { ...openaiAuth, ...big })), 431);
});

test('408: a head that does not arrive in time, in the shape of the API called', async () => {
  assertAnthropic(await answer('POST /v1/messages HTTP/1.1\r\nhost: gw\r\nx-api-'), 408, 'invalid_request_error');
  assertOpenAI(await answer('POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nauthori'), 408);
});

test('408: a body that does not arrive in time quotes the request\'s own id', async () => {
  const r = await answer(head('POST', '/v1/messages', { ...anthropicAuth, 'content-length': 100 }) + '{"model');
  assertAnthropic(r, 408, 'invalid_request_error');
  const line = await logLine(r.headers['x-request-id']);
  assert.ok(line, 'the access log has a line with the id the client was given');
  assert.equal(line.status, 408);
  assertOpenAI(await answer(head('POST', '/v1/chat/completions', { ...openaiAuth, 'content-length': 100 }) + '{"model'), 408);
});

test('400: malformed framing after the request line, in the shape of the API called', async () => {
  // A header line without a colon.
  assertAnthropic(await answer('POST /v1/messages HTTP/1.1\r\nhost: gw\r\nno colon here\r\n\r\n'), 400, 'invalid_request_error');
  assertOpenAI(await answer('POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nno colon here\r\n\r\n'), 400);
  // A chunk size that is not hex, found while the gateway reads the body.
  const bad = 'zz\r\nabc\r\n0\r\n\r\n';
  assertAnthropic(await answer(head('POST', '/v1/messages', { ...anthropicAuth, 'transfer-encoding': 'chunked' }) + bad),
                  400, 'invalid_request_error');
  assertOpenAI(await answer(head('POST', '/v1/chat/completions', { ...openaiAuth, 'transfer-encoding': 'chunked' }) + bad), 400);
});

test('400: a malformed request line has no path to go by and stays OpenAI-shaped', async () => {
  assertOpenAI(await answer('HELLO THERE\r\n\r\n'), 400);
  assertOpenAI(await answer('POST messages HTTP/1.1\r\nhost: gw\r\n\r\n'), 400);
});
