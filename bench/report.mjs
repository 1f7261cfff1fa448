#!/usr/bin/env node
// Turns bench/run.sh's results.jsonl into Markdown tables with ratios against
// nginx, and checks the targets of issue #2 (and of issue #8 with access logs on).
//
//   node bench/report.mjs RESULTS.jsonl STREAMS TOKENS TPS [ACCESS_LOG]
import fs from 'node:fs';

const [file, streams, tokens, tps, accessLog = 'off'] = process.argv.slice(2);
const rows = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const fmt = (v, digits = 0) => (v == null || Number.isNaN(v) ? '–' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const fmtRatio = (r) => (r == null ? '–' : `${r.toFixed(2)}×`);
const order = ['direct', 'nginx', 'llmgw', 'llmgw-redis'];
const byOrder = (a, b) => order.indexOf(a.target) - order.indexOf(b.target);
const verdicts = [];

// --- non-streamed ---------------------------------------------------------------
const wrk = rows.filter((r) => r.kind === 'wrk');
const tests = [...new Set(wrk.map((r) => r.test))];
const label = {
  '1k': '1 KB body',
  '256k': '256 KB body',
  stream: 'stream of 20 tokens, pass-through',
  'stream-claude': 'stream of 20 tokens, OpenAI client → Anthropic upstream (translated)',
  '1k-miss': '1 KB body, key limits in Redis + cache lookup that misses (Redis)',
  '1k-hit': '1 KB body, key limits in Redis + cache hit (Redis)',
};
// Rows measured on llmgw alone compare with nginx's plain 1 KB row.
const baseline = { '1k-miss': '1k', '1k-hit': '1k' };
if (wrk.length) {
  console.log('POST /v1/chat/completions, whole responses per second (wrk)');
  console.log();
  console.log('| test | target | req/s | p50 ms | p99 ms | req/s ÷ nginx | p99 ÷ nginx | Redis cmds/req | errors |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const test of tests) {
    const set = wrk.filter((r) => r.test === test).sort(byOrder);
    const nginx = wrk.find((r) => r.test === (baseline[test] ?? test) && r.target === 'nginx')?.data;
    for (const { target, data: d, redis_calls: calls } of set) {
      const errors = d.err_connect + d.err_read + d.err_write + d.err_status + d.err_timeout;
      const perRequest = calls ? fmt(calls / d.requests, 2) : '–';
      console.log(
        `| ${label[test] ?? test} | ${target} | ${fmt(d.rps)} | ${fmt(d.p50_us / 1000, 2)} | ${fmt(d.p99_us / 1000, 2)} | ` +
          `${target === 'nginx' ? '1.00×' : fmtRatio(ratio(d.rps, nginx?.rps))} | ` +
          `${target === 'nginx' ? '1.00×' : fmtRatio(ratio(d.p99_us, nginx?.p99_us))} | ${perRequest} | ${errors} |`,
      );
      if (errors) verdicts.push(`WARN  ${target} ${test}: ${errors} errors (status ${d.err_status}, timeout ${d.err_timeout})`);
    }
    const direct = set.find((r) => r.target === 'direct')?.data;
    if (nginx && direct && nginx.rps > 0.9 * direct.rps) {
      verdicts.push(
        `NOTE  ${test}: nginx reaches ${fmtRatio(ratio(nginx.rps, direct.rps))} of direct: the load core (mock + wrk) ` +
          'is close to its limit, so ratios near 1.0 understate differences between proxies',
      );
    }
  }
  console.log();
}

// --- streams --------------------------------------------------------------------
const st = rows.filter((r) => r.kind === 'streams').sort(byOrder);
if (st.length) {
  const direct = st.find((r) => r.target === 'direct')?.data;
  const nginxRss = st.find((r) => r.target === 'nginx')?.peak_rss_kb;
  console.log(`Concurrent streams: ${streams} streamed completions of ${tokens} tokens at ${tps} tokens/s`);
  console.log();
  console.log(
    '| target | completed | peak RSS MB | RSS ÷ nginx | idle RSS MB | TTFB p50 ms | TTFB p99 ms | added TTFB p50 ms | added TTFB p99 ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of st) {
    const d = r.data;
    const proxy = r.target !== 'direct';
    const added = (p) => (proxy && direct ? d.ttfb_ms[p] - direct.ttfb_ms[p] : null);
    console.log(
      `| ${r.target} | ${d.ok}/${d.streams} | ${proxy ? fmt(r.peak_rss_kb / 1024, 1) : '–'} | ` +
        `${proxy ? (r.target === 'nginx' ? '1.00×' : fmtRatio(ratio(r.peak_rss_kb, nginxRss))) : '–'} | ` +
        `${proxy ? fmt(r.idle_rss_kb / 1024, 1) : '–'} | ${fmt(d.ttfb_ms.p50, 2)} | ${fmt(d.ttfb_ms.p99, 2)} | ` +
        `${fmt(added('p50'), 2)} | ${fmt(added('p99'), 2)} |`,
    );
    if (d.failed) verdicts.push(`FAIL  ${r.target} streams: ${d.failed} of ${d.streams} failed ${JSON.stringify(d.errors)}`);
    const expectMs = (Number(tokens) / Number(tps)) * 1000;
    if (d.total_ms.p50 != null && d.total_ms.p50 < 0.5 * expectMs) {
      verdicts.push(
        `WARN  ${r.target} streams lasted ${fmt(d.total_ms.p50)} ms (p50), expected ~${fmt(expectMs)} ms: ` +
          'the pacing did not reach the mock, so these were not slow streams',
      );
    }
  }
  console.log();
  console.log('Peak RSS is VmHWM of the proxy process (nginx: its one worker) started fresh for the streams.');
  console.log('Added TTFB is the proxy\'s TTFB percentile minus the direct run\'s.');
  console.log();
}

// --- targets of issue #2 ------------------------------------------------------------
const get = (test, target) => wrk.find((r) => r.test === test && r.target === target)?.data;
const check = (name, value, ok, shown) =>
  verdicts.unshift(`${value == null ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${name}: ${shown}`);
{
  const l = get('256k', 'llmgw');
  const n = get('256k', 'nginx');
  const r = ratio(l?.rps, n?.rps);
  check('256 KB req/s ≥ 0.7× nginx', r, r >= 0.7, fmtRatio(r));
}
{
  const l = get('1k', 'llmgw');
  const n = get('1k', 'nginx');
  const rp = ratio(l?.p99_us, n?.p99_us);
  check('1 KB p99 ≤ 1.5× nginx', rp, rp <= 1.5, fmtRatio(rp));
  const r = ratio(l?.rps, n?.rps);
  check('1 KB req/s ≥ 0.8× nginx', r, r >= 0.8, fmtRatio(r));
}
if (accessLog !== 'off') {
  // Issue #8: with both proxies writing an access log, the log must not cost
  // llmgw its place against nginx's buffered log.
  const l = get('1k', 'llmgw');
  const n = get('1k', 'nginx');
  const rp = ratio(l?.p99_us, n?.p99_us);
  check(`1 KB p99 ≤ 1.2× nginx, access logs on (${accessLog})`, rp, rp <= 1.2, fmtRatio(rp));
  const r = ratio(l?.rps, n?.rps);
  check(`1 KB req/s ≥ 0.85× nginx, access logs on (${accessLog})`, r, r >= 0.85, fmtRatio(r));
}
{
  // Issue #10: shared state through Redis must not cost the hop its place.
  const n = get('1k', 'nginx');
  const miss = ratio(get('1k-miss', 'llmgw-redis')?.rps, n?.rps);
  check('Redis limits + cache miss req/s ≥ 0.75× nginx (1 KB)', miss, miss >= 0.75, fmtRatio(miss));
  const hit = ratio(get('1k-hit', 'llmgw-redis')?.rps, n?.rps);
  check('cache hit req/s > nginx proxying (1 KB)', hit, hit > 1, fmtRatio(hit));
}
{
  // The translated route's cost beside pass-through, on the same gateway.
  const pass = get('stream', 'llmgw');
  const translated = get('stream-claude', 'llmgw');
  const r = ratio(translated?.rps, pass?.rps);
  if (r != null) verdicts.push(`INFO  translated stream (→ Anthropic) req/s ÷ pass-through stream req/s: ${fmtRatio(r)}`);
}
console.log('Targets');
console.log();
for (const v of verdicts) console.log(`    ${v}`);
