#!/usr/bin/env node
// Turns bench/run.sh's results.jsonl into Markdown tables with ratios against
// nginx, and checks the targets of issue #2 (and of issue #8 with access logs on,
// and of issue #11: usage records' cost and rows = requests); tail_latency.sh's
// rows become the tail-latency table.
//
//   node bench/report.mjs RESULTS.jsonl STREAMS TOKENS TPS [ACCESS_LOG]
//   (tail_latency.sh alone passes `-` for STREAMS TOKENS TPS: it has no stream rows)
import fs from 'node:fs';

const [file, streams, tokens, tps, accessLog = 'off', idleSettle = '5'] = process.argv.slice(2);
const rows = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const fmt = (v, digits = 0) => (v == null || Number.isNaN(v) ? '–' : v.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const fmtRatio = (r) => (r == null ? '–' : `${r.toFixed(2)}×`);
const order = ['direct', 'nginx', 'llmgw', 'llmgw-norec', 'llmgw-pg', 'llmgw-all', 'llmgw-redis'];
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
  'stream-messages': 'stream of 20 tokens, Anthropic client → OpenAI upstream (translated)',
  '1k-all': '1 KB body, every embedded feature on: key limits (memory), cache lookup that misses (memory), usage records (SQLite)',
  '1k-miss': '1 KB body, key limits in Redis + cache lookup that misses (Redis)',
  '1k-hit': '1 KB body, key limits in Redis + cache hit (Redis)',
  '1k-norec': '1 KB body, usage records off',
  '1k-pg': '1 KB body, usage records to PostgreSQL (on the load core)',
  '1k-shared': '1 KB body, every feature on with shared state: key limits and cache lookup that misses in Redis, usage records to PostgreSQL (both on the load core)',
};
// Rows measured on llmgw alone compare with nginx's plain 1 KB row.
const baseline = { '1k-all': '1k', '1k-miss': '1k', '1k-hit': '1k', '1k-norec': '1k', '1k-pg': '1k', '1k-shared': '1k' };
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

// --- CPU of each process and core over each wrk run ------------------------------
const withCpu = wrk.filter((r) => r.cpu);
// A process's CPU in % of one core, and a core's busy share, over the run.
const pct = (c, ticks) => (ticks == null ? null : (ticks * 100) / c.hz / c.seconds);
const busy = (core) => (core.total > 0 ? (core.busy * 100) / core.total : null);
// What the rest of the machine took of each core: its busy share less our
// processes on it (the direct rows have no proxy on its core). Interrupt
// work for our own loopback traffic is mostly charged to the process whose
// system call raised it, so it is not subtracted (the core's irq ticks are
// kept in the results).
const otherWork = (c) => ({
  proxy: c.proxy == null ? null : busy(c.proxy_core) - pct(c, c.proxy),
  load: busy(c.load_core) - ['mock', 'wrk', 'postgres', 'redis'].reduce((s, k) => s + (pct(c, c[k]) ?? 0), 0),
});
if (withCpu.length) {
  const p = (v) => (v == null ? '–' : `${fmt(v)}%`);
  console.log('CPU over each wrk run, % of one core');
  console.log();
  console.log('| test | target | proxy | mock | wrk | postgres | redis | proxy core busy | other work on it | load core busy | other work on it |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const test of tests) {
    for (const { target, cpu: c } of withCpu.filter((r) => r.test === test).sort(byOrder)) {
      const other = otherWork(c);
      console.log(
        `| ${test} | ${target} | ${p(pct(c, c.proxy))} | ${p(pct(c, c.mock))} | ${p(pct(c, c.wrk))} | ` +
          `${p(pct(c, c.postgres))} | ${p(pct(c, c.redis))} | ${p(busy(c.proxy_core))} | ${p(other.proxy)} | ` +
          `${p(busy(c.load_core))} | ${p(other.load)} |`,
      );
      // On a quiet machine our processes account for their cores' busy time
      // within a few points; more is another job on this machine.
      const worst = Math.max(other.proxy ?? 0, other.load);
      if (worst > 15) {
        verdicts.push(
          `WARN  ${target} ${test}: other work took ${fmt(worst)}% of the ${worst === other.load ? 'load' : 'proxy'} core: ` +
            'the machine was busy, this row is low; run again',
        );
      }
    }
  }
  console.log();
  console.log('Processes: user + system time from /proc/PID/stat (nginx: its worker; postgres: its server and every');
  console.log('backend; llmgw: every thread, the usage writer included). Cores: the busy share of each core in');
  console.log("/proc/stat (tick-sampled); other work: that share less our processes' on the core (other jobs on");
  console.log('the machine; a few points either way is sampling).');
  console.log();
}

