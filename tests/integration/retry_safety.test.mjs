// No double charge on retry: a model group of two deployments, the first of
// which fails in each way a vendor can, and what the second one received.
// Failures before the vendor could have acted (connect, a timeout before the
// first byte, 429, 5xx, a request not written whole, a stale reused
// connection) go on; a connection cut after the request arrived whole on a
// fresh connection, or after part of the answer, does not: the vendor has
// already done (and billed) the work.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startMock, startGateway, post, chatBody, readEvents, mockStats, VENDOR_KEY } from '../lib/harness.mjs';

// A vendor on a raw socket. `onRequest(sock, n, conn)` is called after each
// whole request (the n-th on the server, conn-th connection); with
// `read: false` it never reads and `onConnect` decides.
async function rawVendor({ onRequest, onConnect, read = true }) {
  const v = { connections: 0, requests: 0 };
  v.server = net.createServer({ pauseOnConnect: !read }, (sock) => {
    const conn = ++v.connections;
    sock.on('error', () => {});
    if (!read) return onConnect(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /content-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        buf = buf.subarray(total);
        onRequest(sock, ++v.requests, conn);
      }
    });
  });
  await new Promise((r) => v.server.listen(0, '127.0.0.1', r));
  v.url = `http://127.0.0.1:${v.server.address().port}`;
  return v;
}

