// The run browser in headless Chromium on runs made by the test: each page loads without console
// errors or requests leaving the server, and shows what the records and the CLI say.
import { expect } from 'chai';
import type { Browser } from 'puppeteer-core';
import type { Serving } from '../../ui/server/listen.js';
import { requireChromium } from '../report/chromium.js';
import { launch, watchedPage } from './browser.js';
import { serveRuns, uiFixture } from './fixture.js';

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

  it('Runs lists every run newest first with status, counts and macro-F1; sorts and filters', async () => {
    const { runs, sweepRuns, corrupt, incomplete } = await uiFixture();
    const w = await watchedPage(browser, origin);
    await w.page.goto(server.url, { waitUntil: 'load' });
    const rows = await w.page.$$eval('table.runs tbody tr', (trs) => trs.map((tr) => ({ id: tr.getAttribute('data-run'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim()) })));
    expect(rows.map((r) => r.id)).to.have.members([...runs, ...sweepRuns, corrupt, incomplete]);
    expect(rows.slice(-2).map((r) => r.id)).to.have.members([incomplete, corrupt]); // newest first; they have no start time
    const base = rows.find((r) => r.id === runs[0])!;
    expect(base.cells[2]).to.equal('ui-base');
    expect(base.cells[5]).to.equal('ok');
    expect(base.cells[8]).to.match(/^\d\.\d{3} /);
    await w.page.click('th a[href*="sort=graph"]');
    await w.page.waitForSelector('th a[href*="sort=graph&dir=asc"]');
    const graphs = await w.page.$$eval('table.runs tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
    expect(graphs).to.deep.equal([...graphs].sort().reverse());
    await w.page.type('input[name=q]', 'ui-narrow');
    await Promise.all([w.page.waitForNavigation(), w.page.click('.filters button')]);
    expect(await w.page.$$eval('table.runs tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-run')))).to.deep.equal([runs[1]]);
    expect(w.problems).to.deep.equal([]);
    expect(w.external).to.deep.equal([]);
  });
});
