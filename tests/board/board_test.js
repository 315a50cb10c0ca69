// The board and the report in a real browser (Debian's chromium, driven by
// npm's playwright-core), plus bad requests and a bounded load test over
// HTTP. Run by tests/board/run.sh, which trains the runs and starts the
// board:
//   node board_test.js PORT RUNS_DIR REPORT_HTML SHOTS_DIR SPEC:RUN...
// Every check prints a line; exits 1 if any failed.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE ? path.join(process.env.PLAYWRIGHT_CORE, 'index.js') : 'playwright-core');

const [port, runsDir, reportFile, shots, ...specRuns] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
let failed = 0, passed = 0;
function check(ok, what) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}
const sleep = ms => new Promise(r => setTimeout(r, ms));
const lines = file => fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(l => l.trim()).length : 0;

// A spec's layer names, read from the spec text itself (not from axon):
// the second word of every line but comments and the loss.
function specLayers(file) {
  return fs.readFileSync(file, 'utf8').split('\n').map(l => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map(l => l.split(/\s+/)).filter(w => w[0] !== 'loss').map(w => w[1]);
}

// raw HTTP: the path is sent as written, never normalised by a client
function request(pathname, { method = 'GET', headers = {}, agent } = {}) {
  return new Promise(resolve => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers, agent }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', e => resolve({ status: 0, error: e.message, body: Buffer.alloc(0) }));
    req.end();
  });
}

// points of a run's curve of `key` in the page's chart
async function points(page, key, run) {
  return page.evaluate(([key, run]) => {
    const canvas = document.getElementById(key);
    const chart = canvas && Chart.getChart(canvas);
    const ds = chart && chart.data.datasets.find(d => d.label === run);
    return ds ? ds.data.length : -1;
  }, [key, run]);
}

async function waitFor(what, fn, ms) {
  const end = Date.now() + ms;
  let v;
  while (Date.now() < end) {
    if ((v = await fn())) return v;
    await sleep(200);
  }
  return v;
}

// the views every run shows: its curves' points, its graph's layers, the
// histograms' counts and the confusion matrix
async function checkViews(page, where, run, spec, runDir) {
  const epochs = lines(path.join(runDir, 'epochs.jsonl'));
  check(await points(page, 'epoch-loss', run) === epochs, `${where}: ${run}'s loss curve has ${epochs} points, one per epoch logged`);
  const steps = lines(path.join(runDir, 'steps.jsonl'));
  check(await points(page, 'step-loss', run) === steps, `${where}: ${run}'s step-loss curve has ${steps} points`);
  await page.selectOption('#focus', run);
  const want = specLayers(spec);
  const drawn = await page.$$eval('#graph g.layer', gs => gs.map(g => g.dataset.layer));
  const missing = want.filter(l => !drawn.includes(l));
  check(want.length > 0 && missing.length === 0, `${where}: the graph of ${run} draws every layer of its spec (${want.join(', ')})${missing.length ? '; missing ' + missing : ''}`);
  const edges = await page.$$eval('#graph path.edge', p => p.length);
  check(edges >= want.length - 1, `${where}: the graph connects the layers (${edges} edges)`);
  // the last histogram of the first weight: its counts add up to the tensor's size
  const hist = JSON.parse(fs.readFileSync(path.join(runDir, 'histograms.jsonl'), 'utf8').trim().split('\n').pop());
  const first = hist.tensors[0];
  await page.selectOption('#tensor', first.kind + ': ' + first.name);
  const sum = await page.evaluate(() => {
    const c = Chart.getChart(document.getElementById('hist-chart'));
    const d = c.data.datasets[c.data.datasets.length - 1];
    return d ? d.data.reduce((a, p) => a + p.y, 0) : -1;
  });
  check(sum === first.n, `${where}: the histogram of ${first.name} counts its ${first.n} values (${sum})`);
  const confusion = path.join(runDir, 'confusion.json');
  if (fs.existsSync(confusion)) {
    const c = JSON.parse(fs.readFileSync(confusion, 'utf8'));
    const cells = await page.$$eval('#confusion td', tds => tds.map(td => Number(td.textContent)));
    check(cells.length === c.classes * c.classes && cells.reduce((a, b) => a + b, 0) === c.total,
      `${where}: the confusion matrix of ${run} has ${c.classes}x${c.classes} cells adding up to ${c.total} held-out samples`);
  }
}

