// The cost strategy (issue 12): a group's first pick is its cheapest
// deployment whose recent p95 time to first byte meets latency_target_ms.
// Each deployment is its own mock instance, so the test counts what each
// one received; one worker, so one balancer sees every request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startMock, startGateway, post, chatBody, sleep, writeTemp, setScript, resetMocks, mockProviderYaml, mockRequests } from '../lib/harness.mjs';

let cheap, dear, gw, pricesFile;

const requests = mockRequests;

// One request; which provider served it (the body read).
async function ask(model) {
  const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return r.headers.get('x-llmgw-provider');
}

// LiteLLM's format, USD per token.
const litellm = (mini, full) => JSON.stringify({
  'gpt-4o-mini': { input_cost_per_token: mini[0], output_cost_per_token: mini[1], litellm_provider: 'openai', mode: 'chat' },
  'gpt-4o': { input_cost_per_token: full[0], output_cost_per_token: full[1], litellm_provider: 'openai', mode: 'chat' },
});

before(async () => {
  cheap = await startMock();
  dear = await startMock();
  pricesFile = writeTemp('prices.json', litellm([1e-6, 2e-6], [3e-6, 4e-6]));
  const provider = mockProviderYaml;
  gw = await startGateway({
    mockUrl: cheap.url,
    workers: 1,
    config: `
prices_file: ${pricesFile}
providers:
${provider('vendor-cheap', cheap)}
${provider('vendor-dear', dear)}
model_groups:
  # The dear one is listed first and weighs more: only the prices put the cheap one first.
  thrifty:
    strategy: cost
    latency_target_ms: 300
    deployments:
      - {provider: vendor-dear, model: gpt-4o-mini, weight: 5, price: {input_per_mtok: 2.5, output_per_mtok: 10}}
      - {provider: vendor-cheap, model: gpt-4o-mini, weight: 1, price: {input_per_mtok: 0.15, output_per_mtok: 0.6}}
  # Priced by the prices file (no deployment price), no latency condition.
  by-table:
    strategy: cost
    deployments:
      - {provider: vendor-dear, model: gpt-4o}
      - {provider: vendor-cheap, model: gpt-4o-mini}
`,
  });
});

after(async () => {
  assert.equal((await gw?.stop())?.code, 0, gw?.stderr);
  await cheap?.stop();
  await dear?.stop();
});

test('the cheapest deployment takes the traffic until its first byte is slower than the target, then the next cheapest does', async () => {
  await resetMocks(cheap, dear);
  for (let i = 0; i < 20; i++) assert.equal(await ask('thrifty'), 'vendor-cheap');
  assert.equal(await requests(cheap), 20);
  assert.equal(await requests(dear), 0, 'the dear one, though listed first and heavier, took nothing');

  // The cheap one now answers after 800 ms, over the 300 ms target.
  await setScript(cheap, 'latency_ms=800');
  const t0 = Date.now();
  let run = 0;
  let movedAfter;
  // Four clients at once, until ten answers in a row came from the dear one.
  const client = async () => {
    while (movedAfter === undefined && Date.now() - t0 < 10000) {
      const who = await ask('thrifty');
      run = who === 'vendor-dear' ? run + 1 : 0;
      if (run >= 10 && movedAfter === undefined) movedAfter = Date.now() - t0;
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  assert.ok(movedAfter !== undefined && movedAfter < 4000, `traffic moved after ${movedAfter} ms`);
  // Only the requests already sent its way before its slow samples came
  // back reached the slow one: the four in flight, and one more each at most.
  const slowServed = (await requests(cheap)) - 20;
  assert.ok(slowServed >= 2 && slowServed <= 8, `the slow one served ${slowServed} requests while traffic moved`);

  // From then on (well within the 30 s its samples stay recent) the slow one is not asked.
  await resetMocks(cheap, dear);
  await setScript(cheap, 'latency_ms=800');
  await Promise.all([0, 1, 2, 3].map(async () => {
    for (let i = 0; i < 5; i++) assert.equal(await ask('thrifty'), 'vendor-dear');
  }));
  assert.equal(await requests(cheap), 0, 'the slow cheap one received nothing');
  assert.equal(await requests(dear), 20);
});

test('prices come from the prices file when a deployment has none, and a reload re-ranks the deployments', async () => {
  await resetMocks(cheap, dear);
  // gpt-4o-mini $1 + $2, gpt-4o $3 + $4 per million.
  for (let i = 0; i < 5; i++) assert.equal(await ask('by-table'), 'vendor-cheap');
  assert.equal(await requests(cheap), 5);
  assert.equal(await requests(dear), 0);

  // Now gpt-4o is the cheaper: after SIGHUP it takes the traffic.
  writeFileSync(pricesFile, litellm([5e-6, 6e-6], [3e-6, 4e-6]));
  const loads = (gw.stderr.match(/prices: SIGHUP: loaded/g) ?? []).length;
  gw.proc.kill('SIGHUP');
  const deadline = Date.now() + 5000;
  while ((gw.stderr.match(/prices: SIGHUP: loaded/g) ?? []).length === loads && Date.now() < deadline) await sleep(20);
  assert.ok((gw.stderr.match(/prices: SIGHUP: loaded/g) ?? []).length > loads, gw.stderr);
  await resetMocks(cheap, dear);
  for (let i = 0; i < 5; i++) assert.equal(await ask('by-table'), 'vendor-dear');
  assert.equal(await requests(dear), 5, 'the first request after the reload already went by the new prices');
  assert.equal(await requests(cheap), 0);
});
