// Writes the comparison benchmark's data through the API: 10 runs (described "perf lr=…", tag perf)
// × 20 metrics × N points (default 100,000), 1000-point batches, 4 in flight. Prints the run ids.
//   node bench/dashboard/seed.mjs http://127.0.0.1:8001 "$KEY" [points]
const [,, base, key, pointsArg = '100000'] = process.argv;
const POINTS = Number(pointsArg), RUNS = 10, METRICS = 20, BATCH = 1000;
const hex = n => n.toString(16).padStart(12, '0');
const runs = Array.from({ length: RUNS }, (_, r) => `0b5e55ed-0000-4000-8000-${hex(0xd000 + r)}`);
const names = Array.from({ length: METRICS }, (_, m) => `m${String(m).padStart(2, '0')}/loss`);
const t0 = Date.parse('2026-12-01T00:00:00Z');
for (const [r, run] of runs.entries()) {
  await fetch(`${base}/api/v1/runs/${run}`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `perf lr=${(0.001 * (r + 1)).toFixed(3)}`, tags: ['perf'], config: { lr: 0.001 * (r + 1), seed: r } }) });
}
// Batches: one metric of one run, 1000 consecutive steps.
function* batches() {
  for (let s = 0; s < POINTS; s += BATCH) for (const [r, run] of runs.entries()) for (const [m, name] of names.entries()) {
    let body = '{"metrics":[';
    for (let i = s; i < s + BATCH; i++) {
      const v = (2 + m * 0.1) * Math.exp(-i / (20000 + r * 5000)) + 0.05 * Math.sin(i / 37 + r) + (i === 54321 ? 5 : 0);
      body += `${i > s ? ',' : ''}{"run_id":"${run}","metric_name":"${name}","step":${i},"value":${v},"time":"${new Date(t0 + i * 100 + r).toISOString()}"}`;
    }
    yield body + ']}';
  }
}
const it = batches(); let sent = 0; const started = Date.now();
async function worker() {
  for (let b = it.next(); !b.done; b = it.next()) {
    for (;;) {
      const res = await fetch(`${base}/api/v1/metrics/batch`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: b.value });
      await res.arrayBuffer();
      if (res.status === 201) break;
      await new Promise(r => setTimeout(r, 500));
    }
    if (++sent % 200 === 0) console.log(`${sent * BATCH} points, ${Math.round(sent * BATCH / ((Date.now() - started) / 1000))}/s`);
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
console.log(`done: ${sent * BATCH} points in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`runs: ${runs.join(",")}`);
