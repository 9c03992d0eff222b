// A sweep's comparison report: variants, the params that differ, metrics side by side, and each
// metric against the swept value; the variants' own reports linked.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepReport } from '../../engine/commands/report.js';
import { readSweepRecord, writeSweepReport } from '../../engine/report/sweep-report.js';
import { Session } from '../../engine/session.js';
import { tempDir, writeGraph } from '../helpers/engine.js';
import { ctflow } from './capture.js';
import { LUNG, PREDICTIONS } from './fixture.js';
import { reportRegistry } from './kinds.js';
import { sections } from './sections.js';

async function sweep(s: Session, file: string) {
  const { variants, issues } = s.loadSweep(file);
  if (!variants.length) throw new Error(issues.map((i) => i.message).join('\n'));
  return s.runSweep(variants, file);
}

describe('sweep report', () => {
  const dir = tempDir('ctflow-report-sweep-');
  const runs = join(dir, 'runs');
  const s = new Session({ runsDir: runs, registry: reportRegistry });

  it('plots each metric against the swept value and links every variant run that ran', async () => {
    const file = writeGraph(dir, 'skill.yaml', `name: skill\nseed: 1\nnodes:\n${PREDICTIONS}sweep:\n  grid:\n    good.params.skill: [0.1, 0.9]\nreplicates: 2\n`);
    const out = await sweep(s, file);
    const written = await sweepReport(s, out.id, out.runs);
    expect(written).to.equal(join(runs, 'sweeps', out.id, 'report.html'));
    const html = readFileSync(written!, 'utf8');
    const sec = sections(html);
    expect([...sec.keys()]).to.deep.equal(['variants', 'comparison', 'sweep-metrics']);
    for (const r of out.runs) {
      expect(sec.get('variants')).to.contain(`href="../../records/${r.id}/report.html"`);
      expect(existsSync(join(runs, 'records', r.id, 'report.html'))).to.equal(true);
    }
    expect(sec.get('comparison')).to.contain('<code>good.skill</code>');
    expect(sec.get('comparison')).to.match(/± .*\[/);
    const chart = sec.get('sweep-metrics')!;
    for (const text of ['good.skill', 'auc', 'macro_f1', 'good (Mean 2)', 'weak']) expect(chart).to.contain(`>${text}</text>`);
    expect(chart).to.not.contain('>tp</text>');
    expect(html).to.not.match(/https?:\/\//);

    // A fully cached sweep writes no report; `ctflow report SWEEP` writes it on demand.
    const again = await sweep(s, file);
    expect(await sweepReport(s, again.id, again.runs)).to.equal(undefined);
    const r = await ctflow(['report', again.id, '--runs', runs]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out.trim()).to.equal(join(runs, 'sweeps', again.id, 'report.html'));
  });

  it('has no metrics chart for a sweep whose graph has no metrics', async () => {
    const file = writeGraph(dir, 'fraction.yaml', `name: fraction\nseed: 1\nnodes:\n${LUNG}sweep:\n  grid:\n    window.params.fraction: [0.3, 0.7]\n`);
    const out = await sweep(s, file);
    const html = readFileSync(await writeSweepReport(runs, readSweepRecord(runs, out.id)!), 'utf8');
    expect([...sections(html).keys()]).to.deep.equal(['variants', 'comparison']);
    expect(sections(html).get('comparison')).to.contain('<code>window.fraction</code>');
  });
});
