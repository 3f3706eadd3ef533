// The MetricService dashboard: a run table, and one chart per metric overlaying the selected runs
// (downsampled history, then live points over SignalR), with smoothing, log scale, zoom to raw
// points, and a system-metrics panel for the first selected run. No bundler: signalR and uPlot are
// the globals of the scripts in lib/.
const API = '/api/v1';
const POINTS = 600;                 // buckets per run and chart: about one per horizontal pixel
const REDRAW_MS = 100;              // each chart redraws at most ~10 times a second
const MAX_LIVE_POINTS = POINTS * 2; // raw live points kept before a run's series is downsampled again
const BACKFILL_LIMIT = 5000;        // missed points fetched one by one; more reloads the series
const SYSTEM_POLL_MS = 5000;
const LOADS_AT_ONCE = 6;            // the browser's connections per host
const LOAD_MARGIN = '800px 0px';    // charts this close to the viewport load; others wait
const MAX_SELECTED = 20;            // runs overlaid at once
const RUNS_PAGE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Distinct on white and for the common colour-vision deficiencies first (Okabe-Ito, then Tableau).
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#8c6d31', '#000000', '#f0e442', '#7f7f7f',
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#393b79'];

const $ = id => document.getElementById(id);

const state = {
  selection: [],       // selected run ids, in the order picked; the first one is "focused" (system panel, export)
  runs: new Map(),     // run id -> the run as listed (name, tags, config, status, started_at, …)
  charts: new Map(),   // metric name -> MetricChart
  lastSeq: new Map(),  // run id -> seq of its last live batch
  paused: false,
  systemTimer: null,
  defaults: { x: 'step', smoothing: 'none', weight: 0.6 },
  configColumns: JSON.parse(localStorage.getItem('metricservice.configColumns') ?? '[]'),
  nextCursor: null,
};

const focusedRun = () => state.selection[0] ?? null;

/** Wire values are numbers, or the strings "NaN", "Infinity" and "-Infinity". */
const toNumber = v => (typeof v === 'number' ? v : Number(v));

const encode = name => encodeURIComponent(name);

/** A run's colour follows its place in the selection, so a shared link shows the same colours. */
const colorOf = runId => PALETTE[Math.max(0, state.selection.indexOf(runId)) % PALETTE.length];

const runLabel = runId => state.runs.get(runId)?.name ?? runId.slice(0, 8);

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

/** Downloads the focused run's export with the key in a header (a plain link could not send it). */
async function downloadExport(format) {
  const runId = focusedRun();
  const headers = apiKey() ? { authorization: `Bearer ${apiKey()}` } : {};
  const response = await fetch(`${API}/runs/${runId}/export?format=${format}`, { headers });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    showMessage(`Export failed: ${body?.detail ?? body?.title ?? response.status}`);
    return;
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `run-${runId}.${format}`;
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
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(4) : String(+v.toPrecision(6));
}

function formatTick(v) {
  if (v === null || v === undefined) return ''; // a log axis leaves some ticks out
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(1) : String(+v.toPrecision(4));
}

/** "3m 20s": time since the run's start, for the relative x axis. */
function formatDuration(seconds) {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${+s.toPrecision(3)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  s = Math.round(s % 60);
  return h ? `${sign}${h}h ${m}m` : `${sign}${m}m ${s}s`;
}

// ---- smoothing -----------------------------------------------------------------------------

/**
 * Exponential moving average over the values in x order: s0 = v0, s_i = w·s_(i-1) + (1-w)·v_i.
 * Time-weighted: the weight is w^(Δx / mean Δx), so a gap in the x axis (steps or time) forgets
 * as many points' worth of history as it spans; evenly spaced points give the plain EMA. Missing
 * (null) values are skipped and stay missing.
 */
function smooth(xs, values, weight, timeWeighted) {
  const out = new Array(values.length).fill(null);
  let meanGap = 1;
  if (timeWeighted) {
    const known = xs.filter((_, i) => values[i] !== null);
    meanGap = known.length > 1 ? (known[known.length - 1] - known[0]) / (known.length - 1) : 1;
    if (!(meanGap > 0)) meanGap = 1;
  }
  let last = null;
  let lastX = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (last === null) {
      last = v;
    } else {
      const w = timeWeighted ? weight ** ((xs[i] - lastX) / meanGap) : weight;
      last = w * last + (1 - w) * v;
    }
    lastX = xs[i];
    out[i] = last;
  }
  return out;
}

