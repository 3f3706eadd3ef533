// The MetricService dashboard: a run picker, one chart per metric (downsampled history, then
// live points over SignalR) and a system-metrics panel. No bundler: signalR and uPlot are the
// globals of the scripts in lib/.
const API = '/api/v1';
const POINTS = 600;                 // buckets per chart: about one per horizontal pixel
const REDRAW_MS = 100;              // each chart redraws at most ~10 times a second
const MAX_LIVE_POINTS = POINTS * 2; // raw live points kept before the chart is downsampled again
const BACKFILL_LIMIT = 5000;        // missed points fetched one by one; more reloads the chart
const SYSTEM_POLL_MS = 5000;
const LOADS_AT_ONCE = 6;            // the browser's connections per host
const LOAD_MARGIN = '800px 0px';    // charts this close to the viewport load; others wait
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const $ = id => document.getElementById(id);

const state = {
  runId: null,
  xAxis: 'step',
  charts: new Map(), // metric name -> MetricChart
  lastSeq: null,
  paused: false,
  systemTimer: null,
};

/** Wire values are numbers, or the strings "NaN", "Infinity" and "-Infinity". */
const toNumber = v => (typeof v === 'number' ? v : Number(v));

const encode = name => encodeURIComponent(name);

// ---- API key ---------------------------------------------------------------------------------
// With AUTH_MODE=keys every call needs a key with metrics:read. It is asked for on the first 401,
// kept in this browser's localStorage, sent as a Bearer header (REST) or access_token (SignalR).
const KEY_STORAGE = 'metricservice.apiKey';
const apiKey = () => localStorage.getItem(KEY_STORAGE);

function askForKey(reason) {
  $('key-form').hidden = false;
  $('key-reason').textContent = reason;
  $('key-input').focus();
}

$('key-form').addEventListener('submit', event => {
  event.preventDefault();
  localStorage.setItem(KEY_STORAGE, $('key-input').value.trim());
  location.reload(); // every request and the live connection start over with the key
});

async function getJson(url) {
  const headers = { accept: 'application/json' };
  if (apiKey()) headers.authorization = `Bearer ${apiKey()}`;
  const response = await fetch(url, { headers });
  const body = await response.json().catch(() => null);
  if (response.status === 401) askForKey(body?.detail ?? 'An API key is required.');
  if (!response.ok) {
    throw new Error(body?.detail ?? body?.title ?? `${response.status} ${response.statusText}`);
  }
  return body;
}

