// Bench: the run browser's Runs page over 5,000 synthetic run records shaped like a quick.yaml
// run (15 nodes with their key material, 320 metric rows: ~31 kB each), and one sweep record per
// 10 of them (500 sweeps, rows of the page beside the runs). Prints the time the
// server takes to print its URL, the first page over plain HTTP right after (newest first: only
// its 50 records are read), a sorted page right after (it waits for the background index of every
// record: the anchor, what the first page cost when the server read every record before
// listening), then sorted and filtered pages; and opens in headless Chromium (navigation start
// to load, as the page measures it): in a fresh browser right after the server starts, then
// again and sorted and filtered once indexed (three opens each).
// Goal: a page opens in under 1 s. Run from the repository root after `npm run build`:
//   node dist/bench/ui/runs-page.js [records]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import puppeteer from 'puppeteer-core';
import { registry } from '../../nodes/index.js';
import { serve } from '../../ui/server/listen.js';

const N = Number(process.argv[2] ?? 5000);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NODES = ['scans', 'crop', 'median', 'mask', 'lung', 'window', 'cnn', 'embed', 'seq-lstm', 'seq-swin', 'lstm', 'swin', 'ensemble', 'ensemble3', 'evaluate'];
const MODELS = ['cnn', 'lstm', 'swin', 'ensemble'].flatMap((m) => [m, `${m} (Mean 10)`]);
const METRICS = ['sensitivity', 'specificity', 'macro_f1', 'accuracy', 'auc', 'tp', 'fp', 'tn', 'fn', 'n'];

function record(i: number) {
  const graph = ['quick', 'no-median', 'center-window', 'window-fraction.f0.3'][i % 4];
  const started = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  const hex = (n: number) => (n * 2654435761 >>> 0).toString(16).padStart(8, '0');
  const key = (n: number) => hex(n).repeat(8);
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return {
    id: `${graph}-${stamp}-${hex(i).slice(0, 4)}`, graph, file: `graphs/${graph}.yaml`,
    startedAt: started.toISOString(), finishedAt: new Date(started.getTime() + 47_000 + (i % 90) * 1000).toISOString(), status: i % 37 ? 'ok' : 'failed',
    provenance: { git: { commit: hex(i >> 4).repeat(5), dirty: i % 3 === 0 }, lockfileSha256: key(7), node: 'v20.19.0', backend: 'wasm' },
    nodes: Object.fromEntries(NODES.map((id, k) => [id, {
      kind: id, key: key(i * 31 + k), status: k < (i % NODES.length) ? 'cached' : 'ran', reason: 'cache entry missing', ms: 1000 + k,
      material: { kind: id, version: 1, impl: key(k), params: { size: 3, fraction: 0.5, epochs: 10, seed: 7 }, inputs: { slices: key(k + 1) } },
    }])),
    metrics: ['validation', 'test'].flatMap((split) => MODELS.flatMap((model) => METRICS.map((metric, m) => ({ node: 'evaluate', model, split, metric, value: ((i * 7 + m) % 100) / 100 })))),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ctflow-ui-bench-'));
for (let i = 0; i < N; i++) {
  const r = record(i);
  mkdirSync(join(dir, 'records', r.id), { recursive: true });
  writeFileSync(join(dir, 'records', r.id, 'record.json'), JSON.stringify(r, null, 2) + '\n');
}
const SWEEP = 10;
mkdirSync(join(dir, 'sweeps'));
for (let i = 0; i + SWEEP <= N; i += SWEEP) {
  const runs = Array.from({ length: SWEEP }, (_, k) => record(i + k));
  const id = runs[0].id.replace(/^[^]*?(-\d{8}T\d{6}-)/, 'sweep-quick$1');
  writeFileSync(join(dir, 'sweeps', `${id}.json`), JSON.stringify({ id, file: 'graphs/sweeps/seeds.yaml', startedAt: runs[0].startedAt, finishedAt: runs[SWEEP - 1].finishedAt, runs: runs.map((r) => r.id) }, null, 2) + '\n');
}
console.log(`${N} records written to ${dir} (${(JSON.stringify(record(1), null, 2).length / 1024).toFixed(0)} kB each), and ${Math.floor(N / SWEEP)} sweeps of ${SWEEP} of them`);

const load = () => `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
const version = (p: string) => (JSON.parse(readFileSync(`node_modules/${p}/package.json`, 'utf8')) as { version: string }).version;
console.log(`${cpus()[0].model}, ${availableParallelism()} cores, ${load()}; node ${process.version}, hono ${version('hono')}, puppeteer-core ${version('puppeteer-core')}`);

async function timed(what: string, path: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(new URL(path, server.url));
  const html = await res.text();
  const ms = performance.now() - t0;
  console.log(`HTTP ${what}: ${ms.toFixed(0)} ms (${res.status}, ${(html.length / 1024).toFixed(0)} kB)`);
  return ms;
}

const browser = existsSync(CHROMIUM)
  ? await puppeteer.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'ctflow-ui-bench-chromium-'))}`] })
  : undefined;
const page = await browser?.newPage();

/** Open `path` in Chromium (three times unless `once`): navigation start to the end of the load event, as the page measured it. */
async function opened(what: string, path: string, once = false): Promise<void> {
  if (!page) return;
  const times: number[] = [];
  for (let k = 0; k < (once ? 1 : 3); k++) {
    await page.goto(new URL(path, server.url).href, { waitUntil: 'load' });
    times.push(Number(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd')));
  }
  const rows = await page.$$eval('table.runs tbody tr', (trs) => trs.length);
  console.log(`Chromium ${what}: ${times.map((x) => x.toFixed(0)).join(', ')} ms to load (${rows} rows shown)`);
}

let t = performance.now();
const server = await serve({ runsDir: dir, registry, host: '127.0.0.1', port: 0 });
console.log(`server ready (records are indexed in the background): ${(performance.now() - t).toFixed(0)} ms`);
await opened('open right after start (cold browser)', '/', true);
const first = await timed('first page, right after start', '/');
await timed('sorted by macro-F1, right after start (waits for the index of every record)', '/?sort=m:macro_f1&dir=desc');
const anchor = performance.now() - t;
console.log(`every record indexed ${anchor.toFixed(0)} ms after start (the anchor: what the server took before listening when it read them all first)`);
console.log(`first page / full index: ${(first / anchor).toFixed(3)} (${(anchor / first).toFixed(1)}× faster than reading every record first)`);

const pages = [['first page', '/'], ['sorted by macro-F1', '/?sort=m:macro_f1&dir=desc'], ['filtered and paged', '/?q=no-median&status=ok&page=7'], ['sweeps by validation AUC', '/?kind=sweep&split=validation&sort=m:auc&dir=desc']];
for (const [what, path] of pages) await timed(`${what}, indexed`, path);

for (const [what, path] of [['open again', '/'], ...pages.slice(1)]) await opened(`${what}, indexed`, path);
if (!browser) console.log(`no ${CHROMIUM}: browser timings skipped`);
await browser?.close();
console.log(load());
await server.close();
rmSync(dir, { recursive: true, force: true });
