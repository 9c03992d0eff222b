// Every shipped graph file is valid (sweeps expand into their variants), and each ablation changes
// only what it says: the nodes upstream of its change keep quick.yaml's cache keys.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { session, tempDir } from '../helpers/engine.js';
import type { Session } from '../../engine/session.js';

const files = ['graphs', 'graphs/ablations'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f)));

async function keys(s: Session, file: string): Promise<Map<string, string>> {
  const { graph, issues } = s.load(file);
  expect(issues, file).to.deep.equal([]);
  const plan = await s.plan(graph!);
  return new Map([...plan.nodes].map(([id, p]) => [id, p.key]));
}

describe('shipped graph files', () => {
  const s = session(join(tempDir(), 'runs'));

  it('finds the main job, the paper configuration and the ablations', () => {
    for (const f of ['graphs/quick.yaml', 'graphs/two-step.yaml', 'graphs/ablations/no-median.yaml', 'graphs/ablations/center-window.yaml',
      'graphs/ablations/window-fraction.yaml', 'graphs/ablations/embedding-size.yaml', 'graphs/ablations/models.yaml']) expect(files).to.include(f);
  });

  for (const file of files) {
    it(`${file} is valid`, () => {
      const { variants, issues } = s.loadSweep(file);
      expect(issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.message}`)).to.deep.equal([]);
      expect(variants.length).to.be.at.least(1);
    });
  }

  it('no-median and center-window share the nodes above their change with quick.yaml and differ below it', async () => {
    const quick = await keys(s, 'graphs/quick.yaml');
    const noMedian = await keys(s, 'graphs/ablations/no-median.yaml');
    expect(noMedian.has('median')).to.equal(false);
    for (const id of ['scans', 'crop']) expect(noMedian.get(id), id).to.equal(quick.get(id));
    for (const id of ['mask', 'lung', 'window', 'cnn', 'evaluate']) expect(noMedian.get(id), id).to.not.equal(quick.get(id));
    const center = await keys(s, 'graphs/ablations/center-window.yaml');
    for (const id of ['scans', 'crop', 'lung']) expect(center.get(id), id).to.equal(quick.get(id));
    for (const id of ['window', 'cnn', 'embed', 'evaluate']) expect(center.get(id), id).to.not.equal(quick.get(id));
  });

  it('the sweeps expand into the grid × replicates', () => {
    const names = (file: string) => s.loadSweep(file).variants.map((v) => v.name);
    expect(names('graphs/ablations/window-fraction.yaml')).to.have.length(9);
    expect(names('graphs/ablations/embedding-size.yaml')).to.have.length(6);
    expect(names('graphs/ablations/models.yaml')).to.have.length(3);
  });
});
