// Groups written as objects (issue 12): retries that respect the vendor's
// retry-after, cooldowns with a probe, retry caps by count and by time,
// per-group timeouts, and the latency strategy moving traffic. Each vendor
// is its own mock instance, so the test counts what each one received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startGateway, post, chatBody, sleep, setScript, resetMocks, mockProviderYaml, mockRequests } from '../lib/harness.mjs';

let a, b, gw;

const requests = mockRequests;
const ask = (model, content = 'hi') => post(gw.url, '/v1/chat/completions', { ...chatBody(content), model });

before(async () => {
  a = await startMock();
  b = await startMock();
  const provider = mockProviderYaml;
  gw = await startGateway({
    mockUrl: a.url,
    workers: 1,
    config: `
providers:
${provider('vendor-a', a)}
${provider('vendor-b', b)}
model_groups:
  # a first, b only when a cannot (weight 0)
  prefer-a:
    max_attempts: 2
    cooldown: {failures: 2, window_ms: 10000, duration_ms: 1000}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini, weight: 1}
      - {provider: vendor-b, model: gpt-4o-mini, weight: 0}
  only-a:
    max_attempts: 3
    retry_budget_ms: 1500
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini}
  # its own deployment (cooldowns are per deployment): a long retry-after here leaves only-a alone
  lonely:
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini}
  slow-first-byte:
    timeouts: {first_byte_ms: 300}
    max_attempts: 1
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini}
  fastest:
    strategy: latency
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini}
      - {provider: vendor-b, model: gpt-4o-mini}
  fastest-no-cooldown:
    strategy: latency
    max_attempts: 2
    cooldown: {failures: 1000}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini}
      - {provider: vendor-b, model: gpt-4o-mini}
  with-fallbacks:
    max_attempts: 3
    fallbacks: [vendor-b/gpt-4o]
    context_window_fallbacks: [vendor-b/gpt-4.1]
    cooldown: {failures: 100}
    deployments:
      - {provider: vendor-a, model: gpt-4o-mini}
  plain-list:
    - {provider: vendor-a, model: gpt-4o-mini}
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await a?.stop();
  await b?.stop();
});

test('a 429 with retry-after: 2 keeps its deployment out for 2 s, then it is asked again', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=429,retry_after=2');
  const first = await ask('prefer-a');
  assert.equal(first.status, 200, 'b served what a refused');
  assert.equal(first.headers.get('x-llmgw-provider'), 'vendor-b');
  assert.equal(await requests(a), 1);
  await setScript(a, '');
  // Within the 2 s, a is not asked at all, though it is the first pick.
  for (let i = 0; i < 5; i++) assert.equal((await ask('prefer-a')).headers.get('x-llmgw-provider'), 'vendor-b');
  assert.equal(await requests(a), 1, 'a was not asked before its retry-after');
  await sleep(2100);
  const back = await ask('prefer-a');
  assert.equal(back.headers.get('x-llmgw-provider'), 'vendor-a', 'asked again once its time came');
  await back.text();
});

test('a 529 storm trips the cooldown; after it one probe goes to the vendor, and its success brings it back', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=529');
  for (let i = 0; i < 2; i++) assert.equal((await ask('prefer-a')).status, 200);
  assert.equal(await requests(a), 2, 'two failures within the window');
  // Cooling: a is skipped.
  for (let i = 0; i < 4; i++) await (await ask('prefer-a')).text();
  assert.equal(await requests(a), 2, 'skipped while cooling');
  await sleep(1100);
  // The probe fails: cooling again at once (one request, not two more failures).
  await (await ask('prefer-a')).text();
  assert.equal(await requests(a), 3, 'one probe after the cooldown');
  await (await ask('prefer-a')).text();
  assert.equal(await requests(a), 3, 'a failed probe rests it again');
  await setScript(a, '');
  await sleep(1100);
  const probe = await ask('prefer-a');
  assert.equal(probe.headers.get('x-llmgw-provider'), 'vendor-a', 'the probe succeeds');
  await probe.text();
  const after = await ask('prefer-a');
  assert.equal(after.headers.get('x-llmgw-provider'), 'vendor-a', 'and it takes traffic again');
  await after.text();
});

test('a route with one deployment is asked even while it cools: the gateway never refuses on its own', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=503,retry_after=30');
  const r = await ask('lonely');
  assert.equal(r.status, 503);
  await r.text();
  const n = await requests(a);
  await setScript(a, '');
  const again = await ask('lonely');
  assert.equal(again.status, 200, 'asked although it said 30 s');
  await again.text();
  assert.equal(await requests(a), n + 1);
});

test('retries stop at max_attempts, with a backoff between them', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=500');
  const t0 = Date.now();
  const r = await ask('only-a');
  const took = Date.now() - t0;
  assert.equal(r.status, 500);
  await r.text();
  assert.equal(await requests(a), 3, 'max_attempts: 3 on the one deployment');
  // Backoffs of about 100 ms and 200 ms (±50%) between the three.
  assert.ok(took >= 150, `retried without a backoff (${took} ms)`);
});

test('no attempt starts after retry_budget_ms', async () => {
  await resetMocks(a, b);
  // Each attempt takes 700 ms: the third would start after the 1.5 s budget.
  await setScript(a, 'status=503,latency_ms=700');
  const t0 = Date.now();
  const r = await ask('only-a');
  const took = Date.now() - t0;
  await r.text();
  assert.equal(r.status, 503);
  assert.equal(await requests(a), 2, 'the budget stopped the third attempt');
  assert.ok(took < 2500, `took ${took} ms`);
});

test("a group's own first-byte timeout overrides the global one", async () => {
  await resetMocks(a, b);
  await setScript(a, 'latency_ms=2000');
  const t0 = Date.now();
  const r = await ask('slow-first-byte');
  const took = Date.now() - t0;
  await r.text();
  assert.equal(r.status, 504);
  assert.ok(took < 1500, `waited ${took} ms, not the group's 300 ms`);
});

test('latency strategy: a deployment that slows down loses its traffic and wins it back once it recovers', async () => {
  await resetMocks(a, b);
  const share = async (n) => {
    const served = { 'vendor-a': 0, 'vendor-b': 0 };
    for (let i = 0; i < n; i++) {
      const r = await ask('fastest');
      served[r.headers.get('x-llmgw-provider')]++;
      await r.text();
    }
    return served;
  };
  await share(6);  // both measured
  await setScript(a, 'latency_ms=250');
  const slow = await share(20);
  assert.ok(slow['vendor-b'] >= 16, `b should take most while a is slow: ${JSON.stringify(slow)}`);
  await setScript(a, '');
  await setScript(b, 'latency_ms=250');
  // a's old measurement fades; once probed fast, it takes the traffic back.
  const start = Date.now();
  let recovered;
  while (Date.now() - start < 15000) {
    recovered = await share(10);
    if (recovered['vendor-a'] >= 8) break;
  }
  assert.ok(recovered['vendor-a'] >= 8, `a should win back: ${JSON.stringify(recovered)}`);
});

test('fallbacks: another model is asked after the group, its body names that model, and the answer says who served', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=503');
  const r = await ask('with-fallbacks');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-provider'), 'vendor-b');
  assert.equal(r.headers.get('x-llmgw-model'), 'gpt-4o', 'the plain fallback, not the context-window one');
  assert.equal(r.headers.get('x-llmgw-attempts'), '2');
  await r.text();
  const sent = await (await fetch(`${b.url}/_mock/last_request`)).json();
  assert.equal(JSON.parse(sent.body).model, 'gpt-4o', 'the body names the fallback model');
});

test('context_window_fallbacks: a prompt too long for the model goes to the larger one, and only then', async () => {
  await resetMocks(a, b);
  // The mock's scripted 400 is OpenAI's context_length_exceeded.
  await setScript(a, 'status=400');
  const r = await ask('with-fallbacks');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-llmgw-model'), 'gpt-4.1');
  assert.equal(r.headers.get('x-llmgw-attempts'), '2');
  await r.text();
  // Any other 400 is the request's fault: answered at once, no fallback.
  await setScript(a, '');
  const bad = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi [mock:status=422]'), model: 'with-fallbacks' });
  await bad.text();
  assert.equal(await requests(b), 1, 'b was asked only for the context-window refusal');
});

test('a plain list of deployments keeps the old behaviour: one attempt each, no cooldown', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=503');
  for (let i = 0; i < 4; i++) {
    const r = await ask('plain-list');
    assert.equal(r.status, 503);
    await r.text();
  }
  assert.equal(await requests(a), 4, 'asked every time, once per request');
});

test('latency strategy: a deployment that fails fast does not look fast (no cooldown in the way)', async () => {
  await resetMocks(a, b);
  await setScript(a, 'status=500');
  for (let i = 0; i < 20; i++) {
    const r = await ask('fastest-no-cooldown');
    assert.equal(r.status, 200, 'b answers what a fails');
    await r.text();
  }
  // A quick 500 weighs like a 2 s answer: a is asked first only until its
  // failures are measured, not on every request.
  const asked = await requests(a);
  assert.ok(asked <= 4, `a, failing at once, was still the first pick ${asked} times of 20`);
});
