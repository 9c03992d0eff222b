// The run browser as a researcher walks it, in headless Chromium: Runs → tick two runs → Compare
// (numbers equal `ctflow compare --format json`) → Scans (filter "runs disagree"; probabilities
// equal the mean of the draws in the cache) → a disagreeing scan → its lung-area chart, slice
// thumbnails and the slices its sampler drew; then a run's page, a sweep's comparison and a
// graph's status. No console errors, no request leaves the server. With
// CTFLOW_UI_SCREENSHOTS=DIR each page is saved there as PNG.
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'puppeteer-core';
import { formatSummary, type Comparison } from '../../engine/compare.js';
import { RunData } from '../../engine/report/run-data.js';
import { readRecord } from '../../engine/runs.js';
import { Store } from '../../engine/store.js';
import type { Serving } from '../../ui/server/listen.js';
import { ctflow } from '../helpers/cli.js';
import { requireChromium } from '../report/chromium.js';
import { launch, watchedPage, type Watched } from './browser.js';
import { serveRuns, uiFixture } from './fixture.js';
import { uiRegistry } from './kinds.js';

const SHOTS = process.env.CTFLOW_UI_SCREENSHOTS;

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `ui-${name}.png`), fullPage: false });
}

function cliCompare(runsDir: string, ids: string[]): Comparison {
  const r = ctflow(['compare', ...ids, '--format', 'json', '--runs', runsDir], process.cwd());
  expect(r.code, r.err).to.equal(0);
  return JSON.parse(r.out) as Comparison;
}

/** The metrics table as shown: metric → per column [text, data-mean, best]. */
function shownMetrics(page: Page) {
  return page.$$eval('table.metrics tbody tr', (trs) => trs.map((tr) => ({
    metric: tr.getAttribute('data-metric')!,
    cells: [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent!, mean: td.getAttribute('data-mean'), best: td.classList.contains('best') })),
  })));
}

async function expectMetricsAsCli(page: Page, cli: Comparison): Promise<void> {
  const shown = await shownMetrics(page);
  expect(shown.map((m) => m.metric)).to.deep.equal(cli.metrics.map((m) => m.metric));
  for (const [i, m] of cli.metrics.entries()) {
    expect(shown[i].cells.map((c) => (c.mean === null ? null : Number(c.mean))), m.metric).to.deep.equal(m.values.map((v) => v?.mean ?? null));
    expect(shown[i].cells.map((c) => c.text.replace(/ \*$/, '')), m.metric).to.deep.equal(m.values.map((v) => formatSummary(v)));
    expect(shown[i].cells.map((c, k) => c.best && k), m.metric).to.deep.equal(m.values.map((_, k) => m.best === k && k));
  }
}