/** Downloads the run's export with the key in a header (a plain link could not send it). */
async function downloadExport(format) {
  const headers = apiKey() ? { authorization: `Bearer ${apiKey()}` } : {};
  const response = await fetch(`${API}/runs/${state.runId}/export?format=${format}`, { headers });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    showMessage(`Export failed: ${body?.detail ?? body?.title ?? response.status}`);
    return;
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `run-${state.runId}.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

document.querySelectorAll('.export button').forEach(button =>
  button.addEventListener('click', () => downloadExport(button.dataset.format)));

function showMessage(text) {
  $('message').textContent = text ?? '';
  $('message').hidden = !text;
}

function formatValue(v) {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(4) : String(+v.toPrecision(6));
}

function formatTick(v) {
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(1) : String(+v.toPrecision(4));
}

/**
 * One metric's points as the chart holds them: downsampled buckets (x = the bucket's last step,
 * line = finite mean, band = min..max) followed by raw live points, in step order. Non-finite
 * values leave a gap in the line and set a marker: top for NaN/+Infinity, bottom for -Infinity.
 */
class SeriesData {
  constructor() {
    this.clear();
  }

  clear() {
    this.steps = [];
    this.times = [];
    this.avg = [];
    this.min = [];
    this.max = [];
    this.flags = [];
    this.keys = new Set(); // "step|time" of raw points, to drop ones already shown
    this.liveCount = 0;
    this.latest = null;
    this.loadedStep = -Infinity; // the loaded history's last step and newest time
    this.loadedTime = -Infinity;
  }

  get lastStep() {
    return this.steps.length ? this.steps[this.steps.length - 1] : null;
  }

  loadBuckets(response) {
    this.clear();
    for (const b of response.buckets) {
      const last = toNumber(b.last);
      const flag = b.non_finite > 0 ? (last === -Infinity ? 0 : 1) : null;
      this.insert(b.step, Date.parse(b.time) / 1000, toNumber(b.avg), toNumber(b.min), toNumber(b.max), flag);
      this.loadedStep = Math.max(this.loadedStep, b.step);
      this.loadedTime = Math.max(this.loadedTime, Date.parse(b.time));
    }
    if (response.last) {
      this.latest = { step: response.last.step, value: toNumber(response.last.value) };
    }
  }

  /**
   * A raw point; returns false when it is already shown or has no step. A point's live message can
   * arrive after a load that read it (it is published once stored), so what the loaded history
   * covers, by step and time, counts as shown (a point written later at an old step does not).
   */
  addPoint(metric) {
    const key = `${metric.step}|${metric.time}`;
    if (metric.step === null || this.keys.has(key)) return false;
    if (metric.step <= this.loadedStep && Date.parse(metric.time) <= this.loadedTime) return false;
    this.keys.add(key);
    const value = toNumber(metric.value);
    const finite = Number.isFinite(value);
    const flag = finite ? null : value === -Infinity ? 0 : 1;
    this.insert(metric.step, Date.parse(metric.time) / 1000, finite ? value : null, finite ? value : null, finite ? value : null, flag);
    this.liveCount++;
    if (!this.latest || metric.step >= this.latest.step) {
      this.latest = { step: metric.step, value };
    }
    return true;
  }

  insert(step, time, avg, min, max, flag) {
    // Usually an append; a late point goes to its place, since uPlot needs ascending x.
    let i = this.steps.length;
    while (i > 0 && this.steps[i - 1] > step) i--;
    const at = (array, v) => (i === array.length ? array.push(v) : array.splice(i, 0, v));
    at(this.steps, step);
    at(this.times, time);
    at(this.avg, Number.isFinite(avg) ? avg : null);
    at(this.min, Number.isFinite(min) ? min : null);
    at(this.max, Number.isFinite(max) ? max : null);
    at(this.flags, flag);
  }

  /** uPlot's columns for the chosen x axis (time order may differ from step order). */
  columns(xAxis) {
    if (xAxis === 'step') return [this.steps, this.avg, this.min, this.max, this.flags];
    const order = this.times.map((_, i) => i).sort((a, b) => this.times[a] - this.times[b]);
    return [this.times, this.avg, this.min, this.max, this.flags].map(c => order.map(i => c[i]));
  }
}

class MetricChart {
  constructor(name, container) {
    this.name = name;
    this.data = new SeriesData();
    this.syncs = 0;      // loads and backfills in flight: live points wait in `pending` meanwhile
    this.chain = Promise.resolve();
    this.pending = [];
    this.dirty = false;
    this.draws = 0;
    this.element = document.createElement('div');
    this.element.className = 'chart';
    this.element.dataset.metric = name;
    this.element.innerHTML = '<div class="title"><span class="name"></span><span class="latest"></span></div><div class="sub"></div><div class="plot"></div>';
    this.element.querySelector('.name').textContent = name;
    container.append(this.element);
    this.plot = null;
    this.loadRequested = false;
    this.element.chart = this;
    nearViewport.observe(this.element);
  }

  /** Loads the history once the chart comes near the viewport; 50 charts need not load at once. */
  requestLoad() {
    if (this.loadRequested) return;
    this.loadRequested = true;
    loader.queue.push(this);
    pumpLoads();
  }

  dispose() {
    nearViewport.unobserve(this.element);
    this.plot?.destroy();
  }

  async reload() {
    await this.sync(async () => {
      const response = await getJson(`${API}/runs/${state.runId}/metrics/${encode(this.name)}/downsampled?points=${POINTS}`);
      this.data.loadBuckets(response);
      this.total = response.total;
      return lastStep => lastStep; // live points at or below the loaded range are in it already
    });
  }

  /**
   * Holds live points back (they queue in `pending`) until the backfill that follows is done, so
   * the last step shown stays where it was when a gap was noticed.
   */
  hold() {
    this.syncs++;
  }

  /** After hold(): fetches the points after the last step shown; reloads when too many were missed. */
  async backfill() {
    if (!this.loadRequested) {
      this.release(); // not loaded yet: its first load will bring everything
      return;
    }
    let reload = false;
    await this.sync(async () => {
      // Runs after any load in flight; nothing live was applied since hold().
      const from = this.data.lastStep;
      if (from === null) {
        reload = true;
        return () => -Infinity;
      }
      const url = `${API}/runs/${state.runId}/metrics/${encode(this.name)}?min_step=${from + 1}&order=asc&limit=${BACKFILL_LIMIT}`;
      const response = await getJson(url);
      reload = response.metrics.length >= BACKFILL_LIMIT;
      for (const m of response.metrics) {
        this.added(this.data.addPoint(m));
      }
      return () => -Infinity; // pending points are deduplicated by identity instead
    });
    this.release();
    if (reload) await this.reload();
  }

  /** Runs fetches one after another while live points queue up, then applies what they did not cover. */
  sync(fetchData) {
    this.syncs++;
    this.chain = this.chain.then(() => this.runSync(fetchData));
    return this.chain;
  }

  async runSync(fetchData) {
    try {
      const coveredUpTo = await fetchData();
      const limit = coveredUpTo(this.data.lastStep ?? -Infinity);
      for (const m of this.pending) {
        if (m.step !== null && m.step > limit) this.added(this.data.addPoint(m));
      }
    } catch (error) {
      this.element.querySelector('.sub').textContent = `could not load: ${error.message}`;
    } finally {
      this.release();
      this.dirty = true;
    }
  }

  /** Counts a point shown for the first time into the stored total. */
  added(isNew) {
    if (isNew) this.total = (this.total ?? 0) + 1;
    return isNew;
  }

  /** Ends a hold() or sync(); the last one out drops the queue, whose points are applied by now. */
  release() {
    this.syncs--;
    if (this.syncs === 0) this.pending = [];
  }

  addLive(metric) {
    if (!this.loadRequested) return; // the first load will include it
    if (this.syncs > 0) {
      this.pending.push(metric);
      return;
    }
    if (this.added(this.data.addPoint(metric))) this.dirty = true;
    if (this.data.liveCount > MAX_LIVE_POINTS) this.reload();
  }

  draw() {
    this.dirty = false;
    if (!this.loadRequested) return; // far from the viewport: drawn once it has loaded
    const columns = this.data.columns(state.xAxis);
    const width = Math.max(200, this.element.clientWidth - 16);
    if (!this.plot || this.plot.axisKind !== state.xAxis) {
      this.plot?.destroy();
      this.plot = new uPlot(chartOptions(width, state.xAxis === 'time'), columns, this.element.querySelector('.plot'));
      this.plot.axisKind = state.xAxis;
    } else {
      this.plot.setData(columns);
      if (this.plot.width !== width) this.plot.setSize({ width, height: 200 });
    }
    this.draws++;
    const latest = this.data.latest;
    this.element.querySelector('.latest').textContent = latest ? formatValue(latest.value) : '';
    this.element.querySelector('.sub').textContent =
      latest ? `step ${latest.step} · ${(this.total ?? 0).toLocaleString()} points stored, ${this.data.steps.length} shown` : 'no points';
    Object.assign(this.element.dataset, {
      points: String(this.data.steps.length),
      lastStep: String(latest?.step ?? ''),
      latest: latest ? String(latest.value) : '',
      draws: String(this.draws),
    });
  }
}

/**
 * An x range for uPlot: a chart whose points share one x gets `margin` either side (uPlot widens
 * such a time axis by 86,400,000 seconds, which reads as years).
 */
function around(margin) {
  return (u, min, max) => {
    const xs = u.data[0];
    return xs.length && xs[0] === xs[xs.length - 1] ? [xs[0] - margin, xs[0] + margin] : [min, max];
  };
}

function chartOptions(width, timeAxis) {
  return {
    width,
    height: 200,
    scales: { x: { time: timeAxis, range: around(timeAxis ? 60 : 1) }, flag: { range: [0, 1] } },
    axes: [{}, { size: 64, values: (_, ticks) => ticks.map(formatTick) }],
    legend: { live: true },
    series: [
      { label: timeAxis ? 'time' : 'step' },
      { label: 'value', stroke: '#2463eb', width: 1.5, spanGaps: false, points: { show: false } },
      { label: 'min', stroke: 'rgba(36,99,235,0.25)', width: 0.5, points: { show: false } },
      { label: 'max', stroke: 'rgba(36,99,235,0.25)', width: 0.5, points: { show: false } },
      { label: 'NaN/±Inf', scale: 'flag', stroke: '#c0392b', fill: '#c0392b', paths: () => null, points: { show: true, size: 7, fill: '#c0392b' } },
    ],
    bands: [{ series: [3, 2], fill: 'rgba(36,99,235,0.12)' }],
  };
}

const loader = { queue: [], active: 0 };

function pumpLoads() {
  while (loader.active < LOADS_AT_ONCE && loader.queue.length) {
    const chart = loader.queue.shift();
    if (state.charts.get(chart.name) !== chart) continue; // the run changed meanwhile
    loader.active++;
    chart.reload().finally(() => {
      loader.active--;
      pumpLoads();
    });
  }
}

const nearViewport = new IntersectionObserver(entries => {
  for (const entry of entries) {
    if (entry.isIntersecting) entry.target.chart.requestLoad();
  }
}, { rootMargin: LOAD_MARGIN });

// Every chart that changed is redrawn on this one clock, so a chart redraws at most
// 1000 / REDRAW_MS times a second however fast points arrive.
setInterval(() => {
  for (const chart of state.charts.values()) {
    if (chart.dirty) chart.draw();
  }
}, REDRAW_MS);

// ---- live updates --------------------------------------------------------------------------

const connection = new signalR.HubConnectionBuilder()
  .withUrl('/hubs/metrics', { accessTokenFactory: () => apiKey() ?? '' })
  .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(10000, 500 * 2 ** ctx.previousRetryCount) })
  .build();

function setConnectionState(name) {
  const badge = $('conn-state');
  badge.dataset.state = name;
  badge.textContent = state.paused && name === 'disconnected' ? 'paused' : name;
}

connection.on('metrics', message => {
  if (message.run_id !== state.runId) return;
  // seq numbers a run's batches; a jump means batches were missed (e.g. dropped as too slow).
  const gap = state.lastSeq !== null && message.seq > state.lastSeq + 1;
  if (state.lastSeq !== null && message.seq <= state.lastSeq) return;
  state.lastSeq = message.seq;
  if (gap) backfillAll();
  const names = new Set();
  for (const metric of message.metrics) {
    const chart = state.charts.get(metric.metric_name);
    if (chart) {
      chart.addLive(metric);
    } else {
      names.add(metric.metric_name);
    }
  }
  for (const name of names) addChart(name); // loads when near the viewport
});
connection.onreconnecting(() => setConnectionState('reconnecting'));
connection.onreconnected(async () => {
  setConnectionState('connected');
  await subscribe();
  backfillAll();
});
connection.onclose(() => {
  setConnectionState('disconnected');
  if (!state.paused) setTimeout(connect, 5000);
});

async function connect() {
  if (connection.state !== signalR.HubConnectionState.Disconnected) return;
  setConnectionState('connecting');
  try {
    await connection.start();
    setConnectionState('connected');
    await subscribe();
    backfillAll(); // what was written before the subscription took effect
  } catch {
    setConnectionState('disconnected');
    if (!state.paused) setTimeout(connect, 5000);
  }
}

async function subscribe() {
  if (state.runId && connection.state === signalR.HubConnectionState.Connected) {
    state.lastSeq = null;
    await connection.invoke('SubscribeToRun', state.runId, null);
  }
}

/** After a gap or reconnect: every chart fetches what it missed, and new metrics appear. */
async function backfillAll() {
  const runId = state.runId;
  if (!runId) return;
  // Synchronously, before the batch that revealed the gap is applied.
  const held = [...state.charts.values()];
  held.forEach(chart => chart.hold());
  await Promise.all(held.map(chart => chart.backfill())); // the browser caps requests per host
  try {
    const names = (await getJson(`${API}/runs/${runId}/metric-names`)).metric_names;
    if (runId !== state.runId) return;
    names.filter(n => !state.charts.has(n)).forEach(addChart);
  } catch (error) {
    showMessage(`Could not refresh the run: ${error.message}`);
  }
}

$('live-toggle').addEventListener('click', async () => {
  state.paused = !state.paused;
  $('live-toggle').textContent = state.paused ? 'Resume live' : 'Pause live';
  if (state.paused) {
    await connection.stop();
  } else {
    await connect(); // subscribes and fetches what was written meanwhile
  }
});

// ---- runs ----------------------------------------------------------------------------------

function addChart(name) {
  const existing = state.charts.get(name);
  if (existing) return existing; // a live batch may have brought it first
  const chart = new MetricChart(name, $('charts'));
  state.charts.set(name, chart);
  // Keep charts in name order whatever order they were discovered in.
  const next = [...state.charts.keys()].sort().find(n => n > name);
  if (next) $('charts').insertBefore(chart.element, state.charts.get(next).element);
  return chart;
}

async function openRun(runId) {
  runId = runId.trim().toLowerCase();
  if (!UUID.test(runId)) {
    showMessage(`"${runId}" is not a run id (a UUID such as 0b5e55ed-0000-4000-8000-000000000001).`);
    return;
  }
  showMessage(null);
  if (state.runId && connection.state === signalR.HubConnectionState.Connected) {
    await connection.invoke('UnsubscribeFromRun', state.runId).catch(() => {});
  }
  for (const chart of state.charts.values()) chart.dispose();
  state.charts.clear();
  $('charts').replaceChildren();
  $('system').replaceChildren();
  state.runId = runId;
  state.lastSeq = null;
  if (location.hash !== `#run=${runId}`) history.replaceState(null, '', `#run=${runId}`);
  $('run-input').value = runId;
  $('run-title').textContent = `run ${runId}`;
  $('welcome').hidden = true;
  $('run').hidden = false;
  document.querySelectorAll('#runs li').forEach(li => li.classList.toggle('current', li.dataset.runId === runId));

  // Subscribe first: points written while the history loads wait in each chart's queue.
  await subscribe();
  try {
    const names = (await getJson(`${API}/runs/${runId}/metric-names`)).metric_names;
    if (!names.length) showMessage('This run has no metrics yet; charts appear as points arrive.');
    names.forEach(addChart); // each loads when it comes near the viewport
  } catch (error) {
    showMessage(`Could not load the run: ${error.message}`);
  }
  startSystemPanel(runId);
}

