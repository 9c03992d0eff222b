// The run browser in headless Chromium on runs made by the test: the Runs page loads without
// console errors or requests leaving the server, sorts and filters; pages of a run being recorded
// and of a graph whose file changes update themselves by polling; a run in progress shows each
// node's state and progress as it changes, then its report.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'puppeteer-core';
import { liveRuns } from '../../engine/live-runs.js';
import { readRecord } from '../../engine/runs.js';
import { Session } from '../../engine/session.js';
import type { Serving } from '../../ui/server/listen.js';
import { requireChromium } from '../report/chromium.js';
import { launch, watchedPage } from './browser.js';
import { serveRuns, uiFixture } from './fixture.js';
import { uiRegistry } from './kinds.js';
import { runFile, tempDir, writeGraph } from '../helpers/engine.js';

describe('ctflow ui in headless Chromium', function () {
  let browser: Browser;
  let server: Serving;
  let origin: string;
  before(async function () {
    requireChromium(this);
    server = await serveRuns((await uiFixture()).runsDir);
    origin = new URL(server.url).origin;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Runs lists every run and sweep newest first with status, counts and headline metrics; sorts and filters', async () => {
    const { runsDir, runs, sweepRuns, sweepId, corrupt, incomplete } = await uiFixture();
    const w = await watchedPage(browser, origin);
    await w.page.goto(server.url, { waitUntil: 'load' });
    // Cells of the metric columns by the header's order (a run's value: data-value, its model and split in the title).
    const listed = async () => w.page.$$eval('table.runs tbody tr', (trs, metrics) => trs.map((tr) => ({ id: tr.getAttribute('data-run'), kind: tr.getAttribute('data-kind'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()), values: Object.fromEntries(metrics.flatMap((m, i) => { const v = tr.children[8 + i].getAttribute('data-value'); return v === null ? [] : [[m, v]]; })) })), await w.page.$$eval('table.runs thead th[data-metric]', (ths) => ths.map((th) => th.getAttribute('data-metric')!)));
    const rows = await listed();
    expect(rows.map((r) => r.id)).to.have.members([...runs, ...sweepRuns, sweepId, corrupt, incomplete]);
    expect(rows.slice(-2).map((r) => r.id)).to.have.members([incomplete, corrupt]); // newest first; they have no start time
    // The metric columns are the evaluator's headline metrics the records hold.
    expect(await w.page.$$eval('table.runs thead th[data-metric]', (ths) => ths.map((th) => th.textContent!.trim()))).to.deep.equal(['macro-F1', 'accuracy', 'AUC', 'sensitivity', 'specificity']);
    const base = rows.find((r) => r.id === runs[0])!;
    expect(base.cells[2]).to.equal('ui-base');
    expect(base.cells[5]).to.equal('ok');
    expect(base.cells[8]).to.match(/^\d\.\d{3}$/);
    expect(await w.page.$eval(`tr[data-run="${runs[0]}"] td:nth-child(9)`, (td) => td.getAttribute('title'))).to.match(/, test$/);
    // A run's value: its best model's on the test split, as its record holds it.
    const best = (id: string, metric: string) => Math.max(...readRecord(runsDir, id)!.metrics.filter((m) => m.split === 'test' && m.metric === metric && Number.isFinite(m.value)).map((m) => m.value));
    expect(Number(base.values.macro_f1)).to.equal(best(runs[0], 'macro_f1'));
    for (const metric of ['auc', 'accuracy']) expect(base.values[metric] === undefined ? -Infinity : Number(base.values[metric]), metric).to.equal(best(runs[0], metric)); // an AUC undefined on test is left blank
    // The sweep is one row: its runs' counts summed; its value the best model's mean over the two replicates.
    const sweep = rows.find((r) => r.id === sweepId)!;
    expect(sweep.kind).to.equal('sweep');
    expect(sweep.cells[1]).to.equal(`sweep ${sweepId} 1 variant, 2 runs`);
    const reps = sweepRuns.map((id) => readRecord(runsDir, id)!);
    expect(Number(sweep.cells[6])).to.equal(reps.reduce((a, r) => a + Object.values(r.nodes).filter((n) => n.status === 'ran').length, 0));
    const models = [...new Set(reps[0].metrics.filter((m) => m.metric === 'macro_f1' && m.split === 'test').map((m) => m.model))];
    const meanOf = (model: string) => reps.map((r) => r.metrics.find((m) => m.model === model && m.split === 'test' && m.metric === 'macro_f1')!.value).reduce((a, b) => a + b) / reps.length;
    expect(models.length).to.be.greaterThan(1);
    expect(Number(sweep.values.macro_f1)).to.be.closeTo(Math.max(...models.map(meanOf)), 1e-12);
    // Sorted by AUC (clicked twice: descending, then ascending), then by graph.
    await Promise.all([w.page.waitForNavigation(), w.page.click('th[data-metric=auc] a')]);
    const aucs = (await listed()).map((r) => (r.values.auc === undefined ? -Infinity : Number(r.values.auc)));
    expect(aucs).to.deep.equal([...aucs].sort((a, b) => b - a));
    expect(await w.page.$eval('th[data-metric=auc] a', (a) => a.textContent)).to.equal('AUC ▼');
    await Promise.all([w.page.waitForNavigation(), w.page.click('th[data-metric=auc] a')]);
    const up = (await listed()).map((r) => (r.values.auc === undefined ? -Infinity : Number(r.values.auc)));
    expect(up).to.deep.equal([...up].sort((a, b) => a - b));
    // On the validation split: the values change to the records' validation ones.
    await w.page.select('select[name=split]', 'validation');
    await Promise.all([w.page.waitForNavigation(), w.page.click('.filters button')]);
    const onValidation = (await listed()).find((r) => r.id === runs[0])!;
    const onSplit = (metric: string) => Math.max(...readRecord(runsDir, runs[0])!.metrics.filter((m) => m.split === 'validation' && m.metric === metric && Number.isFinite(m.value)).map((m) => m.value));
    for (const metric of ['macro_f1', 'accuracy', 'auc']) expect(onValidation.values[metric] === undefined ? -Infinity : Number(onValidation.values[metric]), metric).to.equal(onSplit(metric));
    await w.page.click('th a[href*="sort=graph"]');
    await w.page.waitForSelector('th a[href*="sort=graph&dir=asc"]');
    const graphs = await w.page.$$eval('table.runs tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
    expect(graphs).to.deep.equal([...graphs].sort().reverse());
    await w.page.type('input[name=q]', 'ui-narrow');
    await Promise.all([w.page.waitForNavigation(), w.page.click('.filters button')]);
    expect((await listed()).map((r) => r.id)).to.deep.equal([runs[1]]);
    // Sweeps only; the sweep opens a Compare of its variants (one column: its two replicates).
    await w.page.goto(new URL('/?kind=sweep', server.url).href, { waitUntil: 'load' });
    expect((await listed()).map((r) => r.id)).to.deep.equal([sweepId]);
    await Promise.all([w.page.waitForNavigation(), w.page.click(`tr[data-run="${sweepId}"] a[href^="/compare"]`)]);
    expect(await w.page.$$eval('table.metrics thead th', (ths) => ths.map((th) => th.textContent))).to.deep.equal(['', 'ui-reps2 runs']);
    expect(w.problems).to.deep.equal([]);
    expect(w.external).to.deep.equal([]);
  });
});

describe('ctflow ui: pages that follow a run in progress', function () {
  let browser: Browser;
  let server: Serving;
  before(async function () {
    requireChromium(this);
    server = await serveRuns((await uiFixture()).runsDir);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a run being recorded shows as incomplete, then its report once record.json lands, without a reload by hand', async () => {
    const { runsDir, runs } = await uiFixture();
    const id = 'ui-base-20990101T000000-cafe';
    const dir = join(runsDir, 'records', id);
    mkdirSync(dir);
    const w = await watchedPage(browser, new URL(server.url).origin);
    try {
      await w.page.goto(new URL(`/run/${id}`, server.url).href, { waitUntil: 'load' });
      expect(await w.page.$eval('.problem b', (b) => b.textContent)).to.equal('incomplete');
      const from = join(runsDir, 'records', runs[0]);
      copyFileSync(join(from, 'graph.json'), join(dir, 'graph.json'));
      writeFileSync(join(dir, 'record.json'), JSON.stringify({ ...readRecord(runsDir, runs[0]), id }));
      await w.page.waitForSelector('section#dag', { timeout: 15_000 });
      await w.page.waitForFunction(() => document.readyState === 'complete'); // the rest of the streamed report
      expect(await w.page.$$eval('main section', (ss) => ss.map((s) => s.id))).to.include.members(['dag', 'metrics', 'lung-area']);
      expect(w.problems).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a run in progress shows its nodes pending, running with their progress and rows so far, ran; updates in place, then shows its report', async () => {
    const { runsDir } = await uiFixture();
    const dir = tempDir('ctflow-ui-live-');
    const gateFile = join(dir, 'gate');
    const file = writeGraph(dir, 'live.yaml', `name: ui-live
seed: 5
nodes:
  hist:  { kind: toy-history, params: { epochs: 6 } }
  more:  { kind: toy-history, params: { epochs: 3 } }
  gate:  { kind: toy-gate, in: { history: hist }, params: { gate: ${JSON.stringify(gateFile)}, steps: 2 } }
  after: { kind: toy-gate, in: { history: gate } }
`);
    const running = runFile(new Session({ runsDir, registry: uiRegistry }), file);
    let mark = liveRuns(runsDir).find((m) => m.progress?.graph === 'ui-live');
    for (let i = 0; i < 600 && mark?.progress?.nodes.gate.state !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      mark = liveRuns(runsDir).find((m) => m.progress?.graph === 'ui-live');
    }
    expect(mark?.progress?.nodes.gate.state, 'the run never reached its gate').to.equal('running');
    const id = mark!.run;
    const w = await watchedPage(browser, new URL(server.url).origin);
    try {
      const listed = await (await fetch(server.url)).text();
      expect(listed).to.match(new RegExp(`<tr data-run="${id}"[^>]*>.*class="status-running"`));
      await w.page.goto(new URL(`/run/${id}`, server.url).href, { waitUntil: 'load' });
      const states = () => w.page.$$eval('table.status tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.getAttribute('data-node'), tr.querySelector('[data-field]')!.textContent])));
      expect(await states()).to.deep.equal({ hist: 'cached', more: 'ran: 3 history', gate: 'running: 0 of 2 (waiting for the gate)', after: 'pending' });
      const live = () => w.page.$$eval('svg.dag .dag-node', (gs) => Object.fromEntries(gs.map((g) => [g.getAttribute('data-node'), g.getAttribute('data-live')])));
      expect(await live()).to.deep.equal({ hist: 'cached', more: 'ran', gate: 'computing', after: 'pending' });
      expect(await w.page.$eval('[data-field=summary]', (b) => b.textContent)).to.equal('2 of 4 nodes done (1 ran, 1 cached), 1 running, 1 pending');
      await w.page.evaluate('window.notReloaded = true');
      writeFileSync(`${gateFile}.1`, '');
      // Its progress, and the rows it has written so far (the engine's count, while it runs).
      await w.page.waitForFunction(() => document.querySelector('[data-field="node:gate"]')!.textContent === 'running: 1 of 2 (waiting for the gate); 1 history so far', { timeout: 15_000 });
      expect(await w.page.evaluate('window.notReloaded')).to.equal(true); // updated in place
      if (process.env.CTFLOW_UI_SCREENSHOTS) await w.page.screenshot({ path: join(process.env.CTFLOW_UI_SCREENSHOTS, 'ui-live.png') });
      expect(await w.page.$eval('svg.dag [data-node=gate] [data-field="dag:gate"]', (t) => t.textContent)).to.equal('running 1/2');
      writeFileSync(`${gateFile}.2`, '');
      const outcome = await running;
      expect(outcome.record.status).to.equal('ok');
      expect(outcome.record.id).to.equal(id);
      await w.page.waitForSelector('section#dag', { timeout: 15_000 });
      await w.page.waitForFunction(() => document.readyState === 'complete'); // reloaded once recorded: the report, streamed
      expect(await w.page.$$eval('section#dag .dag-node', (gs) => gs.map((g) => `${g.getAttribute('data-node')}:${g.getAttribute('data-status')}`))).to.deep.equal(['hist:cached', 'more:ran', 'gate:ran', 'after:ran']);
      expect(liveRuns(runsDir).map((m) => m.run)).to.not.include(id);
      expect(w.problems).to.deep.equal([]);
    } finally {
      writeFileSync(`${gateFile}.1`, '');
      writeFileSync(`${gateFile}.2`, '');
      await running.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a graph\'s page updates what would rerun when its file changes, and what is being computed, without a reload by hand', async () => {
    const { graphFile } = await uiFixture();
    const before = readFileSync(graphFile, 'utf8');
    let lease: string | undefined;
    const w = await watchedPage(browser, new URL(server.url).origin);
    try {
      await w.page.goto(new URL('/graph/ui-base', server.url).href, { waitUntil: 'load' });
      expect(await w.page.$eval('[data-field="node:hist"]', (td) => td.textContent)).to.equal('cached');
      writeFileSync(graphFile, before.replace('epochs: 6', 'epochs: 7'));
      await w.page.waitForFunction(() => document.querySelector('[data-field="node:hist"]')!.textContent!.startsWith('would run'), { timeout: 15_000 });
      expect(await w.page.$eval('[data-field="node:hist"]', (td) => td.textContent)).to.match(/^would run: param epochs changed 6 → 7/);
      expect(await w.page.$eval('[data-field=summary]', (b) => b.textContent)).to.equal('1 of 11 nodes would run');
      expect(await w.page.$eval('svg.dag .dag-node[data-node=hist]', (g) => g.getAttribute('data-live'))).to.equal('run');
      expect(await w.page.$eval('[data-field="node:window"]', (td) => td.textContent)).to.equal('cached');
      // Another process takes the lease on the node's new key, as a run computing it does.
      const { runsDir } = await uiFixture();
      const session = new Session({ runsDir, registry: uiRegistry });
      const key = (await session.plan(session.load(graphFile).graph!)).nodes.get('hist')!.key;
      mkdirSync(join(runsDir, 'cache', 'leases'), { recursive: true });
      lease = join(runsDir, 'cache', 'leases', `${key}.lease`);
      writeFileSync(lease, JSON.stringify({ host: 'lab-7', pid: 4242, expires: Date.now() + 60_000, token: 't' }));
      await w.page.waitForFunction(() => document.querySelector('[data-field="node:hist"]')!.textContent!.startsWith('computing'), { timeout: 15_000 });
      expect(await w.page.$eval('[data-field="node:hist"]', (td) => td.textContent)).to.equal('computing now (lab-7 pid 4242)');
      const fill = await w.page.$eval('svg.dag .dag-node[data-node=hist] rect', (r) => getComputedStyle(r).fill);
      expect(fill).to.equal('rgb(255, 241, 204)');
      expect(w.problems).to.deep.equal([]);
    } finally {
      writeFileSync(graphFile, before);
      if (lease) rmSync(lease, { force: true });
    }
  });
});
