// Usage records in the databases (issue 11): one row per request to a model
// endpoint, in SQLite (the default, usage.db where the gateway runs) and in a
// real PostgreSQL (DATABASE_URL), for every outcome — success, vendor error,
// fallback, 401, 429, cache hit, streams with the vendor's usage — and none
// for health checks or model lists. Nothing is lost while PostgreSQL is
// stopped during a load, nor at a SIGTERM during a load, nor when the
// gateway stops while the database is down (the next start replays the
// spool).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  MASTER_KEY, startMock, startGateway, post, chatBody, readEvents, sleep, writeTemp,
} from '../lib/harness.mjs';
import { PostgresServer } from '../lib/postgres.mjs';

let mock;
let deadPort;

before(async () => {
  mock = await startMock();
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = probe.address().port;
  await new Promise((r) => probe.close(r));
});

after(async () => {
  await mock?.stop();
});

const config = () => `
keys:
  - {name: ci, key: sk-ci, team: team-a}
  - {name: limited, key: sk-limited, team: team-b, limits: {rpm: 1}}
providers:
  - {name: dead, type: openai-compatible, base_url: "http://127.0.0.1:${deadPort}/v1", api_key: x, models: [m]}
model_groups:
  failover:
    - {provider: dead, model: gpt-4o-mini, weight: 1}
    - {provider: openai, model: gpt-4o-mini, weight: 0}
  cached: [{provider: openai, model: gpt-4o-mini}]
cache:
  backend: memory
  groups: {failover: {enabled: false}, gpt-4o-mini: {enabled: false}}
`;

// Rows as objects, booleans as booleans, from either database.
function sqliteRows(file, where = '') {
  const out = execFileSync('sqlite3', ['-json', file, `SELECT * FROM usage_records ${where} ORDER BY rowid`],
    { encoding: 'utf8' });
  return normalize(out.trim() === '' ? [] : JSON.parse(out));
}

function pgRows(pg, where = '') {
  const out = pg.query(`SELECT COALESCE(json_agg(u), '[]') FROM (SELECT * FROM usage_records ${where}) u`);
  return normalize(JSON.parse(out));
}

function normalize(rows) {
  for (const r of rows) for (const k of ['stream', 'fallback', 'tokens_estimated']) r[k] = Boolean(r[k]);
  return rows;
}

async function chat(gw, body, { key = 'sk-ci', headers = {} } = {}) {
  const r = await post(gw.url, '/v1/chat/completions', body, { key, headers });
  const text = await r.text();
  return { id: r.headers.get('x-request-id'), status: r.status, text };
}

