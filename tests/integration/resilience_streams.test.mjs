// Failover inside streams and hedged requests (issue 12, items 5 and 6).
// A stream's head is held back until the vendor's first content, so a
// vendor that fails before it (an error event, a cut connection) is failed
// over and the client sees one clean stream; after content, a failure ends
// the stream with an error event and nothing is asked again. A hedge starts
// a second attempt when the first has no content by the hedge delay; the
// first with content wins and the loser's connection is closed. Each vendor
// is its own mock instance, so the test counts what each one received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startMock, startGateway, post, chatBody, mockStats, readEvents, sleep, ANTHROPIC_VENDOR_KEY, setScript, resetMocks, mockProviderYaml,
} from '../lib/harness.mjs';

let a, b, claude, gw;

const stats = (m) => mockStats(m.url);
const stream = (model, extra = {}) =>
  post(gw.url, '/v1/chat/completions', { ...chatBody('hello there [mock:tokens=8]', { stream: true }), ...extra, model });

// The access log line of a request, once the writer has written it.
async function recordOf(id) {
  await gw.waitForAccessLog((l) => l.request_id === id);
  return gw.accessLog().find((l) => l.request_id === id);
}

// Polls until `pred` holds of a mock's stats (a cancel is seen when the
// mock notices the closed connection).
async function waitStats(m, pred, what) {
  const t0 = Date.now();
  let s;
  while (Date.now() - t0 < 5000) {
    s = await stats(m);
    if (pred(s)) return s;
    await sleep(25);
  }
  assert.fail(`${what}: ${JSON.stringify(s)}`);
}