/**
 * One run's points of one metric as a chart holds them: downsampled buckets (x = the bucket's last
 * step, line = finite mean, band = min..max) followed by raw live points, in step order.
 * Non-finite values leave a gap in the line and set a marker: top for NaN/+Infinity, bottom for
 * -Infinity.
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

  /**
   * [x, avg, min, max, flags] for an x axis: steps, wall time (s), or time since
   * <paramref name="start"/> (s). Time order may differ from step order.
   */
  columns(xMode, start) {
    if (xMode === 'step') return [this.steps, this.avg, this.min, this.max, this.flags];
    const order = this.times.map((_, i) => i).sort((a, b) => this.times[a] - this.times[b]);
    const times = xMode === 'relative' ? this.times.map(t => t - start) : this.times;
    return [times, this.avg, this.min, this.max, this.flags].map(c => order.map(i => c[i]));
  }
}

/**
 * One selected run's series in one chart: its loads, backfills and live points. Loads and
 * backfills run one after another; live points that arrive meanwhile wait in `pending`.
 */
class Trace {
  constructor(chart, runId) {
    this.chart = chart;
    this.runId = runId;
    this.data = new SeriesData();
    this.total = null;   // points stored (the whole series, not just the zoomed range)
    this.syncs = 0;      // loads and backfills in flight
    this.chain = Promise.resolve();
    this.pending = [];
    this.loaded = false;  // its history is in
    this.settled = false; // its first load is over, loaded or failed
  }

  url(suffix) {
    return `${API}/runs/${this.runId}/metrics/${encode(this.chart.name)}${suffix}`;
  }

  /** The overview, or the zoomed step range at full resolution where it holds few enough points. */
  async reload() {
    await this.sync(async () => {
      const range = this.chart.stepRange(this);
      const bounds = range ? `&min_step=${range.min}&max_step=${range.max}` : '';
      const response = await getJson(this.url(`/downsampled?points=${POINTS}${bounds}`));
      const latest = this.data.latest;
      this.data.loadBuckets(response);
      if (range && latest) this.data.latest = latest; // the series' latest, not the zoomed range's
      if (!range) this.total = response.total;
      this.loaded = true;
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
    if (!this.chart.loadRequested) {
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
      const response = await getJson(this.url(`?min_step=${from + 1}&order=asc&limit=${BACKFILL_LIMIT}`));
      reload = response.metrics.length >= BACKFILL_LIMIT;
      for (const m of response.metrics) {
        this.added(this.data.addPoint(m));
      }
      return () => -Infinity; // pending points are deduplicated by identity instead
    });
    this.release();
    if (reload) await this.reload();
  }

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
      this.error = null;
    } catch (error) {
      this.error = error.message;
    } finally {
      this.settled = true;
      this.release();
      this.chart.dirty = true;
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
    if (!this.chart.loadRequested) return; // the first load will include it
    if (this.syncs > 0) {
      this.pending.push(metric);
      return;
    }
    if (this.added(this.data.addPoint(metric))) this.chart.dirty = true;
    if (this.data.liveCount > MAX_LIVE_POINTS) this.reload();
  }

  /** Seconds at which the run started, for the relative x axis: as described, else its first point. */
  start() {
    const described = Date.parse(state.runs.get(this.runId)?.started_at ?? '');
    if (Number.isFinite(described)) return described / 1000;
    return this.data.times.length ? Math.min(...this.data.times) : 0;
  }
}

/**
 * One metric's chart: a series per selected run in the run's colour, with its own controls
 * (smoothing, log y, x axis, min/max band), drag to zoom (refetching the visible steps, so the
 * deepest zoom shows raw points) and double-click to return.
 */
