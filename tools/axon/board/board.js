// The axon board's page: runs, scalar curves (runs overlaid, smoothing,
// log axis), histograms over time, the held-out confusion matrix, the
// model's graph and the run's config. Served live by `axon board` (it
// polls the server's files) or inlined by `axon report` (the data in the
// #axon-data element). Drawing is Chart.js's; the files are described in
// docs/board.md.
'use strict';

const COLORS = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#4e342e', '#283593', '#9e9d24'];
const STEP_KEYS = ['loss', 'lr', 'grad_norm', 'step_ms', 'samples_per_second'];
const FILES = ['run.json', 'epochs.jsonl', 'steps.jsonl', 'histograms.jsonl', 'confusion.json'];
const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(200, Number(params.get('poll')) || 2000);
const inline = document.getElementById('axon-data');

const state = {
  runs: new Map(),      // name -> {name, color, run, epochs, steps, hists, confusion, text: {file: text}}
  selected: new Set(),  // the runs drawn on the curves
  unselected: new Set(),
  focus: null,          // the run of the single-run views
  smoothing: 0,
  log: false,
  charts: new Map(),    // canvas id -> Chart
  updates: 0,
};

// A .jsonl file's records; a last line without its newline is one being
// written, and left for the next poll.
function parseLines(text) {
  if (!text) return [];
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  const out = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line)); } catch (e) { /* a torn line */ }
  }
  return out;
}

function parseJson(text) {
  if (!text) return null;
  try { return JSON.parse(text); } catch (e) { return null; }
}

function absorb(name, files) {
  let r = state.runs.get(name);
  if (!r) {
    r = { name, color: COLORS[state.runs.size % COLORS.length], text: {} };
    state.runs.set(name, r);
    if (!state.unselected.has(name)) state.selected.add(name);
  }
  let changed = false;
  for (const f of FILES) {
    const t = files[f] ?? '';
    if (r.text[f] === t) continue;
    r.text[f] = t;
    changed = true;
    if (f === 'run.json') r.run = parseJson(t);
    else if (f === 'epochs.jsonl') r.epochs = parseLines(t);
    else if (f === 'steps.jsonl') r.steps = parseLines(t);
    else if (f === 'histograms.jsonl') r.hists = parseLines(t);
    else if (f === 'confusion.json') r.confusion = parseJson(t);
  }
  return changed;
}

async function fetchText(url) {
  const res = await fetch(url, { cache: 'no-cache' });
  if (res.status === 404) return '';
  if (!res.ok) throw new Error(url + ': ' + res.status);
  return res.text();
}

async function poll() {
  let changed = false;
  try {
    const list = JSON.parse(await fetchText('api/runs'));
    for (const entry of list) {
      const files = {};
      await Promise.all(FILES.filter(f => (entry.files || []).includes(f)).map(async f => {
        files[f] = await fetchText('api/runs/' + encodeURIComponent(entry.name) + '/' + f);
      }));
      changed = absorb(entry.name, files) || changed;
    }
    document.getElementById('mode').textContent = 'live, ' + list.length + ' run' + (list.length === 1 ? '' : 's');
  } catch (e) {
    document.getElementById('mode').textContent = 'server unreachable: ' + e.message;
  }
  if (changed) render();
  setTimeout(poll, POLL_MS);
}

// ---- curves -----------------------------------------------------------

// TensorBoard's smoothing: an exponential moving average, debiased.
function smooth(points, w) {
  if (!w) return points;
  let last = 0, n = 0;
  return points.map(p => {
    last = last * w + (1 - w) * p.y;
    n++;
    return { x: p.x, y: last / (1 - Math.pow(w, n)) };
  });
}

function chartIn(container, id, title) {
  let chart = state.charts.get(id);
  if (chart) return chart;
  const box = document.createElement('div');
  box.className = 'chart';
  box.dataset.key = title;
  const h = document.createElement('h3');
  h.textContent = title;
  const canvas = document.createElement('canvas');
  canvas.id = id;
  box.append(h, canvas);
  container.append(box);
  chart = new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false, maintainAspectRatio: false, parsing: true,
      elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.5 } },
      scales: { x: { type: 'linear', title: { display: true, text: '' } }, y: { type: 'linear' } },
      plugins: { legend: { display: true, labels: { boxWidth: 10 } } },
    },
  });
  state.charts.set(id, chart);
  return chart;
}

