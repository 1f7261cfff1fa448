// Demo mode, the CLI, configuration errors and graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  BIN, startMock, startGateway, post, chatBody, readEvents, writeTemp, sleep,
} from '../lib/harness.mjs';

test('demo mode: no vendor key, an in-process mock serves mock/... with the demo key', async () => {
  const gw = await startGateway({ env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, LLMGW_MASTER_KEY: undefined } });
  try {
    // stderr and stdout are separate pipes: the banner may be read after the ready line.
    for (let i = 0; i < 100 && !/sk-llmgw-demo/.test(gw.stderr); i++) await sleep(20);
    assert.match(gw.stderr, /demo mode/);
    assert.match(gw.stderr, /sk-llmgw-demo/);
    const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'mock/gpt-4o-mini' }, { key: 'sk-llmgw-demo' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-llmgw-provider'), 'mock');
    const body = await r.json();
    assert.ok(body.choices[0].message.content.length > 0);
    const s = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi', { stream: true }), model: 'mock/gpt-4o-mini' }, { key: 'sk-llmgw-demo' });
    const events = await readEvents(s);
    assert.equal(events.at(-1).data, '[DONE]');
    const bad = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'mock/gpt-4o-mini' }, { key: 'sk-other' });
    assert.equal(bad.status, 401);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('demo key is not accepted once a master key is set', async () => {
  const gw = await startGateway({ env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined } });
  try {
    const r = await post(gw.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'mock/gpt-4o-mini' }, { key: 'sk-llmgw-demo' });
    assert.equal(r.status, 401);
  } finally {
    await gw.stop();
  }
});

test('llmgw keys hash prints the SHA-256 of the key', () => {
  const out = spawnSync(BIN, ['keys', 'hash', 'sk-abc'], { encoding: 'utf8' });
  assert.equal(out.status, 0);
  assert.equal(out.stdout.trim(), createHash('sha256').update('sk-abc').digest('hex'));
  const stdin = spawnSync(BIN, ['keys', 'hash'], { input: 'sk-abc\n', encoding: 'utf8' });
  assert.equal(stdin.stdout.trim(), createHash('sha256').update('sk-abc').digest('hex'));
});