class MetricChart {
  constructor(name, container) {
    this.name = name;
    this.traces = new Map(); // run id -> Trace, in selection order
    this.options = { x: state.defaults.x, smoothing: state.defaults.smoothing, weight: state.defaults.weight, log: false, band: true };
    this.zoom = null;        // { xMode, min, max } while zoomed
    this.dirty = false;
    this.draws = 0;
    this.lastDraw = -Infinity;
    this.loadingSince = null; // when its first load was asked for
    this.plot = null;
    this.signature = null;
    this.loadRequested = false;
    this.element = document.createElement('div');
    this.element.className = 'chart';
    this.element.dataset.metric = name;
    this.element.innerHTML = `
      <div class="title"><span class="name"></span><span class="latest"></span></div>
      <div class="controls">
        <select class="smoothing" aria-label="smoothing">
          <option value="none">no smoothing</option><option value="ema">EMA</option><option value="twema">time-weighted EMA</option>
        </select>
        <input class="weight" type="range" min="0" max="0.99" step="0.01" aria-label="smoothing weight">
        <span class="weight-value"></span>
        <label><input class="log" type="checkbox"> log y</label>
        <select class="x" aria-label="x axis">
          <option value="step">step</option><option value="time">wall time</option><option value="relative">relative time</option>
        </select>
        <label><input class="band" type="checkbox" checked> min/max</label>
      </div>
      <div class="legend"></div><div class="sub"></div><div class="plot"></div>`;
    this.element.querySelector('.name').textContent = name;
    this.bindControls();
    container.append(this.element);
    this.element.chart = this;
    this.syncTraces();
    nearViewport.observe(this.element);
  }

  control(name) {
    return this.element.querySelector(`.controls .${name}`);
  }

  bindControls() {
    const update = () => {
      const x = this.control('x').value;
      if (x !== this.options.x) this.resetZoom();
      Object.assign(this.options, {
        smoothing: this.control('smoothing').value,
        weight: Number(this.control('weight').value),
        log: this.control('log').checked,
        x,
        band: this.control('band').checked,
      });
      this.showControls();
      this.dirty = true;
    };
    this.element.querySelector('.controls').addEventListener('input', update);
    this.showControls();
  }

  /** Sets the controls from the options (after a change here or in the header's defaults). */
  showControls() {
    const o = this.options;
    this.control('smoothing').value = o.smoothing;
    this.control('weight').value = String(o.weight);
    this.control('weight').disabled = o.smoothing === 'none';
    this.element.querySelector('.weight-value').textContent = o.smoothing === 'none' ? '' : o.weight.toFixed(2);
    this.control('log').checked = o.log;
    this.control('x').value = o.x;
    this.control('band').checked = o.band;
  }

  setOptions(changes) {
    if (changes.x && changes.x !== this.options.x) this.resetZoom();
    Object.assign(this.options, changes);
    this.showControls();
    this.dirty = true;
  }

  /** One trace per selected run, in selection order; new ones load if the chart has. */
  syncTraces() {
    const before = this.traces;
    this.traces = new Map(state.selection.map(runId => [runId, before.get(runId) ?? new Trace(this, runId)]));
    if (this.loadRequested) {
      for (const [runId, trace] of this.traces) if (!before.has(runId)) queueLoad(trace);
    }
    this.signature = null; // colours and series change with the selection
    this.dirty = true;
  }

  /** Loads the history once the chart comes near the viewport; 50 charts need not load at once. */
  requestLoad() {
    if (this.loadRequested) return;
    this.loadRequested = true;
    this.loadingSince = performance.now();
    this.traces.forEach(queueLoad);
  }

  /** Whether a selected run's first load is still on its way. */
  anyLoading() {
    for (const trace of this.traces.values()) if (!trace.settled) return true;
    return false;
  }

  dispose() {
    nearViewport.unobserve(this.element);
    this.plot?.destroy();
  }