// --- usage records: rows against requests (issue #11) ------------------------------
const records = rows.filter((r) => r.kind === 'records').sort(byOrder);
if (records.length) {
  console.log('Usage records: rows in the database after the gateway stopped (SIGTERM drains its queue)');
  console.log();
  console.log('| target | sink | requests answered | rows | access-log lines | records dropped | spool KB when the load ended |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of records) {
    const spool = r.spool_bytes_at_end == null ? '–' : fmt(r.spool_bytes_at_end / 1024);
    console.log(
      `| ${r.target} | ${r.sink} | ${r.requests} | ${r.rows} | ${r.access_lines ?? '–'} | ${r.dropped} | ${spool} |`,
    );
  }
  console.log();
  console.log("Requests answered: the gateway's llmgw_requests_total (/metrics) once none was in flight, warm-up and");
  console.log('sanity requests included; every one was to a model endpoint, so each must have its row. Spool: the');
  console.log('records still waiting for the database when the load ended; an inserter that keeps up leaves a batch or two.');
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
    '| target | completed | streaming at once | proxy sockets at peak | peak RSS MB | RSS ÷ nginx | idle RSS MB | KB per stream | TTFB p50 ms | TTFB p99 ms | added TTFB p50 ms | added TTFB p99 ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of st) {
    const d = r.data;
    const proxy = r.target !== 'direct';
    const added = (p) => (proxy && direct ? d.ttfb_ms[p] - direct.ttfb_ms[p] : null);
    // What each open stream costs the proxy: its growth over its idle size, per stream.
    const perStream = proxy && d.streams ? (r.peak_rss_kb - r.idle_rss_kb) / d.streams : null;
    console.log(
      `| ${r.target} | ${d.ok}/${d.streams} | ${d.peak_streaming ?? '–'} | ${proxy && r.peak_fds ? r.peak_fds : '–'} | ` +
        `${proxy ? fmt(r.peak_rss_kb / 1024, 1) : '–'} | ` +
        `${proxy ? (r.target === 'nginx' ? '1.00×' : fmtRatio(ratio(r.peak_rss_kb, nginxRss))) : '–'} | ` +
        `${proxy ? fmt(r.idle_rss_kb / 1024, 1) : '–'} | ${fmt(perStream, 1)} | ${fmt(d.ttfb_ms.p50, 2)} | ` +
        `${fmt(d.ttfb_ms.p99, 2)} | ${fmt(added('p50'), 2)} | ${fmt(added('p99'), 2)} |`,
    );
    if (d.failed) verdicts.push(`FAIL  ${r.target} streams: ${d.failed} of ${d.streams} failed ${JSON.stringify(d.errors)}`);
    if (r.target === 'llmgw' && perStream != null) {
      // Issue 13: at most 20 KB per open stream, every stream completed.
      const pass = perStream <= 20 && !d.failed;
      verdicts.push(`${pass ? 'PASS' : 'FAIL'}  llmgw memory per open stream: ${fmt(perStream, 1)} KB (target ≤ 20 KB, all completed)`);
    }
    // Held at once by the proxy (two sockets a stream), or else as seen by the client.
    const heldAtOnce = proxy && r.peak_fds ? Math.floor(r.peak_fds / 2) : d.peak_streaming;
    if (heldAtOnce != null && heldAtOnce < 0.95 * d.streams) {
      verdicts.push(
        `NOTE  ${r.target}: at most ${heldAtOnce} of ${d.streams} streams were open at once (the rest had ended ` +
          'or not begun): the load core did not keep them all open together, so KB per stream is understated',
      );
    }
    const expectMs = (Number(tokens) / Number(tps)) * 1000;
    if (d.total_ms.p50 != null && d.total_ms.p50 < 0.5 * expectMs) {
      verdicts.push(
        `WARN  ${r.target} streams lasted ${fmt(d.total_ms.p50)} ms (p50), expected ~${fmt(expectMs)} ms: ` +
          'the pacing did not reach the mock, so these were not slow streams',
      );
    }
  }
  console.log();
  console.log('Peak RSS is VmHWM of the proxy process (nginx: its one worker) started fresh for the streams;');
  console.log('KB per stream is (peak RSS − idle RSS) ÷ streams. Streaming at once: most streams between their first');
  console.log('and last byte at the same moment, at the client; proxy sockets: most descriptors the proxy held (a stream');
  console.log('holds two, one each side). Added TTFB is the proxy\'s TTFB percentile minus the direct run\'s.');
  console.log();
}

