#!/usr/bin/env node
// The regression gate: compares a run's ratios to nginx with the figures
// recorded in bench/baseline.md and fails (exit 1) when one falls more than
// the allowed share below its baseline. Ratios, not req/s: the machine's
// speed cancels out, since nginx runs beside llmgw in the same run.
//
//   node bench/gate.mjs RESULTS.jsonl BASELINE.md [ALLOWED_DROP=0.10]
import fs from 'node:fs';

const [resultsFile, baselineFile, allowedArg = '0.10'] = process.argv.slice(2);
const allowed = Number(allowedArg);
const rows = fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const wrk = rows.filter((r) => r.kind === 'wrk');
const rps = (target, test) => wrk.find((r) => r.target === target && r.test === test)?.data?.rps;

// The gated figures: llmgw's req/s (and, for the Redis rows, llmgw-redis's)
// over nginx's on the same test; the Redis rows compare with nginx's 1 KB row.
const measured = {
  '1k': rps('llmgw', '1k') / rps('nginx', '1k'),
  '256k': rps('llmgw', '256k') / rps('nginx', '256k'),
  stream: rps('llmgw', 'stream') / rps('nginx', 'stream'),
  'stream-claude': rps('llmgw', 'stream-claude') / rps('nginx', 'stream'),
  'stream-messages': rps('llmgw', 'stream-messages') / rps('nginx', 'stream'),
  '1k-all': rps('llmgw-all', '1k-all') / rps('nginx', '1k'),
  '1k-miss': rps('llmgw-redis', '1k-miss') / rps('nginx', '1k'),
  '1k-hit': rps('llmgw-redis', '1k-hit') / rps('nginx', '1k'),
};

// baseline.md's table rows: | `test` | ratio | …
const baseline = {};
for (const line of fs.readFileSync(baselineFile, 'utf8').split('\n')) {
  const m = line.match(/^\|\s*`([^`]+)`\s*\|\s*([0-9.]+)/);
  if (m) baseline[m[1]] = Number(m[2]);
}
if (Object.keys(baseline).length === 0) {
  console.error(`gate: no baseline rows in ${baselineFile}`);
  process.exit(2);
}

let failed = 0;
console.log(`Regression gate: each ratio to nginx may fall at most ${(allowed * 100).toFixed(0)}% below bench/baseline.md`);
console.log();
console.log('| test | baseline | this run | floor | verdict |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const [test, base] of Object.entries(baseline)) {
  const now = measured[test];
  const floor = base * (1 - allowed);
  let verdict;
  if (now == null || !Number.isFinite(now)) {
    verdict = 'FAIL (not measured)';
    failed++;
  } else if (now < floor) {
    verdict = 'FAIL';
    failed++;
  } else {
    verdict = 'ok';
  }
  const f = (v) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
  console.log(`| \`${test}\` | ${f(base)} | ${f(now)} | ${f(floor)} | ${verdict} |`);
}
console.log();
console.log(failed ? `gate: FAILED (${failed} below the floor)` : 'gate: passed');
process.exit(failed ? 1 : 0);