async function loadRuns() {
  try {
    const { runs } = await getJson(`${API}/runs?limit=50`);
    $('runs').replaceChildren(...runs.map(run => {
      const li = document.createElement('li');
      li.dataset.runId = run.run_id;
      li.classList.toggle('current', run.run_id === state.runId);
      li.innerHTML = '<div class="id"></div><div class="meta when"></div><div class="meta names"></div>';
      li.querySelector('.id').textContent = run.run_id;
      li.querySelector('.when').textContent = `${new Date(run.last_activity).toLocaleString()} · ${run.point_count.toLocaleString()} points`;
      li.querySelector('.names').textContent = run.metric_names.join(', ');
      li.title = run.metric_names.join('\n');
      li.addEventListener('click', () => openRun(run.run_id));
      return li;
    }));
  } catch (error) {
    showMessage(`Could not list runs: ${error.message}`);
  }
}

// ---- system metrics ------------------------------------------------------------------------

const SYSTEM_LABELS = {
  cpu: 'CPU %', cpu_core: 'CPU per core %', memory: 'Memory', disk: 'Disk', network_sent: 'Network sent',
  network_recv: 'Network received', gpu_util: 'GPU utilisation %', gpu_memory: 'GPU memory',
  gpu_temp: 'GPU temperature °C', gpu_power: 'GPU power W',
};

