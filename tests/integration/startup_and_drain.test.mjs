// Demo mode, the CLI, configuration errors and graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
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