// One request of every kind; returns what each should have left in its row.
async function everyOutcome(gw) {
  const want = {};
  const ok = await chat(gw, chatBody('hello', { user: 'end-user-1', metadata: { run: 'nightly', suite: 'usage' } }));
  assert.equal(ok.status, 200, ok.text);
  want.ok = { id: ok.id, status: 200, key_name: 'ci', team: 'team-a', user_id: 'end-user-1', endpoint: 'chat/completions',
    metadata: '{"run":"nightly","suite":"usage"}',
    client_api: 'openai', provider: 'openai', model_served: 'gpt-4o-mini', model_requested: 'gpt-4o-mini',
    attempts: 1, fallback: false, stream: false, tokens_estimated: false,
    ...JSON.parse(ok.text).usage && { prompt_tokens: JSON.parse(ok.text).usage.prompt_tokens,
      completion_tokens: JSON.parse(ok.text).usage.completion_tokens } };

  const vendorError = await chat(gw, chatBody('x [mock:status=400]'));
  assert.equal(vendorError.status, 400);
  want.vendorError = { id: vendorError.id, status: 400, provider: null };

  const fallback = await chat(gw, { ...chatBody('x'), model: 'failover' });
  assert.equal(fallback.status, 200, fallback.text);
  want.fallback = { id: fallback.id, status: 200, attempts: 2, fallback: true, provider: 'openai',
    model_requested: 'failover' };

  const unauthorized = await chat(gw, chatBody('x'), { key: 'sk-wrong' });
  assert.equal(unauthorized.status, 401);
  want.unauthorized = { id: unauthorized.id, status: 401, key_name: null, attempts: 0, error_type: 'invalid_api_key' };

  assert.equal((await chat(gw, chatBody('first'), { key: 'sk-limited' })).status, 200);
  const limited = await chat(gw, chatBody('second'), { key: 'sk-limited' });
  assert.equal(limited.status, 429);
  want.limited = { id: limited.id, status: 429, key_name: 'limited', team: 'team-b', attempts: 0 };

  const miss = await chat(gw, { ...chatBody('cache me'), model: 'cached' });
  const hit = await chat(gw, { ...chatBody('cache me'), model: 'cached' });
  assert.equal(hit.status, 200);
  want.miss = { id: miss.id, cache_status: 'miss', attempts: 1 };
  want.hit = { id: hit.id, cache_status: 'hit', attempts: 0, status: 200 };

  const s = await post(gw.url, '/v1/chat/completions',
    chatBody('stream [mock:tokens=7]', { stream: true, stream_options: { include_usage: true } }), { key: 'sk-ci' });
  const events = await readEvents(s);
  const usage = events.map((e) => { try { return JSON.parse(e.data); } catch { return null; } })
    .find((e) => e?.usage)?.usage;
  assert.ok(usage, 'the stream carried the vendor usage');
  want.stream = { id: s.headers.get('x-request-id'), stream: true, status: 200, prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens, tokens_estimated: false };

  const m = await post(gw.url, '/v1/messages', {
    model: 'gpt-4o-mini', max_tokens: 50, metadata: { user_id: 'anthropic-user' },
    messages: [{ role: 'user', content: 'hi' }],
  }, { key: null, headers: { 'x-api-key': 'sk-ci', 'anthropic-version': '2023-06-01' } });
  assert.equal(m.status, 200, await m.text());
  want.messages = { id: m.headers.get('x-request-id'), endpoint: 'messages', client_api: 'anthropic',
    user_id: 'anthropic-user' };

  // An Anthropic client's stream: the row has the vendor's counts its
  // events carried.
  const ms = await post(gw.url, '/v1/messages', {
    model: 'gpt-4o-mini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x [mock:tokens=5]' }],
  }, { key: null, headers: { 'x-api-key': 'sk-ci', 'anthropic-version': '2023-06-01' } });
  const mevents = (await readEvents(ms)).map((ev) => JSON.parse(ev.data));
  // Translated from an OpenAI stream, the counts come at the end, in message_delta.
  const { input_tokens: input, output_tokens: output } = mevents.find((ev) => ev.type === 'message_delta').usage;
  assert.ok(input > 0 && output > 0);
  want.messagesStream = { id: ms.headers.get('x-request-id'), endpoint: 'messages', stream: true,
    prompt_tokens: input, completion_tokens: output, tokens_estimated: false };

  const e = await post(gw.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x', user: 'emb-user' },
    { key: 'sk-ci' });
  assert.equal(e.status, 200, await e.text());
  want.embeddings = { id: e.headers.get('x-request-id'), endpoint: 'embeddings', user_id: 'emb-user' };

  // No rows for these.
  await fetch(`${gw.url}/health`);
  await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  return want;
}

function checkRows(rows, want) {
  const byId = new Map(rows.map((r) => [r.request_id, r]));
  // The limited key's first request and the cache miss are rows too.
  assert.equal(rows.length, Object.keys(want).length + 1, JSON.stringify(rows.map((r) => r.endpoint)));
  assert.equal(byId.size, rows.length, 'request ids are unique');
  for (const [what, fields] of Object.entries(want)) {
    const row = byId.get(fields.id);
    assert.ok(row, `${what}: no row for ${fields.id}`);
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'id') continue;
      assert.deepEqual(row[k], v, `${what}.${k}: ${JSON.stringify(row)}`);
    }
    assert.ok(row.started_at > Date.now() - 600000 && row.started_at <= Date.now(), `${what}: started_at`);
    assert.ok(row.latency_ms >= 0 && row.overhead_ms >= 0 && row.upstream_ms >= 0, what);
    assert.ok(Math.abs(row.latency_ms - row.upstream_ms - row.overhead_ms) < 0.01 || row.overhead_ms === 0, what);
    for (const c of ['cost_usd', 'cost_input_usd', 'cost_cached_input_usd', 'cost_cache_write_usd', 'cost_output_usd']) {
      assert.ok(row[c] === null || typeof row[c] === 'number', `${what}.${c}`);
    }
  }
  assert.ok(byId.get(want.vendorError.id).error_type, 'a vendor error has an error type');
  assert.ok(byId.get(want.ok.id).ttft_ms > 0);
  assert.ok(byId.get(want.fallback.id).upstream_ms > 0);
}