// --- idle keep-alive connections ------------------------------------------------
const idle = rows.filter((r) => r.kind === 'idle').sort(byOrder);
if (idle.length) {
  console.log(`Idle keep-alive connections: each sent one 1 KB chat completion, then nothing`);
  console.log();
  console.log('| target | idle connections | RSS before MB | RSS while idle MB | KB per connection |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of idle) {
    const d = r.data;
    const perConn = d.ok ? (r.idle_rss_kb - r.base_rss_kb) / d.ok : null;
    console.log(
      `| ${r.target} | ${d.ok}/${d.connections} | ${fmt(r.base_rss_kb / 1024, 1)} | ${fmt(r.idle_rss_kb / 1024, 1)} | ` +
        `${fmt(perConn, 2)} |`,
    );
    if (d.failed) verdicts.push(`FAIL  ${r.target} idle: ${d.failed} of ${d.connections} failed ${JSON.stringify(d.errors)}`);
    if (r.target === 'llmgw' && perConn != null) {
      verdicts.push(`${perConn <= 4 ? 'PASS' : 'FAIL'}  llmgw memory per idle connection: ${fmt(perConn, 2)} KB (target ≤ 4 KB)`);
    }
  }
  console.log();
  console.log(`RSS (VmRSS) of a fresh proxy process before the connections, and ${idleSettle} s after the last one went idle.`);
  console.log();
}

// --- tail latency (tail_latency.sh) -------------------------------------------------
const tail = rows.filter((r) => r.kind === 'tail');
if (tail.length) {
  const s = tail[0].settings;
  console.log(
    `Tail latency: model group of two deployments, first byte after ${s.base_ms} ms; one of them answers ` +
      `${fmt(s.slow_ratio * 100, 1)}% of its calls after ${s.slow_ms} ms. ${s.concurrency} clients, each one ` +
      `stream (${s.tokens} tokens at ${s.tps} tokens/s) at a time, for ${s.duration_s} s per config`,
  );
  console.log();
  console.log(
    '| config | requests | failed | TTFT p50 ms | TTFT p95 ms | TTFT p99 ms | TTFT max ms | ' +
      'upstream calls per request | extra upstream calls | cancelled upstream calls | calls to the slow one | ' +
      'slowed answers |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of tail) {
    const name = r.config === 'latency+hedge' ? `latency + hedge_after_ms: ${s.hedge_after_ms}` : r.config;
    if (r.unsupported) {
      console.log(`| ${name} | not supported by this build | | | | | | | | | | |`);
      continue;
    }
    const d = r.data;
    const { steady, tail: slow } = r.mocks;
    const calls = steady.requests + slow.requests;
    console.log(
      `| ${name} | ${d.requests} | ${d.failed} | ${fmt(d.ttft_ms.p50)} | ${fmt(d.ttft_ms.p95)} | ` +
        `${fmt(d.ttft_ms.p99)} | ${fmt(d.ttft_ms.max)} | ${fmt(ratio(calls, d.requests), 3)} | ${calls - d.requests} | ` +
        `${steady.cancelled + slow.cancelled} | ${fmt(ratio(slow.requests * 100, calls), 1)}% | ${slow.slow_answers} |`,
    );
    if (d.failed) verdicts.push(`WARN  tail ${r.config}: ${d.failed} of ${d.requests} failed ${JSON.stringify(d.errors)}`);
  }
  console.log();
  console.log('TTFT: from sending the request to the first chunk with content, at the client. Upstream calls and');
  console.log("cancelled calls (the vendor saw the connection close before its answer was whole) are the mocks' counts;");
  console.log('extra calls are upstream calls beyond one per client request (hedges and retries).');
  console.log();
}