describe('ctflow ui: runs → compare → scans → a scan, in headless Chromium', function () {
  let browser: Browser;
  let server: Serving;
  let origin: string;
  let w: Watched;
  before(async function () {
    requireChromium(this);
    server = await serveRuns((await uiFixture()).runsDir);
    origin = new URL(server.url).origin;
    browser = await launch();
    w = await watchedPage(browser, origin);
  });
  afterEach(() => {
    expect(w.problems).to.deep.equal([]);
    expect(w.external).to.deep.equal([]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Compare of two ticked runs shows what ctflow compare --format json computes', async () => {
    const { runs, runsDir } = await uiFixture();
    await w.page.goto(server.url, { waitUntil: 'load' });
    await shot(w.page, 'runs');
    for (const id of runs) await w.page.click(`input[value="${id}"]`);
    await Promise.all([w.page.waitForNavigation(), w.page.click('#selection button[type=submit]')]);
    expect(new URL(w.page.url()).pathname).to.equal('/compare');
    const ticked = new URL(w.page.url()).searchParams.getAll('run');
    expect(ticked).to.have.members(runs);
    const cli = cliCompare(runsDir, ticked);
    expect(await w.page.$$eval('table.metrics thead th', (ths) => ths.slice(1).map((th) => th.firstChild!.textContent))).to.deep.equal(cli.columns);
    await expectMetricsAsCli(w.page, cli);
    const visible = () => w.page.$$eval('table.params tbody tr', (trs) => trs.filter((tr) => (tr as HTMLElement).offsetParent !== null).map((tr) => tr.getAttribute('data-param')));
    expect(await visible()).to.deep.equal(cli.params.map((p) => p.path));
    expect(cli.params.map((p) => p.path)).to.include.members(['window.fraction', 'weak.skill', 'hist.epochs']);
    await w.page.click('#show-all');
    expect((await visible()).length).to.be.greaterThan(cli.params.length + 10);
    const differing = await w.page.$$eval('table.keys tr.differs', (trs) => trs.map((tr) => tr.getAttribute('data-node')));
    expect(differing).to.include.members(['window', 'good', 'weak', 'hist', 'evaluate']);
    // The two DAGs, each node outlined where the runs' cache keys differ: the same nodes as the table.
    expect(await w.page.$$eval('.dag-of', (ds) => ds.map((d) => d.getAttribute('data-run')))).to.deep.equal(ticked);
    for (const run of ticked) {
      const marked = await w.page.$$eval(`.dag-of[data-run="${run}"] .dag-node`, (gs) => gs.map((g) => [g.getAttribute('data-node'), g.getAttribute('data-diff')]));
      expect(marked.filter(([, d]) => d === 'differs').map(([n]) => n), run).to.have.members(differing);
      expect(Object.fromEntries(marked).scans, run).to.equal('same');
    }
    expect(await w.page.$eval('.dag-of .dag-node[data-node=window] rect', (r) => getComputedStyle(r).stroke)).to.equal('rgb(217, 72, 15)');
    expect(await w.page.$eval('.dag-of .dag-node[data-node=scans] rect', (r) => getComputedStyle(r).stroke)).to.not.equal('rgb(217, 72, 15)');
    await w.page.waitForSelector('body[data-charts=drawn]');
    expect(await w.page.$$eval('.vl svg', (svgs) => svgs.length)).to.be.at.least(4); // loss, ROC per split
    await shot(w.page, 'compare');
    if (SHOTS) await (await w.page.$('.dags'))!.screenshot({ path: join(SHOTS, 'ui-compare-dags.png') });
  });

  it('Scans filtered to "runs disagree" shows each run\'s mean probability, widest spread first', async () => {
    const { runsDir } = await uiFixture();
    await Promise.all([w.page.waitForNavigation(), w.page.click('a[href^="/scans?"]')]);
    await w.page.select('select[name=filter]', 'disagree');
    await Promise.all([w.page.waitForNavigation(), w.page.click('.filters button')]);
    const rows = await w.page.$$eval('table.scans tbody tr', (trs) => trs.map((tr) => ({
      scan: tr.getAttribute('data-scan')!, disagree: tr.classList.contains('disagree'),
      probs: [...tr.querySelectorAll('td[data-prob]')].map((td) => Number(td.getAttribute('data-prob'))),
      spread: Number(tr.querySelector('td:last-child')!.textContent),
    })));
    expect(rows.length).to.be.greaterThan(0);
    expect(rows.every((r) => r.disagree)).to.equal(true);
    expect(rows.map((r) => r.spread)).to.deep.equal([...rows.map((r) => r.spread)].sort((a, b) => b - a));
    // Columns: run × model (good, weak); each value the mean of that scan's draws in the cache.
    const expected = new Map<string, number[]>();
    for (const id of new URL(w.page.url()).searchParams.getAll('run')) {
      const record = readRecord(runsDir, id)!;
      const data = RunData.load(runsDir, record, new Store(runsDir), uiRegistry);
      for (const node of ['good', 'weak']) {
        const sums = new Map<string, number[]>();
        for (const r of (await data.rows({ node, port: 'predictions' }, ['scan_id', 'prob']))!) (sums.get(String(r.scan_id)) ?? sums.set(String(r.scan_id), []).get(String(r.scan_id))!).push(Number(r.prob));
        for (const [scan, ps] of sums) (expected.get(scan) ?? expected.set(scan, []).get(scan)!).push(ps.reduce((a, b) => a + b, 0) / ps.length);
      }
    }
    for (const r of rows) expect(r.probs.map((p) => p.toFixed(6)), r.scan).to.deep.equal(expected.get(r.scan)!.map((p) => p.toFixed(6)));
    await shot(w.page, 'scans');
  });

  it('a disagreeing scan shows its probabilities, lung areas with each run\'s window and its slices', async () => {
    const { runsDir } = await uiFixture();
    const scan = await w.page.$eval('table.scans tbody tr', (tr) => tr.getAttribute('data-scan')!);
    await Promise.all([w.page.waitForNavigation(), w.page.click('table.scans tbody tr a')]);
    expect(await w.page.$eval('h1', (h) => h.textContent)).to.equal(`Scan ${scan}`);
    expect(await w.page.$$eval('table.probs tbody tr', (trs) => trs.length)).to.equal(4);
    await w.page.waitForSelector('body[data-charts=drawn]');
    expect(await w.page.$$eval('.vl svg path', (ps) => ps.length)).to.be.greaterThan(2);
    await w.page.waitForFunction(() => [...document.images].every((i) => i.complete));
    const thumbs = await w.page.$$eval('.thumbs img', (imgs) => imgs.map((i) => ({ w: (i as HTMLImageElement).naturalWidth, inWindow: i.classList.contains('in-window') })));
    const first = new URL(w.page.url()).searchParams.getAll('run')[0]; // the strip shows the first run's slices and window
    const data = RunData.load(runsDir, readRecord(runsDir, first)!, new Store(runsDir), uiRegistry);
    const win = (await data.rows({ node: 'window', port: 'windows' }, ['scan_id', 'n_slices', 'start', 'end']))!.find((r) => r.scan_id === scan)!;
    expect(thumbs.length).to.equal(win.n_slices);
    expect(thumbs.every((t) => t.w === 96)).to.equal(true);
    expect(thumbs.filter((t) => t.inWindow).length).to.equal(Number(win.end) - Number(win.start));
    // The sampler's draws of each run, within that run's window; the first run's counted under the thumbnails.
    const draws = await w.page.$$eval('table.draws tbody tr', (trs) => trs.map((tr) => tr.querySelector('td:last-child')!.textContent!.split(', ').map(Number)));
    expect(draws).to.have.length(6);
    const firstDraws = (await data.rows({ node: 'sample', port: 'sequences' }, ['scan_id', 'slices']))!.filter((r) => r.scan_id === scan).map((r) => Array.from(r.slices as Iterable<number>));
    expect(draws.slice(0, 3)).to.deep.equal(firstDraws);
    for (const d of firstDraws) for (const i of d) expect(i).to.be.within(Number(win.start), Number(win.end) - 1);
    const counted = await w.page.$$eval('.thumbs .sampled', (ss) => ss.reduce((n, s) => n + Number(s.textContent!.slice(1)), 0));
    expect(counted).to.equal(9);
    await shot(w.page, 'scan');
  });

  it('a run\'s page shows its report: the DAG, metrics, curves, lung areas and slice panels', async () => {
    const { runs } = await uiFixture();
    await w.page.goto(`${origin}/run/${runs[0]}`, { waitUntil: 'load' });
    expect(await w.page.$$eval('main section', (ss) => ss.map((s) => s.id))).to.deep.equal(['dag', 'metrics', 'training', 'roc', 'lung-area', 'panels']);
    expect(await w.page.$$eval('main img', (imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0))).to.equal(true);
    await shot(w.page, 'run');
  });

  it('Compare of a sweep (its replicates) and a run gives mean ± sd [CI] as the CLI does', async () => {
    const { runs, sweepRuns, sweepId, runsDir } = await uiFixture();
    const ids = [...sweepRuns, runs[1]];
    await w.page.goto(`${origin}/compare?sweep=${sweepId}&run=${runs[1]}`, { waitUntil: 'load' });
    const cli = cliCompare(runsDir, ids);
    expect(cli.columns).to.deep.equal(['ui-reps', runs[1]]);
    await expectMetricsAsCli(w.page, cli);
    expect(await w.page.$$eval('table.metrics td', (tds) => tds.some((td) => / ± .*\[/.test(td.textContent!)))).to.equal(true);
    await w.page.waitForSelector('body[data-charts=drawn]');
  });

  it('a graph\'s page plans it without running: every node cached, the DAG drawn', async () => {
    await w.page.goto(`${origin}/graphs`, { waitUntil: 'load' });
    await Promise.all([w.page.waitForNavigation(), w.page.click('a[href="/graph/ui-base"]')]);
    expect(await w.page.$eval('[data-field=summary]', (b) => b.textContent)).to.match(/^all 11 nodes are cached/);
    expect(await w.page.$$eval('svg.dag .dag-node', (gs) => gs.map((g) => g.getAttribute('data-status')))).to.have.length(11);
    await shot(w.page, 'graph');
  });
});