test('a configuration error stops start-up with a message naming the field', () => {
  const file = writeTemp('bad.yaml', 'server:\n  port: "not a number"\n');
  const out = spawnSync(BIN, ['serve', '--config', file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(out.status, 2);
  assert.match(out.stderr, /server\.port/);
});

test('a missing ${VAR} in the config names the variable', () => {
  const file = writeTemp('env.yaml', 'keys:\n  - {name: a, key: ${LLMGW_TEST_UNSET_VAR}}\n');
  const out = spawnSync(BIN, ['serve', '--config', file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(out.status, 2);
  assert.match(out.stderr, /LLMGW_TEST_UNSET_VAR/);
});

// An upstream call's step timer outlived the call, and a stopping gateway
// waited for it: every SIGTERM after a request took its full 2 s grace.
test('SIGTERM once the answers are done: the process exits at once', async () => {
  const mock = await startMock();
  const gw = await startGateway({ mockUrl: mock.url });
  try {
    assert.equal((await post(gw.url, '/v1/chat/completions', chatBody('hi'))).status, 200);
    await readEvents(await post(gw.url, '/v1/chat/completions', chatBody('hi', { stream: true })));
    const t0 = Date.now();
    gw.proc.kill('SIGTERM');
    const { code } = await gw.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 1000, `exited after ${Date.now() - t0} ms`);
  } finally {
    await gw.stop();
    await mock.stop();
  }
});

test('SIGTERM drains: a stream in flight completes, then the process exits 0', async () => {
  const mock = await startMock();
  const gw = await startGateway({ mockUrl: mock.url });
  try {
    const r = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=8] [mock:tps=10]', { stream: true }));
    const reading = readEvents(r);
    await sleep(200);
    gw.proc.kill('SIGTERM');
    const events = await reading;
    assert.equal(events.at(-1).data, '[DONE]', 'the stream finished');
    const { code } = await gw.exited;
    assert.equal(code, 0);
    // And it no longer accepts connections.
    await assert.rejects(fetch(gw.url + '/health'));
  } finally {
    await gw.stop();
    await mock.stop();
  }
});

// A child that must refuse to start: the old behaviour was to run, so each
// spawn is bounded and a timeout shows up as a null status.
function runBriefly(args, env = {}) {
  // In a temp folder: a serve that starts writes usage.db where it runs.
  const cwd = path.dirname(writeTemp('cwd', ''));
  return spawnSync(BIN, args, { encoding: 'utf8', timeout: 15000, env: { PATH: process.env.PATH, ...env }, cwd });
}

test('llmgw alone prints its help; --version prints the version', () => {
  const bare = runBriefly([]);
  assert.equal(bare.status, 1);
  assert.match(bare.stdout, /Usage: llmgw/);
  for (const sub of ['serve', 'mock-vendor', 'keys']) assert.match(bare.stdout, new RegExp(`\\n\\s+${sub}\\s`));
  assert.doesNotMatch(bare.stderr, /subcommand is required/);

  const version = runBriefly(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^llmgw \d+\.\d+\.\d+\n$/);
});

test('mock-vendor --help says which vendor APIs it emulates', () => {
  const out = runBriefly(['mock-vendor', '--help']);
  assert.equal(out.status, 0);
  for (const vendor of ['OpenAI', 'Anthropic', 'Gemini', 'Bedrock']) assert.match(out.stdout, new RegExp(vendor));
});

test('--workers and --port out of range are refused like the same values in the file', () => {
  for (const args of [['--workers', '-3'], ['--port', '70000'], ['--port', '-1']]) {
    const out = runBriefly(['serve', '--host', '127.0.0.1', ...(args[0] === '--port' ? [] : ['--port', '0']), ...args]);
    assert.notEqual(out.status, 0, `${args.join(' ')} was accepted:\n${out.stdout}`);
    assert.ok(out.status !== null, `${args.join(' ')}: still running after 15 s`);
    assert.match(out.stderr, new RegExp(args[0]));
    assert.doesNotMatch(out.stdout, /listening/);
  }
});

test('an unknown provider in a model group is reported with its line', () => {
  const file = writeTemp('gateway.yaml', 'model_groups:\n  main:\n    - {provider: openai, model: m}\n    - {provider: opneai, model: m}\n');
  const out = runBriefly(['serve', '--config', file], { OPENAI_API_KEY: 'sk-x' });
  assert.equal(out.status, 2);
  assert.match(out.stderr, /gateway\.yaml:4: model_groups\.main\[1\]\.provider: unknown provider "opneai"/);
});

test('a second serve on a port in use fails with "address already in use" unless asked to share it', async () => {
  const first = await startGateway({ workers: 2 });
  const port = new URL(first.url).port;
  try {
    const second = runBriefly(['serve', '--host', '127.0.0.1', '--port', port, '--workers', '2']);
    assert.ok(second.status !== null, `the second process started and kept running:\n${second.stdout}`);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+: address already in use/i);
    assert.match(second.stderr, /--reuse-port/);
    assert.doesNotMatch(second.stdout, /listening/);
    // The first one is untouched.
    assert.equal((await fetch(`${first.url}/health`)).status, 200);

    // Asked for, by flag or in the file, the port is shared.
    for (const how of [{ args: ['--reuse-port'] }, { config: 'server:\n  reuse_port: true\n' }]) {
      const shared = await startGateway({ workers: 2, port: Number(port), ...how });
      assert.equal(new URL(shared.url).port, port);
      assert.equal((await shared.stop()).code, 0);
    }
  } finally {
    assert.equal((await first.stop()).code, 0);
  }
});

test('SIGTERM sent the moment "listening" is printed still drains and exits 0', async () => {
  // Whoever starts the gateway may stop it as soon as it says it listens:
  // the signal must not find the default action (death by SIGTERM) still in place.
  for (let i = 0; i < 10; i++) {
    const gw = await startGateway({ workers: 1 });
    gw.proc.kill('SIGTERM');
    const { code, signal } = await gw.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `start ${i}:\n${gw.stderr}`);
  }
});
