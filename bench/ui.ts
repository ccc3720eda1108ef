// Dashboard benchmark: the JavaScript and CSS a first visit downloads (gzipped, as the server
// sends them; all lazily loaded pages beside), and the time the apps page takes to show 100 apps
// in headless chromium — beside two baselines measured in the same browser and run: the same
// page with 1 app, and a static HTML table of 100 rows (no script). Also the longest main-thread
// task during the load (a "visible stall" is one over ~100 ms) and the page's JS heap once shown.
// Exits 1 when the first load ships 200 KB of JavaScript (gzipped) or more: the budget.
// Run: npx tsx bench/ui.ts [loads=7]
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { ensureUiBuilt, launchBrowser, UI_DIST } from '../test/helpers/browser.js';
import { startTestServer, uniqueName, type TestServer } from '../test/helpers/server.js';
import { median, runBench } from './lib/loadgen.js';
import { CHROMIUM } from './lib/needs.js';

const LOADS = Number(process.argv[2] ?? 7);
const BUDGET_JS = 200 * 1024;
const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

function shipped() {
  const html = readFileSync(path.join(UI_DIST, 'index.html'), 'utf8');
  const first = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
  const all = readdirSync(path.join(UI_DIST, 'assets'));
  const sum = (names: string[], ext: string) => names.filter((n) => n.endsWith(ext)).reduce((a, n) => a + gz(path.join(UI_DIST, 'assets', n)), 0);
  return { firstJs: sum(first, '.js'), firstCss: sum(first, '.css'), allJs: sum(all, '.js'), allCss: sum(all, '.css'), files: all.length };
}

interface Load {
  /** ms from navigation start to the frame that shows every row. */
  ms: number;
  /** ms from navigation start until GET /api/apps was answered (NaN for the static table). */
  fetched: number;
  longest: number;
  /** The page's JS heap (used) once the rows are shown, after a collection. */
  heap: number;
}

/** Loads `url` LOADS times in one tab and measures until `rows` app rows are shown. */
async function measure(page: Page, url: string, rows: number): Promise<Load> {
  await page.addInitScript(() => {
    const w = window as unknown as { longest: number };
    w.longest = 0;
    new PerformanceObserver((l) => l.getEntries().forEach((e) => (w.longest = Math.max(w.longest, e.duration)))).observe({ type: 'longtask', buffered: true });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const loads: Load[] = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-app]').length >= n, rows, { polling: 'raf', timeout: 60_000 });
    const ms = await page.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => setTimeout(() => r(performance.now())))));
    const { longest, fetched } = await page.evaluate(() => ({
      longest: (window as unknown as { longest: number }).longest,
      fetched: (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) => e.name.endsWith('/api/apps'))?.responseEnd ?? NaN,
    }));
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    loads.push({ ms, fetched, longest, heap: metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN });
  }
  await cdp.detach();
  const of = (k: keyof Load) => median(loads.map((l) => l[k]));
  return { ms: of('ms'), fetched: of('fetched'), longest: of('longest'), heap: of('heap') };
}

async function dashboard(browser: Browser, s: TestServer, rows: number): Promise<Load> {
  const res = await fetch(`${s.url}/api/session`, { method: 'POST', headers: { origin: s.url, 'content-type': 'application/json' }, body: JSON.stringify({ token: s.token }) });
  const [name, value] = res.headers.get('set-cookie')!.split(';')[0]!.split('=');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addCookies([{ name: name!, value: value!, url: `${s.url}/api` }]);
  try {
    return await measure(await context.newPage(), `${s.url}/`, rows);
  } finally {
    await context.close();
  }
}

async function staticTable(browser: Browser): Promise<Load> {
  const rows = Array.from({ length: 100 }, (_, i) => `<tr data-app><td><a href="#">app-${i}</a></td><td>serving</td><td>v3</td><td>push · succeeded · 5 min ago</td></tr>`).join('');
  const server = http.createServer((_req, res) => res.end(`<!doctype html><meta charset=utf-8><table>${rows}</table>`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    return await measure(await context.newPage(), `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, 100);
  } finally {
    await context.close();
    server.close();
  }
}

async function main(): Promise<number> {
  ensureUiBuilt();
  const size = shipped();
  console.log(`shipped (gzip -9, as served): first load JS ${kb(size.firstJs)}, CSS ${kb(size.firstCss)}; every page JS ${kb(size.allJs)}, CSS ${kb(size.allCss)} (${size.files} files); budget: first-load JS < ${kb(BUDGET_JS)}`);

  const few = await startTestServer();
  const many = await startTestServer();
  const browser = await launchBrowser();
  try {
    const prefix = uniqueName('b');
    for (let i = 0; i < 100; i++) {
      const res = await many.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: `${prefix}-${String(i).padStart(3, '0')}` }) });
      if (res.status !== 201) throw new Error(`create app: ${res.status} ${await res.text()}`);
    }
    await few.api('/api/apps', { method: 'POST', body: JSON.stringify({ name: `${prefix}-one` }) });
    const hundred = await dashboard(browser, many, 100);
    const one = await dashboard(browser, few, 1);
    const plain = await staticTable(browser);
    const line = (r: Load) =>
      `${r.ms.toFixed(0)} ms to all rows shown` +
      (Number.isNaN(r.fetched) ? '' : ` (GET /api/apps answered at ${r.fetched.toFixed(0)} ms, rows ${(r.ms - r.fetched).toFixed(0)} ms later)`) +
      `; longest main-thread task ${r.longest.toFixed(0)} ms; JS heap ${mb(r.heap)}`;
    console.log(`apps page, 100 apps:                     ${line(hundred)}`);
    console.log(`baseline, apps page with 1 app:          ${line(one)}`);
    console.log(`baseline, static HTML table of 100 rows: ${line(plain)}`);
    console.log(`(medians of ${LOADS} loads each, 1280×800, headless chromium ${browser.version()}, same run)`);
  } finally {
    await browser.close();
    await many.stop();
    await few.stop();
  }
  return size.firstJs < BUDGET_JS ? 0 : 1;
}

runBench(main, { bench: 'ui', needs: [CHROMIUM, { service: 'docker' }, { service: 'redis' }, { service: 'registry' }] });