function drawCurves(container, prefix, xKey, recordsOf, keys) {
  for (const key of keys) {
    const chart = chartIn(container, prefix + key, key);
    chart.options.scales.x.title.text = xKey;
    chart.options.scales.y.type = state.log ? 'logarithmic' : 'linear';
    chart.data.datasets = [];
    for (const r of state.runs.values()) {
      if (!state.selected.has(r.name)) continue;
      const raw = (recordsOf(r) || []).filter(o => typeof o[key] === 'number').map(o => ({ x: o[xKey], y: o[key] }));
      if (!raw.length) continue;
      chart.data.datasets.push({ label: r.name, data: smooth(raw, state.smoothing), borderColor: r.color,
        backgroundColor: r.color, pointRadius: raw.length < 60 ? 2 : 0, rawPoints: raw.length });
    }
    chart.update('none');
  }
}

// every numeric field of the records, the losses and accuracies first
function scalarKeys(recordsOf, skip) {
  const keys = [];
  for (const r of state.runs.values())
    for (const o of recordsOf(r) || [])
      for (const [k, v] of Object.entries(o))
        if (typeof v === 'number' && !skip.includes(k) && !keys.includes(k)) keys.push(k);
  const rank = k => /loss$/.test(k) ? 0 : /accuracy$/.test(k) ? 1 : 2;
  return keys.map((k, i) => [rank(k), i, k]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(x => x[2]);
}

// ---- the single-run views ----------------------------------------------

function drawHistograms(r) {
  const select = document.getElementById('tensor');
  const hists = (r && r.hists) || [];
  const names = hists.length ? hists[hists.length - 1].tensors.map(t => t.kind + ': ' + t.name) : [];
  const keep = select.value;
  if ([...select.options].map(o => o.value).join('|') !== names.join('|')) {
    select.replaceChildren(...names.map(n => new Option(n, n)));
    if (names.includes(keep)) select.value = keep;
  }
  const holder = document.getElementById('hist-charts');
  const dist = chartIn(holder, 'hist-chart', 'distribution');
  const range = chartIn(holder, 'hist-range', 'range over steps (min, mean, max)');
  dist.data.datasets = [];
  range.data.datasets = [];
  const chosen = select.value;
  const series = hists.map(h => ({ step: h.step, t: h.tensors.find(t => t.kind + ': ' + t.name === chosen) }))
    .filter(s => s.t);
  // the last 12 records, older ones lighter
  const recent = series.slice(-12);
  recent.forEach((s, i) => {
    const w = (s.t.hi - s.t.lo) / s.t.counts.length;
    const shade = Math.round(200 - 170 * (i + 1) / recent.length);
    dist.data.datasets.push({ label: 'step ' + s.step, data: s.t.counts.map((c, b) => ({ x: s.t.lo + (b + 0.5) * w, y: c })),
      borderColor: `rgb(${shade},${shade},${Math.min(255, shade + 60)})`, pointRadius: 0, borderWidth: 1.2 });
  });
  dist.options.plugins.legend.display = false;
  dist.options.scales.x.title.text = 'value';
  for (const [key, color] of [['min', '#90a4ae'], ['mean', '#1565c0'], ['max', '#90a4ae']])
    range.data.datasets.push({ label: key, data: series.map(s => ({ x: s.step, y: s.t[key] })), borderColor: color, pointRadius: 0 });
  range.options.scales.x.title.text = 'step';
  dist.canvas.previousSibling.textContent = chosen ? 'distribution of ' + chosen + ' (last ' + recent.length + ' records)' : 'no histograms yet';
  dist.update('none');
  range.update('none');
}

function drawConfusion(r) {
  const table = document.getElementById('confusion');
  const c = r && r.confusion;
  const note = document.getElementById('confusion-note');
  if (!c) {
    table.replaceChildren();
    note.textContent = 'none (no held-out data with class labels)';
    return;
  }
  let diag = 0, max = 1;
  c.counts.forEach((row, i) => { diag += row[i]; row.forEach(v => { max = Math.max(max, v); }); });
  note.textContent = `epoch ${c.epoch}: ${c.total} samples, accuracy ${(diag / Math.max(1, c.total)).toFixed(4)}; rows the true class, columns the predicted one`;
  const head = document.createElement('tr');
  head.append(document.createElement('th'), ...c.counts.map((_, j) => { const th = document.createElement('th'); th.textContent = j; return th; }));
  const rows = c.counts.map((row, i) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = i;
    tr.append(th, ...row.map(v => {
      const td = document.createElement('td');
      td.textContent = v;
      const a = v / max;
      td.style.background = `rgba(21,101,192,${a.toFixed(3)})`;
      td.style.color = a > 0.5 ? '#fff' : '#222';
      return td;
    }));
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

// The layers (boxes) and what feeds what, laid out in ranks from the
// inputs: a layer's rank is one more than the largest of its inputs'.
function drawGraph(r) {
  const host = document.getElementById('graph');
  const model = r && r.run && r.run.model;
  if (!model) { host.replaceChildren(); return; }
  const nodes = model.nodes || [];
  let layers = (model.layers || []).map(l => ({ name: l.name, type: l.type, shape: l.shape, params: l.params }));
  if (!layers.length)
    layers = nodes.filter(n => n.op !== 'param').map(n => ({ name: n.name, type: n.op, shape: n.shape, params: 0 }));
  const scopeOf = n => (model.layers && model.layers.length) ? n.scope : (n.op === 'param' ? '' : n.name);
  const index = new Map(layers.map((l, i) => [l.name, i]));
  if (nodes.some(n => scopeOf(n) === 'loss') && !index.has('loss')) {
    index.set('loss', layers.length);
    layers.push({ name: 'loss', type: 'loss', shape: [], params: 0 });
  }
  const edges = new Set();
  for (const n of nodes) {
    const to = index.get(scopeOf(n));
    for (const i of n.inputs || []) {
      const from = index.get(scopeOf(nodes[i]));
      if (to !== undefined && from !== undefined && from !== to) edges.add(from + '>' + to);
    }
  }
  const rank = layers.map(() => 0);
  for (let pass = 0; pass < layers.length; pass++)
    for (const e of edges) { const [a, b] = e.split('>').map(Number); rank[b] = Math.max(rank[b], rank[a] + 1); }
  const perRank = [];
  layers.forEach((l, i) => { (perRank[rank[i]] = perRank[rank[i]] || []).push(i); });
  const W = 200, H = 44, GX = 30, GY = 34;
  const pos = [];
  const widest = Math.max(...perRank.map(p => (p ? p.length : 0)));
  perRank.forEach((ids, k) => (ids || []).forEach((id, j) => {
    pos[id] = { x: 10 + (widest - ids.length) * (W + GX) / 2 + j * (W + GX), y: 10 + k * (H + GY) };
  }));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', 20 + widest * (W + GX));
  svg.setAttribute('height', 20 + perRank.length * (H + GY));
  svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#78909c"/></marker></defs>';
  for (const e of edges) {
    const [a, b] = e.split('>').map(Number);
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('class', 'edge');
    const x1 = pos[a].x + W / 2, y1 = pos[a].y + H, x2 = pos[b].x + W / 2, y2 = pos[b].y;
    p.setAttribute('d', `M${x1},${y1} C${x1},${y1 + GY / 2} ${x2},${y2 - GY / 2} ${x2},${y2}`);
    svg.append(p);
  }
  layers.forEach((l, i) => {
    const g = document.createElementNS(ns, 'g');
    g.setAttribute('class', 'layer');
    g.dataset.layer = l.name;
    g.setAttribute('transform', `translate(${pos[i].x},${pos[i].y})`);
    const ops = nodes.filter(n => scopeOf(n) === l.name).map(n => n.name + ' (' + n.op + ') [' + n.shape.join(', ') + ']');
    const sample = (l.shape || []).slice(1).join('×');
    g.innerHTML = `<title></title><rect width="${W}" height="${H}" rx="5"></rect>` +
      `<text x="8" y="18" font-weight="600"></text><text x="8" y="35" fill="#555"></text>`;
    g.querySelector('title').textContent = ops.join('\n');
    g.querySelectorAll('text')[0].textContent = l.name + ' (' + l.type + ')';
    g.querySelectorAll('text')[1].textContent = (sample ? '(' + sample + ')' : '') + (l.params ? '  ' + l.params.toLocaleString('en') + ' params' : '');
    svg.append(g);
  });
  host.replaceChildren(svg);
}

function drawConfig(r) {
  const run = r && r.run;
  const rows = [];
  if (run) {
    const cfg = run.config || {};
    rows.push(['run', run.name], ['status', run.status], ['started', run.started], ['updated', run.updated],
      ['axon', run.axon], ['command', (cfg.command || []).join(' ')], ['parameters', (run.model.params || 0).toLocaleString('en')],
      ['batch', run.model.batch], ['threads', cfg.threads], ['training samples', cfg.train_samples]);
  }
  document.getElementById('summary').replaceChildren(...rows.filter(x => x[1] !== undefined).map(([k, v]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th'), td = document.createElement('td');
    th.textContent = k;
    td.textContent = v;
    tr.append(th, td);
    return tr;
  }));
  const cfg = run ? Object.assign({}, run.config) : {};
  const spec = cfg.spec;
  delete cfg.spec;
  document.getElementById('config').textContent = run ? (spec ? spec + '\n' : '') + JSON.stringify(cfg, null, 2) : '';
}

function drawRuns() {
  const body = document.querySelector('#runs tbody');
  body.replaceChildren(...[...state.runs.values()].map(r => {
    const tr = document.createElement('tr');
    tr.dataset.run = r.name;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = state.selected.has(r.name);
    box.onchange = () => {
      if (box.checked) { state.selected.add(r.name); state.unselected.delete(r.name); }
      else { state.selected.delete(r.name); state.unselected.add(r.name); }
      render();
    };
    const last = r.epochs && r.epochs.length ? r.epochs[r.epochs.length - 1] : {};
    const status = (r.run && r.run.status) || '?';
    const cells = [null, r.name, status, last.epoch ?? 0, last.step ?? 0,
      last.loss !== undefined ? last.loss.toFixed(4) : '', last.val_accuracy !== undefined ? last.val_accuracy.toFixed(4) : ''];
    cells.forEach((v, i) => {
      const td = document.createElement('td');
      if (i === 0) {
        const sw = document.createElement('span');
        sw.className = 'swatch';
        sw.style.background = r.color;
        td.append(box, ' ', sw);
      } else td.textContent = v;
      if (i === 2) td.className = 'status-' + status;
      tr.append(td);
    });
    return tr;
  }));
  const focus = document.getElementById('focus');
  const names = [...state.runs.keys()];
  if ([...focus.options].map(o => o.value).join('|') !== names.join('|')) {
    focus.replaceChildren(...names.map(n => new Option(n, n)));
  }
  if (!state.focus || !state.runs.has(state.focus)) state.focus = names[names.length - 1] || null;
  if (state.focus) focus.value = state.focus;
}

function render() {
  drawRuns();
  drawCurves(document.getElementById('epoch-charts'), 'epoch-', 'epoch', r => r.epochs,
    scalarKeys(r => r.epochs, ['epoch', 'step', 'time']));
  drawCurves(document.getElementById('step-charts'), 'step-', 'step', r => r.steps,
    scalarKeys(r => r.steps, ['epoch', 'step', 'time']).filter(k => STEP_KEYS.includes(k)));
  const r = state.runs.get(state.focus);
  drawHistograms(r);
  drawConfusion(r);
  drawGraph(r);
  drawConfig(r);
  state.updates++;
  document.body.dataset.updates = state.updates;
}

// the controls, then the data: inlined (a report) or polled (the board)
function start() {
  const sm = document.getElementById('smoothing');
  sm.oninput = () => {
    state.smoothing = Number(sm.value);
    document.getElementById('smoothing-value').textContent = sm.value;
    render();
  };
  document.getElementById('log-axis').onchange = e => { state.log = e.target.checked; render(); };
  document.getElementById('focus').onchange = e => { state.focus = e.target.value; render(); };
  document.getElementById('tensor').onchange = () => render();
  if (inline) {
    const data = JSON.parse(inline.textContent);
    for (const run of data.runs) absorb(run.name, run.files);
    document.getElementById('mode').textContent = 'report, written ' + data.written;
    render();
  } else {
    poll();
  }
}

start();
