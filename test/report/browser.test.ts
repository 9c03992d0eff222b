// The reports as a reader opens them from disk: headless Chromium loads them without console
// errors or requests, and shows every section with its charts and images drawn.
import { expect } from 'chai';
import { sweepReport } from '../../engine/commands/report.js';
import { writeRunReport } from '../../engine/report/run-report.js';
import { writeGraph } from '../helpers/engine.js';
import { render, requireChromium } from './chromium.js';
import { PREDICTIONS, reportFixture } from './fixture.js';
import { reportRegistry } from './kinds.js';

describe('reports in headless Chromium', function () {
  before(function () {
    requireChromium(this);
  });

  it('a run report loads cleanly and shows the DAG, metrics, curves and slice panels', async () => {
    const { runsDir, full } = await reportFixture();
    const page = await render(await writeRunReport(runsDir, full.record, reportRegistry));
    expect(page.problems).to.deep.equal([]);
    expect(page.requests).to.deep.equal([]);
    expect(page.sections.map((s) => [s.id, s.title])).to.deep.equal([
      ['dag', 'Graph'], ['metrics', 'Metrics (Table 1)'], ['training', 'Training curves'], ['roc', 'ROC curves'],
      ['lung-area', 'Lung area and chosen window'], ['panels', 'Sample slices (Fig. 1)'],
    ]);
    expect(page.tocLinks).to.deep.equal(page.sections.map((s) => `#${s.id}`));
    for (const s of page.sections) expect(s.height, s.id).to.be.greaterThan(60);
    expect(page.images.length).to.be.within(2, 3);
    expect(page.images.every((i) => i.ok && i.width === 920)).to.equal(true);
    expect(page.charts.length).to.be.at.least(5); // the DAG, loss, scores, ROC, lung areas
    for (const c of page.charts) expect(c.width * c.height).to.be.greaterThan(100 * 100);
  });

  it('a sweep report loads cleanly and shows its comparison chart', async () => {
    const { dir, session } = await reportFixture();
    const file = writeGraph(dir, 'browser-sweep.yaml', `name: browser-sweep\nseed: 2\nnodes:\n${PREDICTIONS}sweep:\n  grid:\n    good.params.skill: [0.2, 0.9]\n`);
    const { variants } = session.loadSweep(file);
    const out = await session.runSweep(variants, file);
    const page = await render((await sweepReport(session, out.id, out.runs))!);
    expect(page.problems).to.deep.equal([]);
    expect(page.requests).to.deep.equal([]);
    expect(page.sections.map((s) => s.id)).to.deep.equal(['variants', 'comparison', 'sweep-metrics']);
    expect(page.charts).to.have.length(1);
    expect(page.charts[0].width * page.charts[0].height).to.be.greaterThan(300 * 300);
  });
});