/** Polls the run's system metrics (they are not streamed) and draws one chart per type. */
function startSystemPanel(runId) {
  clearTimeout(state.systemTimer);
  const byType = new Map(); // type -> Map(series label -> Map(time -> value))
  let since = null;
  const poll = async () => {
    if (runId !== state.runId) return;
    try {
      const from = since ? `&start_time=${encodeURIComponent(since)}` : '';
      const { metrics } = await getJson(`${API}/runs/${runId}/system-metrics?order=asc&limit=10000${from}`);
      for (const m of metrics) {
        const label = m.metadata ? Object.entries(m.metadata).map(([k, v]) => `${k} ${v}`).join(', ') || 'value' : 'value';
        const type = byType.get(m.metric_type) ?? byType.set(m.metric_type, new Map()).get(m.metric_type);
        const series = type.get(label) ?? type.set(label, new Map()).get(label);
        series.set(Date.parse(m.time) / 1000, toNumber(m.value));
        since = m.time;
      }
      if (runId === state.runId) drawSystem(byType);
    } catch {
      // The next poll tries again; the metric charts show the service's state.
    }
    state.systemTimer = setTimeout(poll, SYSTEM_POLL_MS);
  };
  poll();
}

function drawSystem(byType) {
  $('system-empty').hidden = byType.size > 0;
  const panel = $('system');
  for (const type of [...byType.keys()].sort()) {
    const series = [...byType.get(type).entries()].sort(([a], [b]) => a.localeCompare(b));
    const tables = series.map(([, points]) => {
      const times = [...points.keys()].sort((a, b) => a - b);
      return [times, times.map(t => points.get(t))];
    });
    const data = uPlot.join(tables);
    let box = panel.querySelector(`[data-type="${type}"]`);
    if (!box) {
      box = document.createElement('div');
      box.className = 'chart';
      box.dataset.type = type;
      box.innerHTML = '<div class="title"><span class="name"></span></div><div class="plot"></div>';
      box.querySelector('.name').textContent = SYSTEM_LABELS[type] ?? type;
      panel.append(box);
    }
    if (box.plot && box.plot.series.length === series.length + 1) {
      box.plot.setData(data);
    } else {
      box.plot?.destroy();
      const palette = ['#2463eb', '#1f9d55', '#d98b00', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#e67e22'];
      box.plot = new uPlot({
        width: Math.max(200, box.clientWidth - 16),
        height: 160,
        scales: { x: { time: true, range: around(60) } },
        series: [{}, ...series.map(([label], i) => ({ label, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))],
      }, data, box.querySelector('.plot'));
    }
    box.dataset.points = String(data[0].length);
  }
}

// ---- start ---------------------------------------------------------------------------------

$('run-form').addEventListener('submit', event => {
  event.preventDefault();
  openRun($('run-input').value);
});
$('x-axis').addEventListener('change', () => {
  state.xAxis = $('x-axis').value;
  for (const chart of state.charts.values()) chart.dirty = true;
});
$('runs-refresh').addEventListener('click', loadRuns);
new ResizeObserver(() => {
  for (const chart of state.charts.values()) chart.dirty = true;
}).observe($('charts'));

loadRuns();
setInterval(loadRuns, 15000);
// The run's history loads while the connection is made; connecting subscribes and backfills.
connect();
const fromHash = /^#run=(.+)$/.exec(location.hash);
if (fromHash) openRun(decodeURIComponent(fromHash[1]));