  /** The step range to fetch for a trace while zoomed; null for the overview. */
  stepRange(trace) {
    if (!this.zoom) return null;
    if (this.zoom.xMode === 'step') {
      return { min: Math.max(0, Math.floor(this.zoom.min)), max: Math.max(0, Math.ceil(this.zoom.max)) };
    }
    // A time window: the steps of the points shown in it, widened by a bucket either side (a
    // bucket's x is its last point).
    const start = this.zoom.xMode === 'relative' ? trace.start() : 0;
    const { steps, times } = trace.data;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < steps.length; i++) {
      const x = times[i] - start;
      if (x >= this.zoom.min && x <= this.zoom.max) {
        lo = Math.min(lo, i === 0 ? 0 : steps[i - 1]);
        hi = Math.max(hi, i + 1 < steps.length ? steps[i + 1] : steps[i]);
      }
    }
    return Number.isFinite(lo) ? { min: lo, max: hi } : { min: 0, max: 0 };
  }

  zoomTo(min, max) {
    if (!(max > min)) return;
    this.zoom = { xMode: this.options.x, min, max };
    this.element.dataset.zoomed = 'true';
    this.traces.forEach(trace => trace.reload());
  }

  resetZoom() {
    if (!this.zoom) return;
    this.zoom = null;
    delete this.element.dataset.zoomed;
    this.traces.forEach(trace => trace.reload());
  }

  addLive(runId, metric) {
    this.traces.get(runId)?.addLive(metric);
  }

  /** Each run's columns as drawn: [x, line, raw, min, max, flags], smoothed and log-safe as chosen. */
  tables(useLog) {
    const o = this.options;
    return [...this.traces.values()].map(trace => {
      const [x, avg, min, max, flags] = trace.data.columns(o.x, o.x === 'relative' ? trace.start() : 0);
      const smoothed = o.smoothing === 'none' ? avg : smooth(x, avg, o.weight, o.smoothing === 'twema');
      const raw = o.smoothing === 'none' ? x.map(() => null) : avg;
      // A log axis cannot place zero or negative values: they leave gaps.
      const positive = column => (useLog ? column.map(v => (v !== null && v <= 0 ? null : v)) : column);
      return [x, positive(smoothed), positive(raw), positive(min), positive(max), flags];
    });
  }

  draw() {
    this.dirty = false;
    if (!this.loadRequested) return; // far from the viewport: drawn once it has loaded
    const o = this.options;
    const traces = [...this.traces.values()];
    const hasPositive = traces.some(t => t.data.max.some(v => v !== null && v > 0) || t.data.avg.some(v => v !== null && v > 0));
    const useLog = o.log && hasPositive;
    const tables = this.tables(useLog);
    const data = tables.length === 0 ? [[]] : tables.length === 1 ? tables[0] : uPlot.join(tables);
    const width = Math.max(200, this.element.clientWidth - 16);
    const signature = [traces.map(t => t.runId).join(','), o.x, useLog, o.band, o.smoothing !== 'none'].join('|');
    if (!this.plot || this.signature !== signature) {
      this.plot?.destroy();
      this.plot = new uPlot(this.plotOptions(width, traces, useLog), data, this.element.querySelector('.plot'));
      this.signature = signature;
    } else {
      this.plot.setData(data);
      if (this.plot.width !== width) this.plot.setSize({ width, height: 220 });
    }
    this.draws++;
    this.showLegend(null);
    this.showStatus(traces, o.log && !hasPositive);
  }

  plotOptions(width, traces, useLog) {
    const o = this.options;
    const series = [{ label: o.x === 'step' ? 'step' : o.x === 'time' ? 'time' : 'time since start' }];
    const bands = [];
    traces.forEach((trace, k) => {
      const color = colorOf(trace.runId);
      const base = 1 + (k * 5);
      series.push(
        { label: runLabel(trace.runId), stroke: color, width: 1.5, spanGaps: false, points: { show: false } },
        { label: 'raw', stroke: `${color}44`, width: 1, show: o.smoothing !== 'none', points: { show: false } },
        { label: 'min', stroke: `${color}33`, width: 0.5, show: o.band, points: { show: false } },
        { label: 'max', stroke: `${color}33`, width: 0.5, show: o.band, points: { show: false } },
        { label: 'NaN/±Inf', scale: 'flag', stroke: color, paths: () => null, points: { show: true, size: 7, fill: color } },
      );
      if (o.band) bands.push({ series: [base + 3, base + 2], fill: `${color}1f` });
    });
    const xAxis = o.x === 'relative' ? { values: (_, ticks) => ticks.map(formatDuration) } : {};
    return {
      width,
      height: 220,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: {
        x: { time: o.x === 'time', range: (u, min, max) => (this.zoom ? [this.zoom.min, this.zoom.max] : around(o.x === 'step' ? 1 : 60)(u, min, max)) },
        y: { distr: useLog ? 3 : 1 },
        flag: { range: [0, 1] },
      },
      axes: [xAxis, { size: 64, values: (_, ticks) => ticks.map(formatTick) }],
      series,
      bands,
      hooks: {
        setSelect: [u => {
          if (u.select.width < 3) return;
          const min = u.posToVal(u.select.left, 'x');
          const max = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          this.zoomTo(min, max);
        }],
        setCursor: [u => this.showLegend(u.cursor.idx)],
        ready: [u => u.over.addEventListener('dblclick', () => this.resetZoom())],
      },
    };
  }

  /** The legend: each run's name and its value under the cursor (or its latest value). */
  showLegend(idx) {
    const legend = this.element.querySelector('.legend');
    const traces = [...this.traces.values()];
    if (legend.children.length !== traces.length || [...legend.children].some((e, k) => e.dataset.runId !== traces[k].runId)) {
      legend.replaceChildren(...traces.map(trace => {
        const item = document.createElement('span');
        item.className = 'key';
        item.dataset.runId = trace.runId;
        item.innerHTML = '<i></i><span class="run-name"></span> <span class="value"></span>';
        item.querySelector('i').style.background = colorOf(trace.runId);
        item.querySelector('.run-name').textContent = runLabel(trace.runId);
        item.title = trace.runId;
        return item;
      }));
    }
    traces.forEach((trace, k) => {
      const value = idx !== null && idx !== undefined && this.plot ? this.plot.data[1 + (k * 5)]?.[idx] : trace.data.latest?.value;
      legend.children[k].querySelector('.value').textContent = trace.error ? `(${trace.error})` : formatValue(value);
    });
  }

  showStatus(traces, logRefused) {
    const focused = traces[0];
    const latest = focused?.data.latest;
    const shown = traces.reduce((n, t) => n + t.data.steps.length, 0);
    const stored = traces.reduce((n, t) => n + (t.total ?? 0), 0);
    this.element.querySelector('.latest').textContent = latest ? formatValue(latest.value) : '';
    let text = traces.length > 1
      ? `${traces.length} runs · ${stored.toLocaleString()} points stored, ${shown} shown`
      : latest ? `step ${latest.step} · ${stored.toLocaleString()} points stored, ${shown} shown` : 'no points';
    if (traces.length === 1 && focused.error) text = `could not load: ${focused.error}`;
    if (this.zoom) text += ' · zoomed (double-click to return)';
    if (logRefused) text += ' · log scale needs values above 0';
    this.element.querySelector('.sub').textContent = text;
    Object.assign(this.element.dataset, {
      points: String(shown),
      lastStep: String(latest?.step ?? ''),
      latest: latest ? String(latest.value) : '',
      draws: String(this.draws),
      runs: String(traces.length),
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

const loader = { queue: [], active: 0 };

function queueLoad(trace) {
  loader.queue.push(trace);
  pumpLoads();
}

function pumpLoads() {
  while (loader.active < LOADS_AT_ONCE && loader.queue.length) {
    const trace = loader.queue.shift();
    const chart = trace.chart;
    if (state.charts.get(chart.name) !== chart || chart.traces.get(trace.runId) !== trace) continue; // deselected meanwhile
    loader.active++;
    trace.reload().finally(() => {
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

// Charts that changed are redrawn from one animation-frame loop: a chart at most every REDRAW_MS
// however fast points arrive, and no more charts in one frame than fit in DRAW_BUDGET_MS (the rest
// wait a frame), so scrolling stays smooth while many charts load. A chart whose runs are still
// loading waits for them (up to FIRST_DRAW_WAIT_MS) rather than redrawing once per run.
const DRAW_BUDGET_MS = 8;
const FIRST_DRAW_WAIT_MS = 500;

function drawDirty(now) {
  for (const chart of state.charts.values()) {
    if (!chart.dirty || now - chart.lastDraw < REDRAW_MS) continue;
    if (chart.loadingSince !== null && now - chart.loadingSince < FIRST_DRAW_WAIT_MS && chart.anyLoading()) continue;
    chart.draw();
    chart.lastDraw = performance.now();
    if (chart.lastDraw - now > DRAW_BUDGET_MS) break;
  }
  requestAnimationFrame(drawDirty);
}
requestAnimationFrame(drawDirty);

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
  const runId = message.run_id;
  if (!state.selection.includes(runId)) return;
  // seq numbers a run's batches; a jump means batches were missed (e.g. dropped as too slow).
  const last = state.lastSeq.get(runId) ?? null;
  if (last !== null && message.seq <= last) return;
  state.lastSeq.set(runId, message.seq);
  if (last !== null && message.seq > last + 1) backfillRun(runId);
  const names = new Set();
  for (const metric of message.metrics) {
    const chart = state.charts.get(metric.metric_name);
    if (chart) {
      chart.addLive(runId, metric);
    } else {
      names.add(metric.metric_name);
    }
  }
  for (const name of names) {
    metricNames.get(runId)?.push(name);
    addChart(name); // loads when near the viewport
  }
});
connection.onreconnecting(() => setConnectionState('reconnecting'));
connection.onreconnected(async () => {
  setConnectionState('connected');
  await subscribe(state.selection);
  state.selection.forEach(backfillRun);
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
    await subscribe(state.selection);
    state.selection.forEach(backfillRun); // what was written before the subscription took effect
  } catch {
    setConnectionState('disconnected');
    if (!state.paused) setTimeout(connect, 5000);
  }
}

async function subscribe(runIds) {
  if (connection.state !== signalR.HubConnectionState.Connected) return;
  for (const runId of runIds) {
    state.lastSeq.delete(runId);
    await connection.invoke('SubscribeToRun', runId, null).catch(error => showMessage(`Live updates for ${runLabel(runId)}: ${error.message}`));
  }
}

/** After a gap or reconnect: the run's series fetch what they missed, and new metrics appear. */
async function backfillRun(runId) {
  // Synchronously, before the batch that revealed the gap is applied.
  const held = [...state.charts.values()].map(chart => chart.traces.get(runId)).filter(Boolean);
  held.forEach(trace => trace.hold());
  await Promise.all(held.map(trace => trace.backfill())); // the browser caps requests per host
  await addChartsOf(runId);
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

// ---- selection and charts ------------------------------------------------------------------

const metricNames = new Map(); // run id -> its metric names, as last fetched

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

async function addChartsOf(runId) {
  try {
    const names = (await getJson(`${API}/runs/${runId}/metric-names`)).metric_names;
    if (!state.selection.includes(runId)) return;
    metricNames.set(runId, names);
    names.forEach(addChart); // each loads when it comes near the viewport
  } catch (error) {
    showMessage(`Could not load run ${runLabel(runId)}: ${error.message}`);
  }
}

/** Shows exactly these runs (at most MAX_SELECTED), the first one focused. */
async function setSelection(runIds) {
  const ids = [...new Set(runIds.map(id => id.trim().toLowerCase()))];
  const bad = ids.find(id => !UUID.test(id));
  if (bad !== undefined) {
    showMessage(`"${bad}" is not a run id (a UUID such as 0b5e55ed-0000-4000-8000-000000000001).`);
    return;
  }
  if (ids.length > MAX_SELECTED) {
    showMessage(`At most ${MAX_SELECTED} runs can be compared at once; the first ${MAX_SELECTED} are shown.`);
    ids.length = MAX_SELECTED;
  } else {
    showMessage(null);
  }
  const removed = state.selection.filter(id => !ids.includes(id));
  const added = ids.filter(id => !state.selection.includes(id));
  const focusChanged = ids[0] !== state.selection[0];
  state.selection = ids;

  if (connection.state === signalR.HubConnectionState.Connected) {
    for (const runId of removed) await connection.invoke('UnsubscribeFromRun', runId).catch(() => {});
  }
  removed.forEach(runId => {
    state.lastSeq.delete(runId);
    metricNames.delete(runId);
  });
  const hash = ids.length === 1 ? `#run=${ids[0]}` : ids.length ? `#runs=${ids.join(',')}` : '';
  if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname);
  $('run-input').value = ids.length === 1 ? ids[0] : '';
  $('welcome').hidden = ids.length > 0;
  $('run').hidden = ids.length === 0;
  renderSelection();

  // Names, tags and starts of runs not in the table (a shared link, an id typed in).
  await Promise.all(added.filter(id => !state.runs.has(id)).map(id =>
    getJson(`${API}/runs/${id}`).then(run => state.runs.set(id, run)).catch(() => {})));
  renderSelection();

  state.charts.forEach(chart => chart.syncTraces());
  if (!ids.length) {
    state.charts.forEach(chart => chart.dispose());
    state.charts.clear();
    $('charts').replaceChildren();
  }

  // Subscribe first: points written while the history loads wait in each series' queue.
  await subscribe(added);
  await Promise.all(added.map(addChartsOf));
  // A metric that only deselected runs had goes.
  if (removed.length && ids.every(id => metricNames.has(id))) {
    for (const [name, chart] of state.charts) {
      if (ids.some(id => metricNames.get(id).includes(name))) continue;
      chart.dispose();
      chart.element.remove();
      state.charts.delete(name);
    }
  }
  if (ids.length && ids.every(id => !(metricNames.get(id)?.length))) {
    showMessage(ids.length === 1 ? 'This run has no metrics yet; charts appear as points arrive.' : 'These runs have no metrics yet; charts appear as points arrive.');
  }
  if (focusChanged) {
    $('system').replaceChildren();
    if (ids.length) startSystemPanel(ids[0]);
  }
}

/** The title, the table's checkboxes and the count follow the selection. */
function renderSelection() {
  const ids = state.selection;
  $('run-title').textContent = ids.length === 1 ? `${state.runs.get(ids[0])?.name ?? 'run'} · ${ids[0]}` : `${ids.length} runs compared`;
  $('export-run').textContent = ids.length ? runLabel(ids[0]) : '';
  $('selection-count').textContent = ids.length ? `${ids.length} of at most ${MAX_SELECTED} selected` : '';
  for (const row of document.querySelectorAll('#runs tr[data-run-id]')) {
    const selected = ids.includes(row.dataset.runId);
    row.classList.toggle('current', selected);
    row.querySelector('.pick').checked = selected;
    row.querySelector('.swatch').style.background = selected ? colorOf(row.dataset.runId) : 'transparent';
  }
}

// ---- the run table -------------------------------------------------------------------------

function runQuery(cursor) {
  const query = new URLSearchParams({ limit: String(RUNS_PAGE) });
  const search = $('run-search').value.trim();
  if (search) query.set('search', search);
  for (const tag of $('run-tag').value.split(/[\s,]+/).filter(Boolean)) query.append('tag', tag);
  if ($('run-status').value) query.set('status', $('run-status').value);
  if (cursor) query.set('cursor', cursor);
  return `${API}/runs?${query}`;
}

let listing = 0; // the latest listing wins when filters change quickly

async function loadRuns({ more = false } = {}) {
  const mine = ++listing;
  try {
    const page = await getJson(runQuery(more ? state.nextCursor : null));
    if (mine !== listing) return;
    page.runs.forEach(run => state.runs.set(run.run_id, run));
    state.nextCursor = page.next_cursor;
    $('runs-more').hidden = !page.next_cursor;
    const rows = page.runs.map(runRow);
    if (more) {
      $('runs').append(...rows);
    } else {
      $('runs').replaceChildren(...rows);
    }
    $('runs-empty').hidden = $('runs').children.length > 0;
    renderColumnPicker();
    renderSelection();
  } catch (error) {
    showMessage(`Could not list runs: ${error.message}`);
  }
}

/** A config value as a cell shows it: numbers and text as they are, anything else as JSON. */
function configCell(value) {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value); // as written, 0.0003 not 3e-4
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function runRow(run) {
  const row = document.createElement('tr');
  row.dataset.runId = run.run_id;
  row.innerHTML = `<td><input class="pick" type="checkbox" aria-label="compare"><i class="swatch"></i></td>
    <td class="name"><a></a><div class="id"></div></td><td><span class="status"></span></td><td class="tags"></td>
    <td class="when"></td><td class="count"></td>`;
  const link = row.querySelector('.name a');
  link.textContent = run.name ?? run.run_id;
  link.href = `#run=${run.run_id}`;
  link.addEventListener('click', event => {
    event.preventDefault();
    setSelection([run.run_id]);
  });
  row.querySelector('.id').textContent = run.name ? run.run_id : '';
  row.querySelector('.status').textContent = run.status ?? '';
  row.querySelector('.status').dataset.status = run.status ?? '';
  row.querySelector('.tags').replaceChildren(...run.tags.map(tag => {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'tag';
    chip.textContent = tag;
    chip.title = `Show runs tagged ${tag}`;
    chip.addEventListener('click', () => {
      $('run-tag').value = tag;
      loadRuns();
    });
    return chip;
  }));
  row.querySelector('.when').textContent = new Date(run.last_activity).toLocaleString();
  row.querySelector('.count').textContent = run.point_count.toLocaleString();
  row.title = run.metric_names.join('\n');
  for (const key of state.configColumns) {
    const cell = document.createElement('td');
    cell.className = 'config';
    cell.dataset.key = key;
    cell.textContent = configCell(run.config?.[key]);
    row.append(cell);
  }
  row.querySelector('.pick').addEventListener('change', event => {
    const ids = event.target.checked ? [...state.selection, run.run_id] : state.selection.filter(id => id !== run.run_id);
    if (ids.length > MAX_SELECTED) {
      event.target.checked = false;
      showMessage(`At most ${MAX_SELECTED} runs can be compared at once.`);
      return;
    }
    setSelection(ids);
  });
  return row;
}

/** Config keys of the listed runs, each a checkbox that shows or hides its column. */
function renderColumnPicker() {
  const keys = new Set(state.configColumns);
  for (const row of document.querySelectorAll('#runs tr[data-run-id]')) {
    Object.keys(state.runs.get(row.dataset.runId)?.config ?? {}).forEach(k => keys.add(k));
  }
  $('column-list').replaceChildren(...[...keys].sort().map(key => {
    const label = document.createElement('label');
    label.innerHTML = '<input type="checkbox"> <span></span>';
    label.querySelector('span').textContent = key;
    const box = label.querySelector('input');
    box.dataset.key = key;
    box.checked = state.configColumns.includes(key);
    box.addEventListener('change', () => {
      state.configColumns = box.checked ? [...state.configColumns, key] : state.configColumns.filter(k => k !== key);
      localStorage.setItem('metricservice.configColumns', JSON.stringify(state.configColumns));
      renderHead();
      loadRuns();
    });
    return label;
  }));
  $('columns').hidden = keys.size === 0;
}

function renderHead() {
  const head = $('runs-head');
  head.querySelectorAll('th.config').forEach(th => th.remove());
  for (const key of state.configColumns) {
    const th = document.createElement('th');
    th.className = 'config';
    th.textContent = key;
    head.append(th);
  }
}

let searchTimer = null;
for (const id of ['run-search', 'run-tag']) {
  $(id).addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadRuns(), 250);
  });
}
$('run-status').addEventListener('change', () => loadRuns());
$('runs-more').addEventListener('click', () => loadRuns({ more: true }));
$('runs-refresh').addEventListener('click', () => loadRuns());
$('clear-selection').addEventListener('click', () => setSelection([]));

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
    if (runId !== focusedRun()) return;
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
      if (runId === focusedRun()) drawSystem(byType);
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
  setSelection($('run-input').value.split(/[\s,]+/).filter(Boolean));
});
$('x-axis').addEventListener('change', () => {
  state.defaults.x = $('x-axis').value;
  state.charts.forEach(chart => chart.setOptions({ x: state.defaults.x }));
});
$('smoothing').addEventListener('change', () => {
  state.defaults.smoothing = $('smoothing').value;
  state.charts.forEach(chart => chart.setOptions({ smoothing: state.defaults.smoothing }));
});
new ResizeObserver(() => {
  for (const chart of state.charts.values()) chart.dirty = true;
}).observe($('charts'));

function selectionFromHash() {
  const match = /^#runs?=(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]).split(',').filter(Boolean) : [];
}

window.addEventListener('hashchange', () => setSelection(selectionFromHash()));

renderHead();
loadRuns();
setInterval(() => {
  if ($('runs').children.length <= RUNS_PAGE) loadRuns(); // not while more pages are shown
}, 15000);
// The runs' history loads while the connection is made; connecting subscribes and backfills.
connect();
const initial = selectionFromHash();
if (initial.length) setSelection(initial);