// --- paired rounds (the pairs target) ------------------------------------------------
// Each round is nginx's 1 KB row and seven llmgw configurations' taken back
// to back; a ratio compares rows of one round only, and the verdicts read
// the median over the rounds, so a machine that speeds up or slows down
// between rounds moves no ratio.
const pairs = rows.filter((r) => r.kind === 'pair');
if (pairs.length) {
  const rounds = [...new Set(pairs.map((r) => r.round))].sort((a, b) => a - b);
  const at = (round, target, test) =>
    pairs.find((r) => r.round === round && r.target === target && (test == null || r.test === test));
  const median = (xs) => {
    const v = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
    if (!v.length) return null;
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  };
  const usPerRequest = (row) => {
    const c = row?.cpu;
    return c && row.data.rps ? ((c.proxy / c.hz) * 1e6) / (row.data.rps * c.seconds) : null;
  };
  // The configurations of a round: their rows, and their lines in the table
  // of CPU per request.
  const configs = [
    { key: 'nginx', target: 'nginx', label: 'nginx' },
    { key: 'norec', target: 'llmgw-norec', label: 'llmgw, usage records off' },
    { key: 'llmgw', target: 'llmgw', label: 'llmgw, usage records to SQLite (as shipped)' },
    { key: 'pg', target: 'llmgw-pg', label: 'llmgw, usage records to PostgreSQL' },
    { key: 'all', target: 'llmgw-all', label: 'llmgw, every embedded feature' },
    { key: 'miss', target: 'llmgw-redis', test: '1k-miss', label: 'llmgw, Redis limits + cache miss' },
    { key: 'hit', target: 'llmgw-redis', test: '1k-hit', label: 'llmgw, Redis limits + cache hit' },
    { key: 'shared', target: 'llmgw-shared', test: '1k-shared', label: 'llmgw, shared state (Redis + PostgreSQL)' },
  ];
  const per = rounds.map((round) => {
    const r = Object.fromEntries(configs.map((c) => [c.key, at(round, c.target, c.test)]));
    const rps = (key) => r[key]?.data.rps;
    const p99 = (key) => r[key]?.data.p99_us;
    // The shared row's target holds while the load core is not the limit.
    const sharedCpu = r.shared?.cpu;
    return {
      round,
      nginx: rps('nginx'),
      ...Object.fromEntries(configs.map((c) => [`${c.key}Us`, usPerRequest(r[c.key])])),
      llmgw: ratio(rps('llmgw'), rps('nginx')),
      llmgwP99: ratio(p99('llmgw'), p99('nginx')),
      norec: ratio(rps('norec'), rps('nginx')),
      norecP99: ratio(p99('norec'), p99('nginx')),
      records: ratio(rps('llmgw'), rps('norec')),
      pgRecords: ratio(rps('pg'), rps('norec')),
      all: ratio(rps('all'), rps('nginx')),
      allAdded: r.all && r.nginx ? (p99('all') - p99('nginx')) / 1000 : null,
      redisMiss: ratio(rps('miss'), rps('nginx')),
      redisHit: ratio(rps('hit'), rps('nginx')),
      shared: ratio(rps('shared'), rps('nginx')),
      sharedProxyBusy: sharedCpu ? busy(sharedCpu.proxy_core) : null,
      sharedLoadBusy: sharedCpu ? busy(sharedCpu.load_core) : null,
    };
  });
  const med = Object.fromEntries(Object.keys(per[0]).map((k) => [k, median(per.map((p) => p[k]))]));
  const added = (v) => (v == null ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)} ms`);
  console.log('1 KB body, paired rounds: each ratio from rows of one round (access log ' + accessLog + ')');
  console.log();
  console.log(
    '| round | nginx req/s | nginx µs/req | llmgw ÷ nginx | p99 ÷ nginx | llmgw µs/req | records off ÷ nginx | ' +
      'p99 ÷ nginx | records on ÷ off | PostgreSQL records ÷ off | every feature on ÷ nginx | its p99 − nginx |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const p of [...per, { ...med, round: 'median' }]) {
    console.log(
      `| ${p.round} | ${fmt(p.nginx)} | ${fmt(p.nginxUs, 1)} | ${fmtRatio(p.llmgw)} | ${fmtRatio(p.llmgwP99)} | ` +
        `${fmt(p.llmgwUs, 1)} | ${fmtRatio(p.norec)} | ${fmtRatio(p.norecP99)} | ${fmtRatio(p.records)} | ` +
        `${fmtRatio(p.pgRecords)} | ${fmtRatio(p.all)} | ${added(p.allAdded)} |`,
    );
  }
  console.log();
  if (per.some((p) => p.redisMiss != null || p.shared != null)) {
    console.log('Shared state in Redis (on the load core), paired rounds:');
    console.log();
    console.log(
      '| round | Redis limits + cache miss ÷ nginx | cache hit ÷ nginx | shared state (Redis + PostgreSQL) ÷ nginx | ' +
        'its proxy core busy | its load core busy |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const p of [...per, { ...med, round: 'median' }]) {
      console.log(
        `| ${p.round} | ${fmtRatio(p.redisMiss)} | ${fmtRatio(p.redisHit)} | ${fmtRatio(p.shared)} | ` +
          `${p.sharedProxyBusy == null ? '–' : fmt(p.sharedProxyBusy) + '%'} | ` +
          `${p.sharedLoadBusy == null ? '–' : fmt(p.sharedLoadBusy) + '%'} |`,
      );
    }
    console.log();
  }
  // What each feature costs: the proxy's CPU (every thread) per request, a
  // steadier measure than req/s on a machine whose speed swings.
  console.log('CPU of the proxy per request (µs; every thread, the usage writers included), medians of the rounds:');
  console.log();
  console.log('| configuration | µs a request | ÷ nginx |');
  console.log('| --- | ---: | ---: |');
  for (const c of configs) {
    const v = med[`${c.key}Us`];
    if (v != null) console.log(`| ${c.label} | ${fmt(v, 1)} | ${fmtRatio(ratio(v, med.nginxUs))} |`);
  }
  console.log();
  const verdict = (name, value, ok, shown) =>
    verdicts.push(`${value == null ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  paired median, ${name}: ${shown}`);
  // Issue 8 sets its condition as both proxies writing an access log: the
  // row with usage records off. What the records add is issue 11's target
  // (records on ÷ off) and the whole as shipped is issue 13's (every feature).
  verdict('1 KB req/s ≥ 0.85× nginx, access logs on, usage records off (issue 8)', med.norec, med.norec >= 0.85,
    fmtRatio(med.norec));
  verdict('1 KB p99 ≤ 1.2× nginx, access logs on, usage records off (issue 8)', med.norecP99, med.norecP99 <= 1.2,
    fmtRatio(med.norecP99));
  verdict('usage records to SQLite: req/s ≥ 0.9× records off (issue 11)', med.records, med.records >= 0.9,
    fmtRatio(med.records));
  verdict('usage records to PostgreSQL: req/s ≥ 0.9× records off (issue 11)', med.pgRecords, med.pgRecords >= 0.9,
    fmtRatio(med.pgRecords));
  verdict('every feature on: req/s ≥ 0.9× nginx (issue 13)', med.all, med.all >= 0.9, fmtRatio(med.all));
  verdict('every feature on: p99 ≤ nginx + 0.5 ms (issue 13)', med.allAdded, med.allAdded <= 0.5, added(med.allAdded));
  if (med.redisMiss != null) {
    verdict('Redis limits + cache miss: req/s ≥ 0.75× nginx (issue 10)', med.redisMiss, med.redisMiss >= 0.75,
      fmtRatio(med.redisMiss));
    verdict('cache hit: req/s > nginx proxying (issue 10)', med.redisHit, med.redisHit > 1, fmtRatio(med.redisHit));
  }
  if (med.shared != null) {
    const loadLimited = med.sharedLoadBusy >= 90 && med.sharedLoadBusy > med.sharedProxyBusy;
    verdict('shared state: req/s ≥ 0.75× nginx while the load core is not the limit (issue 13)', med.shared,
      med.shared >= 0.75, `${fmtRatio(med.shared)} (proxy core ${fmt(med.sharedProxyBusy)}% busy, load core ` +
        `${fmt(med.sharedLoadBusy)}%${loadLimited ? ': the load core was the limit' : ''})`);
  }
}

// --- targets of issue #2 ------------------------------------------------------------
const get = (test, target) => wrk.find((r) => r.test === test && r.target === target)?.data;
// A run without wrk rows (BENCH_TARGETS=tail, tail_latency.sh) has none of these to check.
const check = (name, value, ok, shown) => {
  if (wrk.length) verdicts.unshift(`${value == null ? 'n/a ' : ok ? 'PASS' : 'FAIL'}  ${name}: ${shown}`);
};
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
  // llmgw its place against nginx's buffered log. Read on the row with usage
  // records off when the run has one: records are issue 11's and 13's rows.
  const off = get('1k-norec', 'llmgw-norec');
  const l = off ?? get('1k', 'llmgw');
  const which = `access logs on (${accessLog})${off ? ', usage records off' : ''}`;
  const n = get('1k', 'nginx');
  const rp = ratio(l?.p99_us, n?.p99_us);
  check(`1 KB p99 ≤ 1.2× nginx, ${which}`, rp, rp <= 1.2, fmtRatio(rp));
  const r = ratio(l?.rps, n?.rps);
  check(`1 KB req/s ≥ 0.85× nginx, ${which}`, r, r >= 0.85, fmtRatio(r));
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
  // Issue #13: the hop with every feature on, as deployed from the README.
  const n = get('1k', 'nginx');
  const all = get('1k-all', 'llmgw-all');
  const r = ratio(all?.rps, n?.rps);
  check('every feature on (1 KB) req/s ≥ 0.9× nginx', r, r >= 0.9, fmtRatio(r));
  const added = all && n ? (all.p99_us - n.p99_us) / 1000 : null;
  check('every feature on (1 KB) p99 ≤ nginx + 0.5 ms', added, added <= 0.5, added == null ? 'n/a' : `+${added.toFixed(2)} ms`);
  const shared = ratio(get('1k-shared', 'llmgw-shared')?.rps, n?.rps);
  check('every feature on, shared state (Redis limits + cache miss, PostgreSQL usage) req/s ≥ 0.75× nginx (1 KB)', shared,
    shared >= 0.75, fmtRatio(shared));
}
{
  // Issue #13: a relayed stream event costs about what nginx's does, and a
  // translated one (each event rewritten) at least 0.6× nginx's pass-through.
  const n = get('stream', 'nginx');
  const pass = ratio(get('stream', 'llmgw')?.rps, n?.rps);
  check('stream pass-through req/s ≥ 0.8× nginx', pass, pass >= 0.8, fmtRatio(pass));
  for (const [test, what] of [['stream-claude', 'OpenAI client → Anthropic'], ['stream-messages', 'Anthropic client → OpenAI']]) {
    const r = ratio(get(test, 'llmgw')?.rps, n?.rps);
    check(`translated stream (${what}) req/s ≥ 0.6× nginx's pass-through`, r, r >= 0.6, fmtRatio(r));
  }
}
{
  // Issue #11: usage records, to SQLite (the llmgw row) or to PostgreSQL,
  // cost at most 10% of the requests/s with records off, and every request
  // has its row. (check() puts each line first: the last one written tops the list.)
  const off = get('1k-norec', 'llmgw-norec');
  const pg = get('1k-pg', 'llmgw-pg');
  const sameRows = (name, rec) => {
    if (!rec) return;
    const lines = rec.access_lines == null ? '' : `, access-log lines ${rec.access_lines}`;
    const dropped = rec.dropped ? `, ${rec.dropped} records dropped` : '';
    verdicts.unshift(
      `${rec.rows === rec.requests ? 'PASS' : 'FAIL'}  usage records to ${name}: rows = requests: ` +
        `${rec.rows} rows, ${rec.requests} requests${lines}${dropped}`,
    );
  };
  // The rows must go in while the load runs, not after it: a spool that
  // grows through the run hides the database's cost from the req/s.
  const keptUp = (name, rec) => {
    if (rec?.spool_bytes_at_end == null) return;
    const kb = rec.spool_bytes_at_end / 1024;
    check(`usage records to ${name}: stored during the load (spool ≤ 1 MB at its end)`, kb, kb <= 1024,
      `${fmt(kb)} KB`);
  };
  const cost = (name, on) => {
    const r = ratio(on?.rps, off?.rps);
    check(`usage records to ${name}: req/s ≥ 0.9× records off (1 KB)`, r, r >= 0.9, fmtRatio(r));
  };
  const pgRecords = records.find((r) => r.target === 'llmgw-pg');
  const sqliteRecords = records.find((r) => r.target === 'llmgw');
  sameRows('PostgreSQL', pgRecords);
  keptUp('PostgreSQL', pgRecords);
  if (off || pg) cost('PostgreSQL', pg);
  sameRows('SQLite', sqliteRecords);
  keptUp('SQLite', sqliteRecords);
  // The llmgw row writes to SQLite unless BENCH_USAGE=off, which leaves it no records row.
  if (off && sqliteRecords) cost('SQLite', get('1k', 'llmgw'));

  // Which core was the limit in those rows: in a closed loop, the one kept busy.
  // And llmgw's CPU per request, which a busy machine disturbs less than req/s.
  for (const [test, target] of [['1k-norec', 'llmgw-norec'], ['1k', 'llmgw'], ['1k-pg', 'llmgw-pg']]) {
    const row = wrk.find((r) => r.test === test && r.target === target);
    const c = row?.cpu;
    if (!c || !(off || pg)) continue;
    const perRequest = ((c.proxy / c.hz) * 1e6) / (row.data.rps * c.seconds);
    const proxyBusy = busy(c.proxy_core);
    const loadBusy = busy(c.load_core);
    const limit =
      Math.max(proxyBusy, loadBusy) < 90
        ? 'neither core (both under 90% busy)'
        : proxyBusy >= loadBusy
          ? 'the proxy core'
          : 'the load core';
    verdicts.push(
      `NOTE  ${target} ${test}: llmgw ${fmt(pct(c, c.proxy))}% of a core (${fmt(perRequest, 1)} µs a request), ` +
        `proxy core ${fmt(proxyBusy)}% busy; ` +
        `load core ${fmt(loadBusy)}% busy (mock ${fmt(pct(c, c.mock))}%, wrk ${fmt(pct(c, c.wrk))}%` +
        `${c.postgres == null ? '' : `, postgres ${fmt(pct(c, c.postgres))}%`}): the limit was ${limit}`,
    );
  }
}
if (verdicts.length) {
  console.log('Targets');
  console.log();
  for (const v of verdicts) console.log(`    ${v}`);
}