async function waitFor(what, fn, timeoutMs = 15000, state = () => '') {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what} ${state()}`);
    await sleep(50);
  }
}

// One unlabelled sample of GET /metrics.
async function metric(gw, name) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} not in /metrics`);
  return Number(line.split(' ')[1]);
}

const spools = (dir) => readdirSync(dir).filter((f) => f.startsWith('usage-spool-'));

describe('SQLite', () => {
  test('one row per model request, for every outcome, with --no-access-log; the spool is removed at stop', async () => {
    const gw = await startGateway({ mockUrl: mock.url, config: config(), args: ['--no-access-log'] });
    const db = path.join(gw.cwd, 'usage.db');
    let want;
    try {
      assert.match(gw.stderr, /usage records: sqlite usage\.db/);
      want = await everyOutcome(gw);
      await waitFor('the rows', () => sqliteRows(db).length >= Object.keys(want).length + 1);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
    checkRows(sqliteRows(db), want);
    assert.deepEqual(spools(gw.cwd), []);
    const versions = execFileSync('sqlite3', [db, 'SELECT version FROM schema_migrations'], { encoding: 'utf8' });
    assert.equal(versions.trim(), '1\n2\n3\n4\n5');
    // Every row's id is its rowid and holds its start (schema version 5).
    const ids = execFileSync('sqlite3', [db, 'SELECT count(*), count(DISTINCT id), sum(id >> 20 = started_at), ' +
      "(SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records') FROM usage_records"],
    { encoding: 'utf8' });
    const n = sqliteRows(db).length;
    assert.equal(ids.trim(), `${n}|${n}|${n}|0`);
    assert.equal(execFileSync('sqlite3', [db, 'PRAGMA journal_mode'], { encoding: 'utf8' }).trim(), 'wal');
  });

  test('usage: {sqlite_path} picks the file; usage: {enabled: false} writes none', async () => {
    const file = path.join(path.dirname(writeTemp('x', '')), 'records.db');
    const gw = await startGateway({ mockUrl: mock.url, config: `usage: {sqlite_path: ${file}}\n` });
    const { id } = await chat(gw, chatBody('x'), { key: MASTER_KEY });
    await gw.stop();
    assert.deepEqual(sqliteRows(file).map((r) => r.request_id), [id]);

    const off = await startGateway({ mockUrl: mock.url, config: 'usage: {enabled: false}\n' });
    await chat(off, chatBody('x'), { key: MASTER_KEY });
    await off.stop();
    assert.equal(existsSync(path.join(off.cwd, 'usage.db')), false);
    assert.deepEqual(spools(off.cwd), []);
  });

  test('two gateways share one SQLite file and one folder', async () => {
    const cwd = path.dirname(writeTemp('x', ''));
    const a = await startGateway({ mockUrl: mock.url, cwd });
    const b = await startGateway({ mockUrl: mock.url, cwd });
    const ids = [];
    await Promise.all(Array.from({ length: 60 }, async (_, i) => {
      ids.push((await chat(i % 2 ? a : b, chatBody(`x ${i}`), { key: MASTER_KEY })).id);
    }));
    await a.stop();
    await b.stop();
    const rows = sqliteRows(path.join(cwd, 'usage.db'));
    assert.deepEqual(rows.map((r) => r.request_id).sort(), ids.sort());
    assert.deepEqual(spools(cwd), []);
  });
});

describe('PostgreSQL', () => {
  let pg;
  before(async () => { pg = await PostgresServer.start(); });
  after(() => pg?.close());

  const startPg = (extra = {}) => startGateway({
    mockUrl: mock.url, config: config(), env: { DATABASE_URL: pg.url }, args: ['--no-access-log'], ...extra,
  });

  test('migrations at start, one row per model request for every outcome', async () => {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const gw = await startPg();
    let want;
    try {
      assert.match(gw.stderr, /usage records: postgresql:\/\/llmgw@127\.0\.0\.1:\d+\/llmgw/);
      want = await everyOutcome(gw);
      await waitFor('the rows', () => pgRows(pg).length >= Object.keys(want).length + 1);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
    checkRows(pgRows(pg), want);
    assert.equal(pg.query('SELECT string_agg(version::text, \',\' ORDER BY version) FROM schema_migrations'), '1,2,3,4,5');
    assert.equal(pg.query('SELECT count(*) FILTER (WHERE id >> 20 = started_at) = count(*) FROM usage_records'), 't');
    // The primary key's index alone: version 4 dropped the one on (key_name, started_at).
    const indexes = "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'usage_records'";
    assert.equal(pg.query(indexes), 'usage_records_pkey');
    assert.deepEqual(spools(gw.cwd), []);

    // A database as a version-3 gateway left it: the next start drops the
    // index, adds the id (null in the rows already there) and keeps every row.
    const rows = pg.query('SELECT count(*) FROM usage_records');
    pg.query('CREATE INDEX usage_records_key_started_at ON usage_records (key_name, started_at); ' +
      'ALTER TABLE usage_records DROP COLUMN id; DELETE FROM schema_migrations WHERE version >= 4');
    assert.equal(pg.query(indexes), 'usage_records_key_started_at,usage_records_pkey');
    const again = await startPg();
    assert.equal((await again.stop()).code, 0, again.stderr);
    assert.equal(pg.query(indexes), 'usage_records_pkey');
    assert.equal(pg.query('SELECT string_agg(version::text, \',\' ORDER BY version) FROM schema_migrations'), '1,2,3,4,5');
    assert.equal(pg.query('SELECT count(*) FROM usage_records WHERE id IS NULL'), rows);
  });

  // Requests from `concurrency` clients until `stop()`; every answered id.
  function load(gw, concurrency = 8) {
    const ids = [];
    let running = true;
    const workers = Array.from({ length: concurrency }, async () => {
      while (running) {
        try {
          const r = await post(gw.url, '/v1/chat/completions', chatBody('load'), { timeoutMs: 10000 });
          await r.text();
          if (r.headers.get('x-request-id')) ids.push(r.headers.get('x-request-id'));
        } catch {
          if (running) await sleep(5);  // the gateway is going away
        }
      }
    });
    return { ids, stop: async () => { running = false; await Promise.all(workers); } };
  }

  const countRows = () => Number(pg.query('SELECT count(*) FROM usage_records'));

  test('PostgreSQL stopped during a load and started again: rows equal requests, no duplicates', async () => {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const gw = await startPg();
    try {
      const l = load(gw);
      await sleep(300);
      pg.down();
      const atStop = l.ids.length;
      await sleep(1500);  // requests keep being answered; records go to the spool
      assert.ok(l.ids.length > atStop + 10, 'requests are answered while the database is down');
      assert.equal(spools(gw.cwd).length, 1);
      // The metrics say so.
      const down = await metric(gw, 'llmgw_usage_database_up');
      assert.equal(down, 0);
      assert.ok((await metric(gw, 'llmgw_usage_spool_bytes')) > 0);
      pg.up();
      await sleep(500);
      await l.stop();
      await waitFor('every row', () => countRows() === l.ids.length, 15000,
        () => `(${countRows()} rows, ${l.ids.length} requests)\n${gw.stderr}`);
      await waitFor('the recovery line', () => /usage database .* answers again/.test(gw.stderr));
      assert.equal(await metric(gw, 'llmgw_usage_database_up'), 1);
      assert.equal(await metric(gw, 'llmgw_usage_spool_bytes'), 0);
      assert.equal(await metric(gw, 'llmgw_usage_rows_lost_total'), 0);
      assert.equal(Number(pg.query('SELECT count(DISTINCT request_id) FROM usage_records')), l.ids.length);
      const stored = new Set(pg.query('SELECT request_id FROM usage_records').split('\n'));
      for (const id of l.ids) assert.ok(stored.has(id), id);
      assert.doesNotMatch(gw.stderr, /password/i);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
    assert.deepEqual(spools(gw.cwd), []);
  });

  // A rule an operator may add: PostgreSQL then refuses the rows it judges
  // (SQLSTATE 23514). Asked again it would refuse them again, so they must
  // not wait in the spool in front of every newer row.
  const poisonRule = () => pg.query(
    "ALTER TABLE usage_records ADD CONSTRAINT no_poison CHECK (user_id IS DISTINCT FROM 'poison')");
  const setAside = (dir) => {
    const file = path.join(dir, 'usage-rejected.jsonl');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
  };

  test('a row PostgreSQL refuses is set aside; the rows beside it and after it are stored', async () => {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const gw = await startPg();
    try {
      poisonRule();
      const ids = [];
      for (let i = 0; i < 3; ++i) ids.push((await chat(gw, chatBody('before'))).id);
      const poison = await chat(gw, chatBody('poisoned', { user: 'poison' }));
      assert.equal(poison.status, 200, 'the answer does not wait for its record');
      for (let i = 0; i < 3; ++i) ids.push((await chat(gw, chatBody('after'))).id);
      await waitFor('six rows', () => countRows() === 6, 15000, () => `(${countRows()} rows)\n${gw.stderr}`);
      const stored = pg.query('SELECT request_id FROM usage_records').split('\n').sort();
      assert.deepEqual(stored, [...ids].sort());
      await waitFor('the rejection count', async () => (await metric(gw, 'llmgw_usage_rows_rejected_total')) === 1);
      const aside = setAside(gw.cwd);
      assert.equal(aside.length, 1);
      assert.equal(aside[0].row.request_id, poison.id);
      assert.equal(aside[0].row.user_id, 'poison');
      assert.match(aside[0].error, /no_poison/);
      assert.match(gw.stderr, /refused a record .*usage-rejected\.jsonl/);
      assert.equal(await metric(gw, 'llmgw_usage_spool_bytes'), 0);
      assert.equal(await metric(gw, 'llmgw_usage_database_up'), 1);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
    assert.deepEqual(spools(gw.cwd), []);
  });

  test('a refused row inside a spooled batch of several statements does not hold up its replay', async () => {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const gw = await startPg();
    try {
      poisonRule();
      pg.down();
      // More rows than one INSERT statement takes (500), replayed as one
      // transaction of several statements once the database is back.
      const ids = [];
      let poisonId;
      for (let round = 0; round < 48; ++round) {
        const batch = await Promise.all(Array.from({ length: 16 }, (_, i) =>
          chat(gw, chatBody('spooled', round === 20 && i === 5 ? { user: 'poison' } : {}))));
        for (const [i, r] of batch.entries()) {
          assert.equal(r.status, 200);
          if (round === 20 && i === 5) poisonId = r.id; else ids.push(r.id);
        }
      }
      await waitFor('the spool', async () => (await metric(gw, 'llmgw_usage_spool_bytes')) > 0);
      pg.up();
      await waitFor('every other row', () => countRows() === ids.length, 20000,
        () => `(${countRows()} rows, ${ids.length} wanted)\n${gw.stderr}`);
      assert.equal(Number(pg.query(`SELECT count(*) FROM usage_records WHERE request_id = '${poisonId}'`)), 0);
      const aside = setAside(gw.cwd);
      assert.equal(aside.length, 1);
      assert.equal(aside[0].row.request_id, poisonId);
      await waitFor('an empty spool', async () => (await metric(gw, 'llmgw_usage_spool_bytes')) === 0);
      assert.equal(await metric(gw, 'llmgw_usage_rows_lost_total'), 0);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
  });

  test('PostgreSQL hung (SIGSTOP) during a load: answers keep flowing, and every row arrives once it resumes', async () => {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const gw = await startPg();
    try {
      const l = load(gw);
      await sleep(300);
      pg.pause();
      const atPause = l.ids.length;
      await sleep(2500);  // past the 1 s statement deadline: records go to the spool
      const during = l.ids.length - atPause;
      pg.resume();
      assert.ok(during > 20, `only ${during} requests answered while the database hung`);
      await sleep(300);
      await l.stop();
      await waitFor('every row', () => countRows() === l.ids.length, 15000,
        () => `(${countRows()} rows, ${l.ids.length} requests)\n${gw.stderr}`);
      assert.equal(Number(pg.query('SELECT count(DISTINCT request_id) FROM usage_records')), l.ids.length);
      assert.match(gw.stderr, /no answer within 1000 ms/);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
  });

  test('SIGTERM during a load: every answered request has its row, once', async () => {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const gw = await startPg();
    const l = load(gw);
    await sleep(700);
    const stopped = gw.stop();
    await l.stop();
    assert.equal((await stopped).code, 0, gw.stderr);
    assert.ok(l.ids.length > 20, `only ${l.ids.length} requests`);
    const stored = pg.query('SELECT request_id FROM usage_records').split('\n');
    assert.equal(new Set(stored).size, stored.length, 'no duplicates');
    const set = new Set(stored);
    for (const id of l.ids) assert.ok(set.has(id), `no row for ${id}`);
    assert.deepEqual(spools(gw.cwd), []);
  });

  // `n` requests answered while PostgreSQL is down, by a gateway stopped
  // then: their records wait in its spool in a fresh folder. PostgreSQL is
  // left down.
  async function spoolWhileDown(n, label) {
    pg.query('DROP TABLE IF EXISTS usage_records, schema_migrations');
    const cwd = path.dirname(writeTemp('x', ''));
    const gw = await startPg({ cwd });
    pg.down();
    const ids = [];
    for (let i = 0; i < n; i++) ids.push((await chat(gw, chatBody(`${label} ${i}`))).id);
    assert.equal((await gw.stop()).code, 0, gw.stderr);
    return { cwd, gw, ids };
  }

  test('a stop while PostgreSQL is down keeps the records in the spool; the next start replays them', async () => {
    const { cwd, gw, ids } = await spoolWhileDown(20, 'x');
    assert.match(gw.stderr, /stay in .*usage-spool-.* for the next start/);
    assert.equal(spools(cwd).length, 1);
    pg.up();
    assert.equal(countRows(), 0);
    const next = await startPg({ cwd });
    try {
      await waitFor('the replayed rows', () => countRows() === 20);
      assert.deepEqual(pg.query('SELECT request_id FROM usage_records').split('\n').sort(), ids.sort());
    } finally {
      await next.stop();
    }
    assert.deepEqual(spools(cwd), []);
  });

  // The gateway copies a batch in (COPY has no ON CONFLICT), and only a
  // batch that meets a stored key goes in again skipping it: a spool
  // replayed twice stores each row once and sets nothing aside.
  test('a spool whose rows are stored already is replayed as a no-op, nothing set aside', async () => {
    const { cwd, ids } = await spoolWhileDown(30, 'dup');
    const [spool] = spools(cwd);
    // A second copy, as a process that ended would have left it: claimed and replayed after the first.
    copyFileSync(path.join(cwd, spool), path.join(cwd, spool.replace(/^usage-spool-\d+-/, 'usage-spool-1-')));
    assert.equal(spools(cwd).length, 2);
    pg.up();
    const next = await startPg({ cwd });
    try {
      // Claimed spools go in before the gateway serves: only its own is left.
      await waitFor('both copies replayed', () => spools(cwd).length === 1);
      await waitFor('the rows', () => countRows() === 30);
      assert.deepEqual(pg.query('SELECT request_id FROM usage_records').split('\n').sort(), ids.sort());
      assert.equal(await metric(next, 'llmgw_usage_rows_rejected_total'), 0);
    } finally {
      await next.stop();
    }
    assert.deepEqual(spools(cwd), []);
    assert.deepEqual(setAside(cwd), []);
    assert.doesNotMatch(next.stderr, /refused a record/);
  });

  test('the password of DATABASE_URL is never printed', async () => {
    pg.query("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'secretive') THEN " +
      "CREATE ROLE secretive LOGIN PASSWORD 'hunter2-pw'; END IF; END $$");
    // Trust auth lets it in; the gateway still holds the password, and a
    // refused database name makes libpq write an error.
    const url = `postgresql://secretive:hunter2-pw@127.0.0.1:${pg.port}/no_such_db`;
    const gw = await startGateway({ mockUrl: mock.url, env: { DATABASE_URL: url } });
    await chat(gw, chatBody('x'), { key: MASTER_KEY });
    await sleep(200);
    await gw.stop();
    assert.match(gw.stderr, /no_such_db/);
    assert.doesNotMatch(gw.stderr + gw.stdout, /hunter2-pw/);
  });
});
