// Measures the dashboard's comparison view in headless Chromium (issue 17's targets): time from
// selecting runs to the first screen of charts drawn, frame times while scrolling and zooming, and
// the JS heap. Drives Chromium over the DevTools protocol (the `ws` package of tests/js).
//   node bench/dashboard/compare.mjs --url http://127.0.0.1:8001 --key msk_… --runs id,id,…
// Chromium must listen on --cdp (default 9333): chromium --headless=new --no-sandbox
//   --remote-debugging-port=9333 --enable-precise-memory-info --user-data-dir=/tmp/cdp
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(fileURLToPath(new URL('../../tests/js/', import.meta.url)));
const WebSocket = require('ws');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const base = arg('url', 'http://127.0.0.1:8001');
const key = arg('key', '');
const runs = arg('runs', '').split(',').filter(Boolean);
const cdp = arg('cdp', '9333');

const target = (await (await fetch(`http://127.0.0.1:${cdp}/json/list`)).json()).find(t => t.type === 'page');
const socket = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 64 * 1024 * 1024 });
await new Promise(resolve => socket.on('open', resolve));
let id = 0;
const waiting = new Map();
const errors = [];
socket.on('message', raw => {
  const message = JSON.parse(raw);
  if (waiting.has(message.id)) {
    waiting.get(message.id)(message);
    waiting.delete(message.id);
  } else if (message.method === 'Runtime.exceptionThrown') {
    errors.push(message.params.exceptionDetails.exception?.description ?? message.params.exceptionDetails.text);
  }
});
const send = (method, params = {}) => new Promise(resolve => {
  waiting.set(++id, resolve);
  socket.send(JSON.stringify({ id, method, params }));
});
const evaluate = async expression => {
  const reply = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (reply.result.exceptionDetails) throw new Error(JSON.stringify(reply.result.exceptionDetails));
  return reply.result.result.value;
};
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

await send('Runtime.enable');
await send('Network.enable');
await send('Network.setCacheDisabled', { cacheDisabled: true });
await send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });
await send('Page.navigate', { url: `${base}/` });
await sleep(1000);
await evaluate(`localStorage.setItem('metricservice.apiKey', ${JSON.stringify(key)})`);
await send('Page.navigate', { url: `${base}/` });
await sleep(2000); // the page, its scripts and the run table

// In the page: the charts whose box meets the viewport, and whether each has every run drawn.
const firstScreenDrawn = `(() => {
  const charts = [...document.querySelectorAll('.chart[data-metric]')].filter(e => e.getBoundingClientRect().top < innerHeight);
  return charts.length > 0 && charts.every(e => e.chart.plot && [...e.chart.traces.values()].every(t => t.loaded) && !e.chart.dirty
    && Number(e.dataset.runs) === ${runs.length});
})()`;

// 1. Select the runs (what ticking their boxes does) and wait for the first screen.
const selected = await evaluate(`(async () => {
  const started = performance.now();
  location.hash = '#runs=${runs.join(',')}';
  while (!${firstScreenDrawn}) await new Promise(r => setTimeout(r, 10));
  return { ms: performance.now() - started, charts: [...document.querySelectorAll('.chart[data-metric]')].filter(e => e.getBoundingClientRect().top < innerHeight).length };
})()`);
console.log(`first screen: ${selected.charts} charts x ${runs.length} runs drawn ${selected.ms.toFixed(0)} ms after selecting`);

// 2. Frame times while scrolling to the bottom and back (charts load as they come near).
const frames = code => `(async () => {
  const deltas = [];
  let last = performance.now(), running = true;
  const tick = now => { deltas.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  await (${code})();
  running = false;
  deltas.sort((a, b) => a - b);
  const at = q => deltas[Math.min(deltas.length - 1, Math.floor(q * deltas.length))];
  return { frames: deltas.length, median: at(0.5), p95: at(0.95), max: deltas[deltas.length - 1] };
})()`;
const show = (name, f) => console.log(`${name}: ${f.frames} frames, median ${f.median.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, max ${f.max.toFixed(1)} ms`);
show('scrolling', await evaluate(frames(`async () => {
  for (let i = 0; i < 120; i++) { scrollBy(0, 60); await new Promise(r => requestAnimationFrame(r)); }
  for (let i = 0; i < 120; i++) { scrollBy(0, -60); await new Promise(r => requestAnimationFrame(r)); }
}`)));

// Everything loaded (scroll to the end and wait), then the heap.
const loadedAll = await evaluate(`(async () => {
  const started = performance.now();
  scrollTo(0, document.body.scrollHeight);
  await new Promise(r => setTimeout(r, 300));
  for (const e of document.querySelectorAll('.chart[data-metric]')) e.chart.requestLoad();
  const all = () => [...document.querySelectorAll('.chart[data-metric]')].every(e => [...e.chart.traces.values()].every(t => t.loaded));
  while (!all()) await new Promise(r => setTimeout(r, 20));
  await new Promise(r => setTimeout(r, 300));
  scrollTo(0, 0);
  const points = [...document.querySelectorAll('.chart[data-metric]')].reduce((n, e) => n + Number(e.dataset.points || 0), 0);
  return { ms: performance.now() - started, charts: document.querySelectorAll('.chart[data-metric]').length, points };
})()`);
console.log(`all ${loadedAll.charts} charts loaded (${loadedAll.points} points drawn) ${loadedAll.ms.toFixed(0)} ms later`);
await send('HeapProfiler.enable');
await send('HeapProfiler.collectGarbage');
const heap = await evaluate('performance.memory.usedJSHeapSize');
console.log(`JS heap after GC, every chart loaded: ${(heap / 1024 / 1024).toFixed(1)} MB`);

// 3. Zoom: into a tenth of the first chart, then a tenth of that, then back; time to redraw and frames.
const zoom = await evaluate(frames(`async () => {
  const chart = document.querySelector('.chart[data-metric]').chart;
  const times = [];
  const wait = async () => { const t0 = performance.now(); await new Promise(r => setTimeout(r, 0));
    while ([...chart.traces.values()].some(t => t.syncs > 0) || chart.dirty) await new Promise(r => setTimeout(r, 5));
    times.push(performance.now() - t0); };
  const [lo, hi] = [chart.plot.scales.x.min, chart.plot.scales.x.max];
  chart.zoomTo(lo + (hi - lo) * 0.45, lo + (hi - lo) * 0.55); await wait();
  const [a, b] = [chart.plot.scales.x.min, chart.plot.scales.x.max];
  chart.zoomTo(a + (b - a) * 0.45, a + (b - a) * 0.55); await wait();
  const [c, d] = [chart.plot.scales.x.min, chart.plot.scales.x.max];
  chart.zoomTo(c + (d - c) * 0.45, c + (d - c) * 0.55); await wait();
  chart.resetZoom(); await wait();
  window.zoomTimes = times;
}`));
const zoomTimes = await evaluate('window.zoomTimes');
console.log(`zoom in x3 and back: ${zoomTimes.map(t => t.toFixed(0)).join(', ')} ms to redraw (${runs.length} runs each)`);
show('zooming', zoom);
console.log(errors.length ? `page errors: ${errors.join('; ')}` : 'page errors: none');
socket.close();
