// Time bounds that hold on a loaded or sanitized machine. A test may say
// "not before the configured timeout" (a timer cannot fire early), but "not
// much after" only relative to how slow this machine is right now: the
// baseline is the median round trip of a trivial request to the process
// under test, measured beside the check. An ASan build under load is 10-50×
// slower than a release build on an idle one, and its bounds grow with it.

// Median milliseconds of `runs` calls of `once` (an async function).
export async function medianMs(once, runs = 7) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

// The baseline of a running gateway or mock: the median of GET /health.
export function baselineMs(baseUrl) {
  return medianMs(async () => { await (await fetch(new URL('/health', baseUrl))).arrayBuffer(); });
}

// The latest an event due at `nominalMs` may come: the nominal time, plus a
// margin of a few hundred round trips of this machine's baseline (a timer
// wakes, a coroutine runs, a few writes go out) and never less than a second.
export function lateBound(nominalMs, baseline) {
  return nominalMs + Math.max(1000, 300 * baseline);
}

// Asserts `elapsed` is in [earliest, lateBound(nominal, baseline)].
export function assertBetween(assert, elapsed, earliest, nominal, baseline, what = 'ended') {
  const latest = lateBound(nominal, baseline);
  assert.ok(elapsed >= earliest && elapsed <= latest,
    `${what} after ${elapsed.toFixed(0)} ms; expected ${earliest}..${latest.toFixed(0)} ms ` +
    `(baseline round trip ${baseline.toFixed(2)} ms)`);
}
