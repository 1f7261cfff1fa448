// The front door under attack: request framing, bodies before
// authentication, HEAD, smuggling, hang-ups, the connection cap, the
// shutdown drain and HTTP conformance (issue 7, items 2, 3, 5–10). Raw
// sockets send what real clients would not; each test then checks that a
// normal request still succeeds.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  BIN, MASTER_KEY, startMock, startGateway, post, chatBody, readEvents, sleep, writeTemp,
} from '../lib/harness.mjs';
import { RawConn, memoryKb, openDescriptors, freeAtOnceEnv } from '../lib/raw_conn.mjs';
import { baselineMs, assertBetween } from '../lib/timing.mjs';

const MB = 1024 * 1024;

function head(method, path, headers = {}, version = '1.1') {
  let s = `${method} ${path} HTTP/${version}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

const auth = { host: 'gw', authorization: `Bearer ${MASTER_KEY}` };

async function normalRequestWorks(gw) {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('still there?'));
  assert.equal(r.status, 200);
  await r.json();
}

// Writes `total` bytes of `byte` in 1 MiB pieces until the server stops reading.
async function flood(conn, total, byte = 'a') {
  const piece = Buffer.alloc(MB, byte);
  for (let sent = 0; sent < total && !conn.isClosed; sent += piece.length) {
    if (!(await conn.write(piece))) break;
  }
}

let mock;
before(async () => { mock = await startMock(); });
after(async () => { await mock.stop(); });

describe('item 2: chunked framing is bounded', () => {
  let gw;
  before(async () => { gw = await startGateway({ mockUrl: mock.url, workers: 1, env: freeAtOnceEnv() }); });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  const endless = {
    'a chunk extension': '5;' ,
    'leading zeros in a chunk size': '0',
    'a trailer line': '0\r\nX-T: ',
  };
  for (const [what, prefix] of Object.entries(endless)) {
    for (const withKey of [true, false]) {
      test(`${what} that never ends (${withKey ? 'with' : 'without'} a key): refused, memory stays flat`, async () => {
        const before = memoryKb(gw.proc.pid).rss;
        const conn = await RawConn.open(gw.url);
        const h = withKey ? auth : { host: 'gw' };
        await conn.write(head('POST', '/v1/chat/completions', { ...h, 'transfer-encoding': 'chunked' }) + prefix);
        await flood(conn, 64 * MB, what === 'leading zeros in a chunk size' ? '0' : 'a');
        assert.ok(await conn.closed(10000), 'the connection must be closed');
        assert.equal(conn.status(), withKey ? 400 : 401);
        assert.equal(conn.responses(), 1);
        const grown = memoryKb(gw.proc.pid).hwm - before;
        assert.ok(grown < 24 * 1024, `the gateway grew by ${grown} kB while 64 MB were sent`);
        await normalRequestWorks(gw);
      });
    }
  }

  test('a well-formed chunked body is read, with extensions and trailers', async () => {
    const body = JSON.stringify(chatBody('chunked hello'));
    const conn = await RawConn.open(gw.url);
    await conn.write(head('POST', '/v1/chat/completions', { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }) +
      `${(10).toString(16)};a=b\r\n${body.slice(0, 10)}\r\n${(body.length - 10).toString(16)}\r\n${body.slice(10)}\r\n0\r\nX-T: 1\r\n\r\n`);
    assert.ok(await conn.until((t) => /"chat\.completion"/.test(t), 10000));
    assert.equal(conn.status(), 200);
    conn.destroy();
  });
});

describe('item 3: bodies are read only after authentication', () => {
  let gw;
  before(async () => {
    gw = await startGateway({
      mockUrl: mock.url, workers: 1, env: freeAtOnceEnv(),
      config: 'server:\n  max_buffer_bytes: 20000000\n',
    });
  });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  test('20 connections sending 10 MB bodies with a wrong key: 401 at once, nothing buffered', async () => {
    const before = memoryKb(gw.proc.pid).rss;
    const conns = await Promise.all(Array.from({ length: 20 }, () => RawConn.open(gw.url)));
    await Promise.all(conns.map(async (c) => {
      await c.write(head('POST', '/v1/chat/completions', { host: 'gw', authorization: 'Bearer sk-wrong', 'content-length': 10 * MB }));
      await flood(c, 10 * MB);
    }));
    for (const c of conns) {
      assert.ok(await c.until((t) => /\r\n\r\n\{/.test(t), 10000));
      assert.equal(c.status(), 401);
      assert.match(c.text(), /connection: close/i);
      assert.ok(await c.closed(10000));
    }
    const grown = memoryKb(gw.proc.pid).hwm - before;
    assert.ok(grown < 30 * 1024, `the gateway grew by ${grown} kB for 200 MB of refused bodies`);
    await normalRequestWorks(gw);
  });

  test('100 Continue is sent only once the key is accepted', async () => {
    const bad = await RawConn.open(gw.url);
    await bad.write(head('POST', '/v1/chat/completions', { host: 'gw', authorization: 'Bearer sk-wrong', expect: '100-continue', 'content-length': 100 }));
    assert.ok(await bad.until((t) => /\r\n\r\n\{/.test(t)));
    assert.doesNotMatch(bad.text(), /100 Continue/);
    assert.equal(bad.status(), 401);
    bad.destroy();

    const body = JSON.stringify(chatBody('continue'));
    const good = await RawConn.open(gw.url);
    await good.write(head('POST', '/v1/chat/completions', { ...auth, expect: '100-continue', 'content-type': 'application/json', 'content-length': body.length }));
    assert.ok(await good.until((t) => /100 Continue\r\n\r\n/.test(t)));
    await good.write(body);
    assert.ok(await good.until((t) => /"chat\.completion"/.test(t)));
    assert.equal(good.status(1), 200);
    good.destroy();
  });

  test('large bodies are not kept by idle keep-alive connections', async () => {
    const before = memoryKb(gw.proc.pid).rss;
    const conns = [];
    const size = 900 * 1024;  // under 1 MiB: the JSON parser's own buffers stay small
    for (let i = 0; i < 40; i++) {
      const c = await RawConn.open(gw.url);
      // A valid key and a body of invalid JSON: read, answered 400, connection kept.
      await c.write(head('POST', '/v1/chat/completions', { ...auth, 'content-length': size }));
      await c.write(Buffer.alloc(size, ' '));
      assert.ok(await c.until((t) => /\r\n\r\n\{/.test(t)));
      assert.equal(c.status(), 400);
      assert.doesNotMatch(c.text(), /connection: close/i);
      conns.push(c);
    }
    await sleep(300);
    const held = memoryKb(gw.proc.pid).rss - before;
    assert.ok(held < 16 * 1024, `40 idle connections hold ${held} kB after 900 KB requests`);
    for (const c of conns) c.destroy();
    await normalRequestWorks(gw);
  });

  test('the worker memory budget refuses bodies past it with 503', async () => {
    // 20 MB budget: two 8 MB bodies fit, the others are refused.
    const conns = await Promise.all(Array.from({ length: 5 }, () => RawConn.open(gw.url)));
    for (const c of conns) await c.write(head('POST', '/v1/chat/completions', { ...auth, 'content-length': 8 * MB }));
    await sleep(500);
    const refused = conns.filter((c) => c.status() === 503);
    assert.equal(refused.length, 3);
    for (const c of refused) assert.match(c.text(), /too many request bodies/);
    for (const c of conns) c.destroy();
    await sleep(200);
    await normalRequestWorks(gw);
  });
});

describe('items 5, 6, 10: HEAD, smuggling, HTTP conformance', () => {
  let gw;
  before(async () => {
    gw = await startGateway({ mockUrl: mock.url, workers: 1, config: 'server:\n  read_timeout_ms: 700\n' });
  });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  test('HEAD gets headers only, and the next response on the connection is read right', async () => {
    const conn = await RawConn.open(gw.url);
    await conn.write(head('HEAD', '/health', { host: 'gw' }));
    assert.ok(await conn.until((t) => t.includes('\r\n\r\n')));
    await sleep(200);
    const first = conn.text();
    assert.match(first, /^HTTP\/1\.1 200 /);
    assert.match(first, /content-length: 15/i);
    assert.ok(first.endsWith('\r\n\r\n'), 'no body after the head');
    await conn.write(head('HEAD', '/v1/models', auth) + head('GET', '/health', { host: 'gw' }));
    assert.ok(await conn.until((t) => t.endsWith('{"status":"ok"}')));
    assert.equal(conn.responses(), 3);
    assert.equal(conn.status(1), 200);
    assert.doesNotMatch(conn.text().split('HTTP/1.1').at(2), /"object"/, 'HEAD /v1/models has no body');
    conn.destroy();
  });

  const hidden = head('GET', '/v1/models', auth);
  for (const te of ['gzip', 'identity', 'xchunked', 'chunked, identity']) {
    test(`Transfer-Encoding: ${te} is refused with 400 and the hidden request never runs`, async () => {
      const conn = await RawConn.open(gw.url);
      await conn.write(head('POST', '/v1/chat/completions', { ...auth, 'transfer-encoding': te }) + hidden);
      assert.ok(await conn.closed());
      assert.equal(conn.status(), 400);
      assert.equal(conn.responses(), 1);
      assert.doesNotMatch(conn.text(), /"object":"list"/);
    });
  }

  test('an unknown coding before chunked is 501; Transfer-Encoding with Content-Length is 400', async () => {
    const a = await RawConn.open(gw.url);
    await a.write(head('POST', '/v1/chat/completions', { ...auth, 'transfer-encoding': 'gzip, chunked' }) + '0\r\n\r\n' + hidden);
    assert.ok(await a.closed());
    assert.equal(a.status(), 501);
    assert.equal(a.responses(), 1);
    const b = await RawConn.open(gw.url);
    await b.write(head('POST', '/v1/chat/completions', { ...auth, 'transfer-encoding': 'chunked', 'content-length': 5 }) + '0\r\n\r\n' + hidden);
    assert.ok(await b.closed());
    assert.equal(b.status(), 400);
    assert.equal(b.responses(), 1);
    await normalRequestWorks(gw);
  });

  test('HTTP/1.0 gets Content-Length or a close-delimited stream, never chunked', async () => {
    const a = await RawConn.open(gw.url);
    await a.write(head('GET', '/health', {}, '1.0'));
    assert.ok(await a.closed());
    assert.match(a.text(), /content-length: 15/i);
    assert.doesNotMatch(a.text(), /transfer-encoding/i);

    const body = JSON.stringify(chatBody('old client', { stream: true }));
    const s = await RawConn.open(gw.url);
    await s.write(head('POST', '/v1/chat/completions', { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'content-length': body.length }, '1.0') + body);
    assert.ok(await s.closed());
    assert.equal(s.status(), 200);
    assert.doesNotMatch(s.text(), /transfer-encoding/i);
    assert.match(s.text(), /\r\n\r\ndata: \{/, 'the body starts with an event, not a chunk size');
    assert.match(s.text(), /data: \[DONE\]\n\n$/);
  });

  test('HTTP/1.1 without Host is 400; a lowercase method is 501', async () => {
    const a = await RawConn.open(gw.url);
    await a.write('GET /health HTTP/1.1\r\n\r\n');
    assert.ok(await a.closed());
    assert.equal(a.status(), 400);
    const b = await RawConn.open(gw.url);
    await b.write(head('get', '/health', { host: 'gw' }));
    assert.ok(await b.closed());
    assert.equal(b.status(), 501);
  });

  test('a request that does not arrive in time gets 408; an idle connection is closed silently', async () => {
    const a = await RawConn.open(gw.url);
    await a.write('GET /health HTTP/1.1\r\nHo');
    assert.ok(await a.closed(5000));
    assert.equal(a.status(), 408);
    const b = await RawConn.open(gw.url);
    await b.write(head('POST', '/v1/chat/completions', { ...auth, 'content-length': 100 }) + '{"mod');
    assert.ok(await b.closed(5000));
    assert.equal(b.status(), 408);
    await normalRequestWorks(gw);
  });
});

describe('item 7: a client that hangs up cancels the upstream call', () => {
  let gw;
  before(async () => { gw = await startGateway({ mockUrl: mock.url, workers: 1 }); });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  test('200 abandoned non-stream requests: upstream connections closed at once, logged as 499', async () => {
    const fdsBefore = openDescriptors(gw.proc.pid);
    const body = JSON.stringify(chatBody('[mock:hang]'));
    const conns = await Promise.all(Array.from({ length: 200 }, () => RawConn.open(gw.url)));
    for (const c of conns) {
      await c.write(head('POST', '/v1/chat/completions', { ...auth, 'content-type': 'application/json', 'content-length': body.length }) + body);
    }
    await sleep(500);
    assert.ok(openDescriptors(gw.proc.pid) >= fdsBefore + 300, 'each request holds a client and an upstream connection');
    for (const c of conns) c.destroy();
    let fds = 0;
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      fds = openDescriptors(gw.proc.pid);
      if (fds <= fdsBefore + 5) break;
    }
    assert.ok(fds <= fdsBefore + 5, `descriptors: ${fdsBefore} before, ${fds} after the clients left`);
    for (let i = 0; i < 50 && gw.accessLog().filter((l) => l.status === 499).length < 200; i++) await sleep(100);
    assert.equal(gw.accessLog().filter((l) => l.status === 499).length, 200);
    await normalRequestWorks(gw);
  });
});

describe('item 8: the connection cap', () => {
  test('at the cap the oldest idle connection makes room; with none idle, 503 and a log line', async () => {
    const gw = await startGateway({ mockUrl: mock.url, workers: 1, config: 'server:\n  max_connections: 20\n' });
    try {
      assert.match(gw.stderr, /at most 20 client connections/);
      const idle = [];
      for (let i = 0; i < 20; i++) {
        const c = await RawConn.open(gw.url);
        await c.write(head('GET', '/health', { host: 'gw' }));
        assert.ok(await c.until((t) => t.endsWith('{"status":"ok"}')));
        idle.push(c);
        await sleep(5);
      }
      await normalRequestWorks(gw);  // a 21st connection: the oldest idle one is closed
      assert.ok(await idle[0].closed(3000), 'the oldest idle connection was closed');
      assert.equal(idle.slice(1).filter((c) => c.isClosed).length, 0, 'only the oldest');
      for (const c of idle) c.destroy();
      await sleep(200);

      // 20 busy connections: nothing to close, a new one is refused.
      const body = JSON.stringify(chatBody('[mock:hang]'));
      const busy = [];
      for (let i = 0; i < 20; i++) {
        const c = await RawConn.open(gw.url);
        await c.write(head('POST', '/v1/chat/completions', { ...auth, 'content-type': 'application/json', 'content-length': body.length }) + body);
        busy.push(c);
      }
      await sleep(300);
      const extra = await RawConn.open(gw.url);
      assert.ok(await extra.closed(3000));
      assert.equal(extra.status(), 503);
      for (let i = 0; i < 20 && !/connection limit reached/.test(gw.stderr); i++) await sleep(50);
      assert.match(gw.stderr, /connection limit reached/);
      for (const c of busy) c.destroy();
      await sleep(500);
      await normalRequestWorks(gw);
    } finally {
      await gw.stop();
    }
  });

  test('the default cap leaves each client connection room for its upstream one', async () => {
    for (const [limit, expected] of [[20000, 9968], [1024, 480]]) {
      const proc = spawn('prlimit', [`--nofile=${limit}:${limit}`, BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--workers', '1'],
        { env: { PATH: process.env.PATH, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '', LLMGW_MASTER_KEY: MASTER_KEY },
          cwd: path.dirname(writeTemp('cwd', '')) });  // usage.db goes where it runs
      let err = '';
      proc.stderr.on('data', (d) => { err += d; });
      for (let i = 0; i < 200 && !/client connections/.test(err); i++) await sleep(50);
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      assert.match(err, new RegExp(`at most ${expected} client connections`));
    }
  });
});

describe('item 9: shutdown drain', () => {
  test('streams still running after drain_timeout_ms end with an error event and the closing chunk', async () => {
    const gw = await startGateway({ mockUrl: mock.url, workers: 1, config: 'server:\n  drain_timeout_ms: 800\n' });
    const r = await post(gw.url, '/v1/chat/completions', chatBody('[mock:tokens=200,tps=10]', { stream: true }));
    assert.equal(r.status, 200);
    const reading = readEvents(r);  // throws if the stream is cut without its closing chunk
    await sleep(400);
    const baseline = await baselineMs(gw.url);
    const t0 = performance.now();
    const stopped = gw.stop();
    const events = await reading;
    assertBetween(assert, performance.now() - t0, 600, 800, baseline, 'the stream ended');
    const last = JSON.parse(events.at(-1).data);
    assert.equal(last.error.code, 'gateway_shutting_down');
    assert.ok(!events.some((e) => e.data === '[DONE]'));
    assert.equal((await stopped).code, 0);
  });

  test('a non-stream request still waiting at the end of the drain gets 503, and the gateway exits cleanly', async () => {
    const gw = await startGateway({ mockUrl: mock.url, workers: 1, config: 'server:\n  drain_timeout_ms: 300\n' });
    const pending = post(gw.url, '/v1/chat/completions', chatBody('[mock:hang]'));
    // A second one still sending its body: nothing to cancel, its connection is cut.
    const slow = await RawConn.open(gw.url);
    await slow.write(head('POST', '/v1/chat/completions', { ...auth, 'content-length': 100 }) + '{"model"');
    await sleep(300);
    const stopped = gw.stop();
    const r = await pending;
    assert.equal(r.status, 503);
    assert.equal((await r.json()).error.code, 'gateway_shutting_down');
    assert.ok(await slow.closed(5000));
    assert.equal((await stopped).code, 0, gw.stderr);
    assert.doesNotMatch(gw.stderr, /AddressSanitizer/);
  });

  test('requests that finish within the drain time are not cut', async () => {
    const gw = await startGateway({ mockUrl: mock.url, workers: 1, config: 'server:\n  drain_timeout_ms: 5000\n' });
    const r = await post(gw.url, '/v1/chat/completions', chatBody('[mock:tokens=10,tps=10]', { stream: true }));
    const reading = readEvents(r);
    await sleep(200);
    const stopped = gw.stop();
    const events = await reading;
    assert.equal(events.at(-1).data, '[DONE]');
    assert.equal((await stopped).code, 0);
  });
});
