// The access log is written off the request path: workers queue finished
// records and one background thread writes them in batches, on stdout or to
// the file of `access_log.path`, within 100 ms of each request's end, and
// drains every queue on SIGTERM before the process exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  BIN, startMock, startGateway, post, chatBody, writeTemp, sleep,
} from '../lib/harness.mjs';
import { baselineMs } from '../lib/timing.mjs';

let mock;
// After our own SIGTERM: wait for the exit without a second signal (the
// harness's stop() would send one, which may end the process mid-drain).
async function exitAfterSigterm(gw) {
  const timer = setTimeout(() => gw.proc.kill('SIGKILL'), 15000);
  const r = await gw.exited;
  clearTimeout(timer);
  return r;
}

before(async () => { mock = await startMock(); });
after(async () => { await mock.stop(); });

test('each line appears within 100 ms of its response, with no further traffic to push it out', async () => {
  const gw = await startGateway({ mockUrl: mock.url });
  try {
    const baseline = await baselineMs(gw.url);
    const delays = [];
    for (let i = 0; i < 20; i++) {
      const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
      await r.text();
      const t0 = performance.now();
      const id = r.headers.get('x-request-id');
      const line = await gw.waitForAccessLog((l) => l.request_id === id, { timeoutMs: 1000 });
      delays.push(performance.now() - t0);
      assert.ok(line, `no line for ${id} within 1 s`);
      assert.equal(line.status, 200);
      await sleep(Math.random() * 30);  // land anywhere in the writer's cycle
    }
    delays.sort((a, b) => a - b);
    const median = delays[delays.length >> 1];
    const max = delays.at(-1);
    // 100 ms promised (the writer sleeps at most 2 ms); the allowance
    // grows with this machine's measured round trip, so a sanitized build
    // under load is judged by its own speed.
    const seen = `${delays.map((d) => d.toFixed(0)).join(' ')} ms; baseline round trip ${baseline.toFixed(2)} ms`;
    assert.ok(median < 100 + 20 * baseline, `median ${median.toFixed(1)} ms (${seen})`);
    assert.ok(max < 200 + 50 * baseline, `slowest ${max.toFixed(1)} ms (${seen})`);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

// Responses received, then SIGTERM at once: the last records are still in
// the workers' queues when the signal arrives.
test('SIGTERM right after a burst of responses still writes every line', async () => {
  const gw = await startGateway({ mockUrl: mock.url });
  const ids = [];
  try {
    const responses = await Promise.all(Array.from({ length: 200 }, () =>
      post(gw.url, '/v1/chat/completions', chatBody('hi')).then(async (r) => {
        await r.arrayBuffer();
        return r;
      })));
    gw.proc.kill('SIGTERM');
    for (const r of responses) {
      assert.equal(r.status, 200);
      ids.push(r.headers.get('x-request-id'));
    }
  } finally {
    assert.equal((await exitAfterSigterm(gw)).code, 0);
  }
  const logged = new Set(gw.accessLog().map((l) => l.request_id));
  const missing = ids.filter((id) => !logged.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${ids.length} lines missing`);
  assert.equal(gw.accessLog().length, ids.length);
});

// A request still running when SIGTERM arrives ends during the drain; its
// record is queued after the signal and must still be written.
test('SIGTERM with a request in flight writes its line after it ends', async () => {
  const gw = await startGateway({ mockUrl: mock.url });
  let slowId;
  try {
    const slow = post(gw.url, '/v1/chat/completions', chatBody('slow [mock:latency_ms=800]'));
    await sleep(200);
    gw.proc.kill('SIGTERM');
    const r = await slow;
    assert.equal(r.status, 200);
    await r.text();
    slowId = r.headers.get('x-request-id');
  } finally {
    assert.equal((await exitAfterSigterm(gw)).code, 0);
  }
  const line = gw.accessLog().find((l) => l.request_id === slowId);
  assert.ok(line, 'the in-flight request has its line');
  assert.equal(line.status, 200);
  assert.ok(line.latency_ms >= 700, `latency ${line.latency_ms}`);
});

test('access_log.path: lines are appended to the file, each with "type":"access", none on stdout', async () => {
  const file = path.join(path.dirname(writeTemp('x', '')), 'access.log');
  const gw = await startGateway({ mockUrl: mock.url, config: `access_log:\n  path: ${file}\n` });
  const ids = [];
  try {
    for (let i = 0; i < 5; i++) {
      const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
      await r.text();
      ids.push(r.headers.get('x-request-id'));
    }
    const bad = await post(gw.url, '/v1/chat/completions', chatBody('hi'), { key: 'sk-wrong' });
    await bad.text();
    ids.push(bad.headers.get('x-request-id'));
    // Written within 100 ms, before any shutdown.
    let lines = [];
    for (let i = 0; i < 100 && lines.length < ids.length; i++) {
      await sleep(10);
      lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    }
    assert.equal(lines.length, ids.length, readFileSync(file, 'utf8'));
    const parsed = lines.map((l) => JSON.parse(l));
    for (const l of parsed) assert.equal(l.type, 'access');
    assert.deepEqual(parsed.map((l) => l.request_id).sort(), [...ids].sort());
    assert.equal(parsed.find((l) => l.request_id === ids.at(-1)).status, 401);
    assert.deepEqual(gw.jsonLines(), [], 'nothing on stdout');
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('--no-access-log writes no line', async () => {
  const gw = await startGateway({ mockUrl: mock.url, args: ['--no-access-log'] });
  try {
    const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
    assert.equal(r.status, 200);
    await r.text();
    await sleep(150);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
  assert.deepEqual(gw.jsonLines(), []);
});

test('an access_log.path that cannot be opened stops start-up naming the field and the reason', () => {
  const file = writeTemp('gw.yaml', 'access_log:\n  path: /nonexistent-llmgw-dir/access.log\n');
  const out = spawnSync(BIN, ['serve', '--config', file, '--port', '0'], {
    encoding: 'utf8', env: { PATH: process.env.PATH, LLMGW_MASTER_KEY: 'k' }, timeout: 10000,
  });
  assert.equal(out.status, 2);
  assert.match(out.stderr, /access_log\.path: cannot open "\/nonexistent-llmgw-dir\/access\.log".*No such file/);
});
