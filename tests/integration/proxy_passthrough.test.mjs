// What the vendor receives, and how streams are relayed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  startMock, startGateway, post, chatBody, readEvents, lastUpstreamRequest, mockStats, sleep, MASTER_KEY,
} from '../lib/harness.mjs';

let mock;
let gw;

before(async () => {
  mock = await startMock();
  gw = await startGateway({ mockUrl: mock.url, config: 'aliases:\n  fast: gpt-4o-mini\n' });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  assert.equal((await mock?.stop())?.code, 0);
});

test('non-stream: the vendor receives the client body byte for byte', async () => {
  // Unknown fields, key order, whitespace and escapes all survive.
  const raw = '{ "messages":[{"role":"user","content":"h\\u00e9llo \\"q\\""}],\n  "x_custom": {"a": [1, 2.50]}, "model": "gpt-4o-mini", "temperature": 0.3 }';
  const r = await post(gw.url, '/v1/chat/completions', raw);
  assert.equal(r.status, 200);
  await r.text();
  const up = await lastUpstreamRequest(mock.url);
  assert.equal(up.body, raw);
});

test('an alias only changes the model in the body', async () => {
  const raw = '{"model":"fast","messages":[{"role":"user","content":"x"}],"seed":7}';
  const r = await post(gw.url, '/v1/chat/completions', raw);
  assert.equal(r.status, 200);
  await r.text();
  const up = await lastUpstreamRequest(mock.url);
  assert.equal(up.body, raw.replace('"fast"', '"gpt-4o-mini"'));
});

test('the response body is the vendor body, with usage read for the log', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
  const body = await r.json();
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.choices[0].message.role, 'assistant');
  assert.ok(body.usage.total_tokens > 0);
  assert.match(r.headers.get('content-type'), /application\/json/);
});

test('streams get include_usage upstream; a client that did not ask never sees the usage chunk', async () => {
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=4]', { stream: true }));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/event-stream/);
  const events = await readEvents(r);
  const up = JSON.parse((await lastUpstreamRequest(mock.url)).body);
  assert.equal(up.stream_options.include_usage, true);
  assert.equal(events.at(-1).data, '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  assert.ok(chunks.every((c) => c.choices.length > 0), 'no usage-only chunk');
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
});

test('a client that asked for usage gets the usage chunk', async () => {
  const r = await post(gw.url, '/v1/chat/completions',
    chatBody('hi [mock:tokens=3]', { stream: true, stream_options: { include_usage: true } }));
  const events = await readEvents(r);
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage.completion_tokens > 0);
});

test('stream events reach the client as they are produced, not at the end', async () => {
  // 10 tokens at 5 tokens/s: about 2 s upstream.
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=10] [mock:tps=5]', { stream: true }));
  const events = await readEvents(r);
  // Relative to the stream's own span, not to the clock: a relay that
  // buffered would deliver them all at once, first ≈ middle ≈ last.
  const first = events[0].at;
  const last = events.at(-1).at;
  const mid = events[Math.floor(events.length / 2)].at;
  const span = last - first;
  assert.ok(span > 1500, `events spread over ${span} ms, the vendor took about 2 s`);  // a timer cannot fire early
  assert.ok(mid - first > span / 4 && last - mid > span / 4, `first ${first}, middle ${mid}, last ${last} ms`);
});

test('a client that disconnects mid-stream cancels the upstream stream', async () => {
  const before = await mockStats(mock.url);
  const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=50] [mock:tps=5]', { stream: true }));
  const reader = r.body.getReader();
  await reader.read();  // first chunk arrived
  await reader.cancel();
  let after;
  for (let i = 0; i < 40; i++) {
    await sleep(100);
    after = await mockStats(mock.url);
    if (after.streams_aborted > before.streams_aborted && after.active_streams === 0) break;
  }
  assert.ok(after.streams_aborted > before.streams_aborted, JSON.stringify(after));
  assert.equal(after.active_streams, 0);
  // The gateway is still healthy.
  const ok = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
  assert.equal(ok.status, 200);
});

test('a client that leaves before the first byte cancels the upstream call', async () => {
  // What a hedge's loser looks like to the vendor: its connection closed
  // while it was still thinking, counted by the mock as cancelled.
  const before = await mockStats(mock.url);
  const pending = post(gw.url, '/v1/chat/completions', chatBody('hi [mock:latency_ms=5000]', { stream: true }), {
    timeoutMs: 1000,
  }).catch((e) => e);
  let after;
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    after = await mockStats(mock.url);
    if (after.requests > before.requests) break;
  }
  assert.equal(after.cancelled, before.cancelled, 'nothing cancelled while the client waits');
  assert.equal((await pending).name, 'TimeoutError');
  for (let i = 0; i < 40; i++) {
    await sleep(50);
    after = await mockStats(mock.url);
    if (after.cancelled > before.cancelled) break;
  }
  assert.equal(after.cancelled, before.cancelled + 1, JSON.stringify(after));
  assert.equal(after.streams_started, before.streams_started, 'the vendor never began its answer');
});

test('a client that disconnects while the vendor has not answered yet cancels the call', async () => {
  const body = JSON.stringify(chatBody('hi [mock:hang]', { stream: true }));
  const req = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER_KEY}\r\n` +
              `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
  const u = new URL(gw.url);
  const sock = net.connect(Number(u.port), u.hostname);
  sock.on('error', () => {});
  sock.write(req);
  let mid;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    mid = await mockStats(mock.url);
    if (mid.active_hangs >= 1) break;
  }
  assert.ok(mid.active_hangs >= 1, JSON.stringify(mid));
  sock.destroy();
  let after;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    after = await mockStats(mock.url);
    if (after.active_hangs < mid.active_hangs) break;
  }
  assert.ok(after.active_hangs < mid.active_hangs, `the vendor call was dropped: ${JSON.stringify(after)}`);
});

test('embeddings are relayed', async () => {
  const r = await post(gw.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.data.length, 2);
  assert.equal(body.data[0].embedding.length, 8);
  assert.equal(r.headers.get('x-llmgw-provider'), 'openai');
});

// The vendor's content-type is read once with the answer's head and relayed
// with a JSON answer, parameters included.
test("a JSON answer carries the vendor's own content-type", async () => {
  const answer = JSON.stringify({
    id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
  const vendor = net.createServer((sock) => {
    let got = '';
    sock.on('data', (chunk) => {
      got += chunk;
      const head = got.indexOf('\r\n\r\n');
      const length = Number(/content-length: *(\d+)/i.exec(got)?.[1] ?? 0);
      if (head < 0 || got.length < head + 4 + length) return;
      got = '';
      sock.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n` +
                 `content-length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`);
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => vendor.listen(0, '127.0.0.1', r));
  const g = await startGateway({
    mockUrl: mock.url,
    config: `providers:\n  - {name: plain, type: openai-compatible, base_url: "http://127.0.0.1:${vendor.address().port}/v1", api_key: x, models: [m]}\n`,
  });
  try {
    const r = await post(g.url, '/v1/chat/completions', chatBody('hi', { model: 'plain/m' }));
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal((await r.json()).choices[0].message.content, 'hi');
  } finally {
    assert.equal((await g.stop()).code, 0, g.stderr);
    await new Promise((r) => vendor.close(r));
  }
});