before(async () => {
  a = await startMock();
  b = await startMock();
  claude = await startMock();
  const provider = mockProviderYaml;
  gw = await startGateway({
    mockUrl: a.url,
    workers: 1,
    config: `
providers:
${provider('vendor-a', a)}
${provider('vendor-b', b)}
  - {name: claude, type: anthropic, base_url: "${claude.url}", api_key: "${ANTHROPIC_VENDOR_KEY}"}
model_groups:
  # a first, b only when a cannot (weight 0)
  prefer-a:
    max_attempts: 2
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
  claude-first:
    max_attempts: 2
    cooldown: {failures: 100}
    deployments:
      - {provider: claude, model: claude-3-5-haiku-latest, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
  hedged:
    hedge_after_ms: 200
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
  hedged-thrifty:
    hedge_after_ms: 100
    hedge_max_ratio: 0.01
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
  hedged-p95:
    hedge: p95
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
  not-hedged:
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  for (const m of [a, b, claude]) await m?.stop();
});

function assertCleanStream(events) {
  assert.equal(events.at(-1).data, '[DONE]', 'the stream completed');
  for (const e of events) assert.ok(!e.data.includes('"error"'), `no error event reached the client: ${e.data}`);
  const text = events.filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? '').join('');
  assert.ok(text.length > 0, 'content arrived');
  const roles = events.filter((e) => e.data.includes('"role"')).length;
  assert.equal(roles, 1, 'one stream: the failed attempt\'s role chunk was not relayed');
}

test('a stream whose vendor sends an error event before any content is failed over: the client sees one clean stream', async () => {
  await resetMocks(a, b);
  await setScript(a, 'error_after=0');
  const r = await stream('prefer-a');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  assert.equal(r.headers.get('x-llmgw-attempts'), '2');
  assertCleanStream(await readEvents(r));
  assert.equal((await stats(a)).chat_completions, 1);
  assert.equal((await stats(b)).chat_completions, 1);
  const rec = await recordOf(r.headers.get('x-request-id'));
  assert.equal(rec.route[0].error, 'upstream error in stream');
  assert.equal(rec.route[1].error, undefined);
});

test('a stream cut before any content is failed over', async () => {
  await resetMocks(a, b);
  await setScript(a, 'reset_after=0');
  const r = await stream('prefer-a');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  assertCleanStream(await readEvents(r));
  const rec = await recordOf(r.headers.get('x-request-id'));
  assert.equal(rec.route[0].error, 'stream cut before content');
});

test('an Anthropic vendor\'s overloaded event before content moves an OpenAI client\'s stream to the next vendor', async () => {
  await resetMocks(claude, b);
  await setScript(claude, 'error_after=0');
  const r = await stream('claude-first');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  assertCleanStream(await readEvents(r));
  assert.equal((await stats(claude)).requests, 1);
  assert.equal((await stats(b)).chat_completions, 1);
});

test('an Anthropic client\'s stream fails over before content too, and gets Anthropic\'s events from the next vendor', async () => {
  await resetMocks(a, b);
  await setScript(a, 'error_after=0');
  const r = await post(gw.url, '/v1/messages', {
    model: 'prefer-a', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi [mock:tokens=5]' }],
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  const events = await readEvents(r);
  const types = events.map((e) => JSON.parse(e.data).type);
  assert.equal(types.filter((t) => t === 'message_start').length, 1);
  assert.ok(!types.includes('error'), `no error event: ${types}`);
  assert.equal(types.at(-1), 'message_stop');
});

test('when every deployment fails before content the client gets an HTTP error, not a broken stream', async () => {
  await resetMocks(a, b);
  await setScript(a, 'error_after=0');
  await setScript(b, 'reset_after=0');
  const r = await stream('prefer-a');
  assert.ok(r.status >= 500, `status ${r.status}`);
  const body = await r.json();
  assert.equal(typeof body.error.message, 'string');
  assert.equal((await stats(a)).chat_completions + (await stats(b)).chat_completions, 2);
});

test('a stream that fails after content ends with an error event and is not retried (no double charge)', async () => {
  await resetMocks(a, b);
  await setScript(a, 'error_after=2');
  const r = await stream('prefer-a');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-a');
  const events = await readEvents(r);
  assert.ok(events.filter((e) => e.data.includes('"content"')).length >= 2, 'the content before the failure arrived');
  assert.notEqual(events.at(-1).data, '[DONE]');
  assert.ok(JSON.parse(events.at(-1).data).error, 'last event is an error');
  await sleep(100);
  assert.equal((await stats(b)).requests, 0, 'b was never asked');
});

test('a hedge fires when the first attempt has no content by hedge_after_ms; the first with content wins and the loser is cancelled', async () => {
  await resetMocks(a, b);
  // a sends its head and role chunk, then nothing: no content.
  await setScript(a, 'hang_after=0');
  const t0 = Date.now();
  const r = await stream('hedged');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  assertCleanStream(await readEvents(r));
  const took = Date.now() - t0;
  assert.ok(took >= 150 && took < 2000, `answered after the hedge delay (${took} ms)`);
  // a's connection was closed: the mock saw its stream aborted.
  await waitStats(a, (s) => s.streams_aborted === 1 && s.active_hangs === 0, 'a was not cancelled');
  const rec = await recordOf(r.headers.get('x-request-id'));
  assert.equal(rec.hedged, true);
  assert.equal(rec.route.length, 2);
  assert.equal(rec.route[0].provider, 'vendor-a');
  assert.equal(rec.route[0].error, 'hedge lost');
  assert.equal(rec.route[1].provider, 'vendor-b');
  assert.equal(rec.route[1].error, undefined);
  assert.equal(rec.status, 200);
});

test('a non-stream request is hedged too: a slow first byte loses to the hedge', async () => {
  await resetMocks(a, b);
  await setScript(a, 'latency_ms=3000');
  const t0 = Date.now();
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'hedged' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  await r.json();
  assert.ok(Date.now() - t0 < 1500, 'did not wait for a');
  assert.equal((await stats(b)).chat_completions, 1);
});

test('a fast first attempt is not hedged: one upstream call', async () => {
  await resetMocks(a, b);
  for (let i = 0; i < 5; i++) {
    const r = await stream('hedged');
    assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-a');
    await readEvents(r);
  }
  assert.equal((await stats(a)).chat_completions, 5);
  assert.equal((await stats(b)).requests, 0, 'no hedge went out');
});

test('without hedging the slow vendor is waited for', async () => {
  await resetMocks(a, b);
  await setScript(a, 'latency_ms=500');
  const r = await stream('not-hedged');
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-a');
  await readEvents(r);
  assert.equal((await stats(b)).requests, 0);
});

test('hedges are bounded by hedge_max_ratio: after the burst of 10, a slow group stops hedging', async () => {
  await resetMocks(a, b);
  await setScript(a, 'latency_ms=400');
  const served = [];
  for (let i = 0; i < 13; i++) {
    const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'hedged-thrifty' });
    served.push(r.headers.get('x-llmgw-provider'));
    await r.json();
  }
  // 10 hedges (the burst), then 1% of the requests: none of the next three.
  assert.deepEqual(served.slice(0, 10), Array(10).fill('vendor-b'), served.join());
  assert.deepEqual(served.slice(10), Array(3).fill('vendor-a'), served.join());
});

test('hedge: p95 hedges after the first deployment\'s measured p95 time to first byte, and not before it is measured', async () => {
  await resetMocks(a, b);
  await setScript(a, 'latency_ms=1500');
  // Unmeasured: no hedge, the slow answer is waited for.
  const t0 = Date.now();
  const first = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'hedged-p95' });
  assert.equal(first.headers.get('x-llmgw-provider'), 'vendor-a');
  await first.json();
  assert.ok(Date.now() - t0 >= 1400);
  // Measured fast (about 50 ms), then slow: the hedge goes out after about the p95.
  await setScript(a, 'latency_ms=50');
  for (let i = 0; i < 30; i++) await (await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'hedged-p95' })).json();
  await setScript(a, 'latency_ms=1500');
  const t1 = Date.now();
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'hedged-p95' });
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  await r.json();
  assert.ok(Date.now() - t1 < 1000, `hedged after the p95, took ${Date.now() - t1} ms`);
});

test('a client that leaves during a hedge race cancels both attempts; the request leaves one record', async () => {
  await resetMocks(a, b);
  // Both send their head and role chunk, then nothing: the race never ends on its own.
  await setScript(a, 'hang_after=0');
  await setScript(b, 'hang_after=0');
  const before = gw.accessLog().length;
  await assert.rejects(
    post(gw.url, '/v1/chat/completions', { ...chatBody('hi', { stream: true }), model: 'hedged' }, { timeoutMs: 600 }));
  // The hedge went out at 200 ms; the client left at 600 ms: both vendors see their connection closed.
  await waitStats(a, (s) => s.streams_aborted === 1 && s.active_hangs === 0, 'a was not cancelled');
  await waitStats(b, (s) => s.streams_aborted === 1 && s.active_hangs === 0, 'b was not cancelled');
  await gw.waitForAccessLog((l, i) => i >= before && l.status === 499);
  await sleep(100);
  const lines = gw.accessLog().slice(before);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.equal(lines[0].hedged, true);
  assert.equal(lines[0].route.length, 2);
  // The gateway still serves.
  await resetMocks(a, b);
  const r = await stream('hedged');
  assert.equal(r.status, 200);
  await readEvents(r);
});