async function boardChecks(browser, runs) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/?poll=300`);
  const rows = await waitFor('runs', () => page.$$eval('#runs tbody tr', (r, n) => r.length >= n ? r.length : 0, runs.length), 20000);
  check(rows === runs.length, `board: lists the ${runs.length} runs (${rows})`);
  await page.evaluate(() => { window.__same_page = 1; });
  // the live run: wait until its curve matches its log, then for one more epoch without reloading
  const live = runs.find(r => r.run === 'live');
  const liveDir = path.join(runsDir, 'live');
  const n1 = await waitFor('live', async () => { const n = await points(page, 'epoch-loss', 'live'); return n > 0 ? n : 0; }, 30000);
  const status1 = JSON.parse(fs.readFileSync(path.join(liveDir, 'run.json'), 'utf8')).status;
  check(n1 > 0 && status1 === 'running', `board: the live run is drawn while it trains (${n1} epochs, status ${status1})`);
  const n2 = await waitFor('next epoch', async () => { const n = await points(page, 'epoch-loss', 'live'); return n > n1 ? n : 0; }, 60000);
  check(n2 > n1 && await page.evaluate(() => window.__same_page === 1),
    `board: a new epoch of the live run appears without a reload (${n1} -> ${n2} points)`);
  await page.screenshot({ path: path.join(shots, 'board.png'), fullPage: true });
  await page.screenshot({ path: path.join(shots, 'board-view.png') }); // the README's picture
  for (const r of runs.filter(r => r !== live)) await checkViews(page, 'board', r.run, r.spec, path.join(runsDir, r.run));
  // the live one again, its log now to be matched exactly
  const match = await waitFor('live matches', async () => (await points(page, 'epoch-loss', 'live')) === lines(path.join(liveDir, 'epochs.jsonl')), 10000);
  check(match, 'board: the live run\'s curve has as many points as its log has epochs');
  const runsDrawn = await page.evaluate(() => Chart.getChart(document.getElementById('epoch-loss')).data.datasets.map(d => d.label));
  check(runs.every(r => runsDrawn.includes(r.run)), `board: the loss chart overlays every run (${runsDrawn.join(', ')})`);
  await page.check('#log-axis');
  check(await page.evaluate(() => Chart.getChart(document.getElementById('epoch-loss')).options.scales.y.type) === 'logarithmic', 'board: the log axis applies');
  await page.fill('#smoothing', '0.9');
  await page.dispatchEvent('#smoothing', 'input');
  const smoothed = await page.evaluate(() => {
    const d = Chart.getChart(document.getElementById('epoch-loss')).data.datasets.find(d => d.label === 'hundred');
    return d.data[d.data.length - 1].y;
  });
  const hundred = fs.readFileSync(path.join(runsDir, 'hundred', 'epochs.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);
  let ema = 0;
  hundred.forEach((o, i) => { ema = ema * 0.9 + 0.1 * o.loss; });
  const want = ema / (1 - Math.pow(0.9, hundred.length));
  check(Math.abs(smoothed - want) < 1e-9 * Math.max(1, Math.abs(want)), `board: smoothing 0.9 is the debiased moving average (${smoothed} vs ${want})`);
  check(errors.length === 0, `board: no script errors${errors.length ? ': ' + errors.join('; ') : ''}`);
  await page.close();
}

async function reportChecks(browser, runs) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [], fetched = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    fetched.push(url);
    return route.abort();
  });
  await page.goto('file://' + path.resolve(reportFile));
  const mode = await waitFor('report', () => page.$eval('#mode', e => e.textContent.startsWith('report') ? e.textContent : ''), 10000);
  check(!!mode, `report: opens from disk and draws its inlined data (${mode})`);
  for (const r of runs) await checkViews(page, 'report', r.run, r.spec, path.join(runsDir, r.run));
  check(fetched.length === 0, `report: needs nothing beyond the file${fetched.length ? ' (asked for ' + fetched.join(', ') + ')' : ''}`);
  check(errors.length === 0, `report: no script errors${errors.length ? ': ' + errors.join('; ') : ''}`);
  await page.screenshot({ path: path.join(shots, 'report.png'), fullPage: true });
  await page.selectOption('#focus', runs[0].run);
  await page.evaluate(() => { document.getElementById('tensor').closest('section').scrollIntoView(); window.scrollBy(0, -60); });
  await page.screenshot({ path: path.join(shots, 'report-view.png') }); // histograms, confusion matrix, graph
  await page.close();
}

async function badRequests() {
  const cases = [
    ['/api/runs/nope/run.json', {}, [404], 'an unknown run'],
    ['/api/runs/first/nope.json', {}, [404], 'an unknown file'],
    ['/api/runs/../../../../etc/passwd', {}, [400, 403, 404], 'a ../ path'],
    ['/api/runs/first/..%2f..%2f..%2fetc%2fpasswd', {}, [400, 403, 404], 'an encoded ../ path'],
    ['/api/runs/first/%2Fetc%2Fpasswd', {}, [400, 403, 404], 'an absolute path'],
    ['/api/runs/first/.hidden', {}, [400], 'a hidden file'],
    ['/api/runs/first', {}, [400], 'a run without a file'],
    ['/' + 'a'.repeat(200000), {}, [413, 414, 431], 'a 200 KB request line'],
    ['/', { headers: { 'X-Big': 'b'.repeat(200000) } }, [413, 431], 'a 200 KB header'],
    ['/', { method: 'POST' }, [405], 'a POST'],
    ['/api/runs/first/run.json', { method: 'DELETE' }, [405], 'a DELETE'],
    ['/', { headers: { Host: 'attacker.example' } }, [403], 'a foreign Host (DNS rebinding)'],
  ];
  for (const [p, opt, want, what] of cases) {
    const r = await request(p, opt);
    check(want.includes(r.status), `requests: ${what} gets ${want.join(' or ')} (${r.status || r.error})`);
  }
  const passwd = await request('/api/runs/first/run.json');
  check(passwd.status === 200 && !passwd.body.toString().includes('root:'), 'requests: the board still answers, with the run\'s own file');
}

// 50 page loads at once of the 100-epoch run: every request a page makes,
// each on its own connection
async function loadTest() {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const want = lines(path.join(runsDir, 'hundred', 'epochs.jsonl'));
  const t0 = Date.now();
  const loads = await Promise.all(Array.from({ length: 50 }, async () => {
    const urls = ['/', '/board.js', '/board.css', '/chart.js', '/api/runs',
      ...['run.json', 'epochs.jsonl', 'steps.jsonl', 'histograms.jsonl'].map(f => '/api/runs/hundred/' + f)];
    const res = await Promise.all(urls.map(u => request(u, { agent })));
    const epochs = res[6].body.toString().trim().split('\n').length;
    return res.every(r => r.status === 200 && Number(r.headers['content-length']) === r.body.length) && epochs === want;
  }));
  const ok = loads.filter(Boolean).length;
  check(ok === 50, `load: 50 concurrent page loads of the ${want}-epoch run, ${ok * 10} requests all answered in full (${Date.now() - t0} ms)`);
}

(async () => {
  const runs = specRuns.map(s => { const i = s.lastIndexOf(':'); return { spec: s.slice(0, i), run: s.slice(i + 1) }; });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  }); // playwright gives each launch a fresh profile folder (its own --user-data-dir)
  try {
    await boardChecks(browser, runs);
    await reportChecks(browser, runs.filter(r => r.run !== 'live'));
    await badRequests();
    await loadTest();
  } catch (e) {
    check(false, 'the browser checks ran to the end: ' + e.stack);
  }
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
