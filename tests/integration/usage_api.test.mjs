// GET /v1/usage (issue 11 item 6): its numbers equal a direct SQL aggregate
// over the same rows, in SQLite and in PostgreSQL; the master key sees every
// key, another key only its own; bad parameters are a 400 naming them.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startMock, startGateway, post, chatBody, sleep, MASTER_KEY } from '../lib/harness.mjs';
import { PostgresServer } from '../lib/postgres.mjs';

const CI_KEY = 'sk-usage-ci-key';
const OTHER_KEY = 'sk-usage-other-key';
const config = `
keys:
  - {name: ci, key: ${CI_KEY}, team: team-a}
  - {name: other, key: ${OTHER_KEY}}
`;

let mock;
before(async () => { mock = await startMock(); });
after(async () => { await mock?.stop(); });

// Four requests of ci (one a vendor error), two of other.
async function traffic(gw) {
  const send = async (key, content) => (await post(gw.url, '/v1/chat/completions', chatBody(content), { key })).text();
  for (let i = 0; i < 3; i++) await send(CI_KEY, `ci ${i} [mock:tokens=${5 + i}]`);
  await send(CI_KEY, 'ci error [mock:status=500]');
  await send(OTHER_KEY, 'other 1');
  await send(OTHER_KEY, 'other 2 [mock:tokens=9]');
}

async function usage(gw, query, key = MASTER_KEY) {
  const r = await fetch(`${gw.url}/v1/usage?${query}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: r.status, body: await r.json() };
}

async function waitForRows(count, want) {
  const t0 = Date.now();
  while (count() < want) {
    if (Date.now() - t0 > 10000) assert.fail(`only ${count()} of ${want} rows`);
    await sleep(50);
  }
}

// The API's rows by group, next to the same aggregate asked in SQL.
function checkAgainst(data, sqlRows) {
  const byGroup = Object.fromEntries(data.map((d) => [d.group, d]));
  assert.equal(data.length, sqlRows.length);
  for (const s of sqlRows) {
    const d = byGroup[s.g];
    assert.ok(d, `group ${s.g} missing from ${JSON.stringify(data)}`);
    assert.equal(d.requests, Number(s.requests));
    assert.equal(d.errors, Number(s.errors));
    assert.equal(d.prompt_tokens, Number(s.prompt_tokens));
    assert.equal(d.completion_tokens, Number(s.completion_tokens));
  }
}

const AGGREGATE = `SELECT key_name AS g, COUNT(*) AS requests, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors,
  COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS completion_tokens
  FROM usage_records GROUP BY key_name`;

describe('SQLite', () => {
  test('group_by=key equals the SQL aggregate; a key sees only its own; day and bad parameters', async () => {
    const gw = await startGateway({ mockUrl: mock.url, config });
    const db = path.join(gw.cwd, 'usage.db');
    const count = () => {
      try {
        return Number(execFileSync('sqlite3', [db, 'SELECT COUNT(*) FROM usage_records'], { encoding: 'utf8' }).trim());
      } catch {
        return 0;
      }
    };
    try {
      await traffic(gw);
      await waitForRows(count, 6);
      const all = await usage(gw, 'group_by=key');
      assert.equal(all.status, 200);
      assert.equal(all.body.object, 'list');
      const sql = JSON.parse(execFileSync('sqlite3', ['-json', db, AGGREGATE], { encoding: 'utf8' }));
      checkAgainst(all.body.data, sql);
      const ci = all.body.data.find((d) => d.group === 'ci');
      assert.equal(ci.requests, 4);
      assert.equal(ci.errors, 1);
      assert.ok(ci.latency_p50_ms > 0 && ci.latency_p95_ms >= ci.latency_p50_ms);

      const own = await usage(gw, 'group_by=key', OTHER_KEY);
      assert.deepEqual(own.body.data.map((d) => d.group), ['other']);
      assert.equal(own.body.data[0].requests, 2);

      const team = await usage(gw, 'group_by=team');
      assert.deepEqual(team.body.data.map((d) => [d.group, d.requests]), [[null, 2], ['team-a', 4]]);

      const today = new Date().toISOString().slice(0, 10);
      const day = await usage(gw, `group_by=day&from=${today}`);
      assert.deepEqual(day.body.data.map((d) => [d.group, d.requests]), [[today, 6]]);
      const empty = await usage(gw, 'from=2001-01-01&to=2001-01-02');
      assert.deepEqual(empty.body.data, []);

      const bad = await usage(gw, 'group_by=colour');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.param, 'group_by');
      const unauth = await usage(gw, '', 'sk-wrong');
      assert.equal(unauth.status, 401);
      // Asking about usage is not usage: no row for it.
      await sleep(100);
      assert.equal(count(), 6);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
  });
});

describe('PostgreSQL', () => {
  let pg;
  before(async () => { pg = await PostgresServer.start(); });
  after(async () => { await pg?.close(); });

  test('group_by=key equals the SQL aggregate over the same rows', async () => {
    const gw = await startGateway({ mockUrl: mock.url, config, env: { DATABASE_URL: pg.url } });
    const count = () => {
      try {
        return Number(pg.query('SELECT COUNT(*) FROM usage_records').trim());
      } catch {
        return 0;
      }
    };
    try {
      await traffic(gw);
      await waitForRows(count, 6);
      const all = await usage(gw, 'group_by=key');
      assert.equal(all.status, 200, JSON.stringify(all.body));
      const sql = JSON.parse(pg.query(`SELECT COALESCE(json_agg(a), '[]') FROM (${AGGREGATE}) a`));
      checkAgainst(all.body.data, sql);
      const model = await usage(gw, 'group_by=model');
      assert.deepEqual(model.body.data.map((d) => [d.group, d.requests]), [['gpt-4o-mini', 6]]);
    } finally {
      assert.equal((await gw.stop()).code, 0, gw.stderr);
    }
  });
});