function jsonResponse(status, reason, body) {
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const completion = JSON.stringify({
  id: 'chatcmpl-raw', object: 'chat.completion', created: 0, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'from the raw vendor' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

let mock;        // the second deployment of every group
let resetting;   // a mock that resets: before any byte (non-stream), mid-stream (stream)
let vendors;
let gw;
let deadPort;

before(async () => {
  mock = await startMock();
  resetting = await startMock(['--script', 'reset_after=2']);
  vendors = {
    // Headers and half the declared body, then the connection is destroyed.
    partial: await rawVendor({
      onRequest: (sock) => {
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n';
        sock.write(head + completion.slice(0, 60), () => sock.destroy());
      },
    }),
    // Half a status line, then the connection is destroyed.
    partialHead: await rawVendor({ onRequest: (sock) => sock.write('HTTP/1.1 200 O', () => sock.destroy()) }),
    // Reads nothing and resets while the request is still being written.
    unread: await rawVendor({ read: false, onConnect: (sock) => setTimeout(() => sock.resetAndDestroy(), 300) }),
    // The first request on a connection is answered (keep-alive); a second
    // one on the same connection finds it closed, as a pooled connection the
    // vendor timed out would be.
    stale: await rawVendor({
      onRequest: (sock) => {
        if (sock.served) return sock.destroy();
        sock.served = true;
        sock.write(jsonResponse(200, 'OK', completion));
      },
    }),
    // Like `stale`, but the second request on a connection gets half a
    // status line: the vendor was answering it.
    cutReused: await rawVendor({
      onRequest: (sock) => {
        if (sock.served) return sock.write('HTTP/1.1 200 O', () => sock.destroy());
        sock.served = true;
        sock.write(jsonResponse(200, 'OK', completion));
      },
    }),
    silent: await rawVendor({ onRequest: () => {} }),
    limited: await rawVendor({
      onRequest: (sock) => sock.write(jsonResponse(429, 'Too Many Requests',
        '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}')),
    }),
    failing: await rawVendor({
      onRequest: (sock) => sock.write(jsonResponse(503, 'Service Unavailable',
        '{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}')),
    }),
  };
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = probe.address().port;
  await new Promise((r) => probe.close(r));

  const providers = Object.entries(vendors).map(([name, v]) =>
    `  - {name: ${name}, type: openai-compatible, base_url: "${v.url}/v1", api_key: x, models: [m]}`);
  providers.push(`  - {name: resetting, type: openai-compatible, base_url: "${resetting.url}/v1", api_key: "${VENDOR_KEY}", models: [m]}`);
  providers.push(`  - {name: dead, type: openai-compatible, base_url: "http://127.0.0.1:${deadPort}/v1", api_key: x, models: [m]}`);
  const groups = [...Object.keys(vendors), 'resetting', 'dead'].map((name) => `  via-${name}:
    - {provider: ${name}, model: gpt-4o-mini, weight: 1}
    - {provider: openai, model: gpt-4o-mini, weight: 0}`);
  gw = await startGateway({
    mockUrl: mock.url,
    workers: 1,  // one connection pool, so a second request finds the first one's connection
    config: `
upstream:
  connect_timeout_ms: 1000
  first_byte_timeout_ms: 1000
providers:
${providers.join('\n')}
model_groups:
${groups.join('\n')}
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await mock?.stop();
  await resetting?.stop();
  for (const v of Object.values(vendors ?? {})) v.server.close();
  assert.ok(!gw.stdout.includes(VENDOR_KEY));
});

beforeEach(async () => {
  await fetch(`${mock.url}/_mock/reset`, { method: 'POST' });
  await fetch(`${resetting.url}/_mock/reset`, { method: 'POST' });
});

const secondGot = async () => (await mockStats(mock.url)).chat_completions;

async function ask(group, content = 'hi', extra = {}) {
  return post(gw.url, '/v1/chat/completions', { ...chatBody(content, extra), model: `via-${group}` });
}

test('a non-stream answer cut after its headers and part of the body is not sent to the second deployment', async () => {
  const before = vendors.partial.requests;
  const r = await ask('partial');
  assert.equal(r.status, 502);
  assert.match((await r.json()).error.message, /partial/);
  assert.equal(vendors.partial.requests - before, 1, 'not sent again to the same vendor either');
  assert.equal(await secondGot(), 0);
});

test('an answer cut inside its status line is not sent to the second deployment', async () => {
  const r = await ask('partialHead');
  assert.equal(r.status, 502);
  await r.text();
  assert.equal(await secondGot(), 0);
});

test('a fresh connection reset after the whole request, before any byte of an answer, is not retried', async () => {
  const r = await ask('resetting');
  assert.equal(r.status, 502);
  await r.text();
  assert.equal((await mockStats(resetting.url)).chat_completions, 1, 'the first vendor got the request once');
  assert.equal(await secondGot(), 0);
});

test('a stream cut mid-way ends with an error event and is not sent to the second deployment', async () => {
  const r = await ask('resetting', 'hi [mock:tokens=10]', { stream: true });
  assert.equal(r.status, 200);
  const events = await readEvents(r);
  assert.ok(JSON.parse(events.at(-1).data).error, 'the last event is an error');
  assert.equal((await mockStats(resetting.url)).streams_reset, 1);
  assert.equal(await secondGot(), 0);
});

test('a request reset before it was written whole goes to the second deployment', async () => {
  // Larger than the socket buffers can take while the vendor reads nothing.
  const r = await ask('unread', 'x'.repeat(8 * 1024 * 1024));
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
  await r.json();
  assert.equal(await secondGot(), 1);
});

test('a reused keep-alive connection closed before any answer is sent again on a fresh one', async () => {
  const before = { ...vendors.stale };
  const first = await ask('stale');
  assert.equal(first.status, 200);
  await first.json();
  const second = await ask('stale');
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-llmgw-provider'), 'stale');
  await second.json();
  assert.equal(vendors.stale.requests - before.requests, 3, 'the second request was sent twice: stale, then fresh');
  assert.equal(vendors.stale.connections - before.connections, 2);
  assert.equal(await secondGot(), 0);
});

test('a reused keep-alive connection cut inside its answer is not sent again', async () => {
  const before = { ...vendors.cutReused };
  const first = await ask('cutReused');
  assert.equal(first.status, 200);
  await first.json();
  const second = await ask('cutReused');
  assert.equal(second.status, 502);
  await second.text();
  assert.equal(vendors.cutReused.requests - before.requests, 2);
  assert.equal(vendors.cutReused.connections - before.connections, 1, 'no fresh connection for it');
  assert.equal(await secondGot(), 0);
});

for (const [group, what] of [
  ['dead', 'a refused connection'],
  ['silent', 'no answer within first_byte_timeout_ms'],
  ['limited', 'a 429'],
  ['failing', 'a 503'],
]) {
  test(`${what} still goes to the second deployment`, async () => {
    const r = await ask(group);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
    await r.json();
    assert.equal(await secondGot(), 1);
  });
}
