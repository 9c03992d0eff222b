// The report from the command line: a run in which a node ran writes report.html and prints its
// path; a fully cached rerun writes none; `ctflow report RUN` writes one on demand.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seconds } from '../../engine/commands/common.js';
import { latestRun, recordDir } from '../../engine/runs.js';
import { tempDir, writeGraph } from '../helpers/engine.js';
import { ctflow } from './capture.js';
import { LUNG } from './fixture.js';
import { sections } from './sections.js';

describe('ctflow report', () => {
  const dir = tempDir('ctflow-report-cli-');
  const runs = join(dir, 'runs');
  const file = writeGraph(dir, 'lung.yaml', `name: lung\nseed: 5\nnodes:\n${LUNG}`);

  it('is written after a run in which a node ran, not after a fully cached one, and on demand', async () => {
    const first = await ctflow(['run', file, '--runs', runs, '--quiet']);
    expect(first.code, first.err).to.equal(0);
    const written = /^report: (.*)$/m.exec(first.out)?.[1];
    const ranFirst = latestRun(runs, 'lung')!;
    expect(written).to.equal(join(runs, 'records', ranFirst.id, 'report.html'));
    expect([...sections(readFileSync(written!, 'utf8')).keys()]).to.deep.equal(['dag', 'lung-area', 'panels']);

    const again = await ctflow(['run', file, '--runs', runs, '--quiet']);
    expect(again.code).to.equal(0);
    expect(again.out).to.not.match(/^report:/m);
    const cached = latestRun(runs, 'lung')!;
    expect(Object.values(cached.nodes).every((n) => n.status === 'cached' || n.status === 'not-needed')).to.equal(true);
    const onDemand = join(recordDir(runs, cached.id), 'report.html');
    expect(existsSync(onDemand)).to.equal(false);

    for (const target of ['latest', cached.id, file]) {
      const r = await ctflow(['report', target, '--runs', runs]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out.trim()).to.equal(onDemand);
    }
    // Cache hits show the time of the run that computed them and the rows their entries hold.
    const dag = sections(readFileSync(onDemand, 'utf8')).get('dag')!;
    const computed = ranFirst.nodes.lung;
    expect(dag).to.contain('data-node="lung" data-status="cached"');
    expect(dag).to.contain(`cached (took ${seconds(computed.ms!)})`);
    expect(dag).to.contain(`${computed.rows!.areas} areas`);
  });

  it('ctflow sweep writes the comparison report and prints its path', async () => {
    const sweep = writeGraph(dir, 'fraction.yaml', `extends: lung.yaml\nname: fraction\nsweep:\n  grid:\n    window.params.fraction: [0.3, 0.7]\n`);
    const r = await ctflow(['sweep', sweep, '--runs', runs, '--quiet']);
    expect(r.code, r.err).to.equal(0);
    const written = /^report: (.*)$/m.exec(r.out)?.[1];
    expect(written?.startsWith(join(runs, 'sweeps', 'sweep-fraction-')) && written.endsWith('/report.html'), written).to.equal(true);
    expect([...sections(readFileSync(written!, 'utf8')).keys()]).to.deep.equal(['variants', 'comparison']);
  });

  it('--no-report writes none after a run or a sweep in which nodes ran', async () => {
    const other = writeGraph(dir, 'lung2.yaml', `name: lung2\nseed: 6\nnodes:\n${LUNG}`);
    const r = await ctflow(['run', other, '--runs', runs, '--quiet', '--no-report']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.not.match(/^report:/m);
    const ran = latestRun(runs, 'lung2')!;
    expect(Object.values(ran.nodes).some((n) => n.status === 'ran')).to.equal(true);
    expect(existsSync(join(recordDir(runs, ran.id), 'report.html'))).to.equal(false);
    const sweep = writeGraph(dir, 'fraction2.yaml', `extends: lung2.yaml\nname: fraction2\nsweep:\n  grid:\n    window.params.fraction: [0.4, 0.6]\n`);
    const s = await ctflow(['sweep', sweep, '--runs', runs, '--quiet', '--no-report']);
    expect(s.code, s.err).to.equal(0);
    expect(s.out).to.not.match(/^report:/m);
  });

  it('names the fix when the run is unknown (exit 2)', async () => {
    const r = await ctflow(['report', 'no-such-run', '--runs', runs]);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('"no-such-run" is not a run id, a sweep id, "latest" or a graph file');
    expect(r.err).to.contain('ctflow runs --runs');
    const empty = await ctflow(['report', 'latest', '--runs', join(dir, 'empty')]);
    expect(empty.code).to.equal(2);
    expect(empty.err).to.contain('no runs in');
  });
});
