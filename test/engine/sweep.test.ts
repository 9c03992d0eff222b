// Sweeps and replicates run as one DAG with shared nodes computed once; compare shows only the
// params that differ and the metrics side by side; replicates give mean ± sd and a bootstrap CI.
import { expect } from 'chai';
import { join } from 'node:path';
import { bootstrapCi, columnsOf, compare, formatComparison } from '../../engine/compare.js';
import { formatIssue } from '../../engine/errors.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';

const BASE = `name: sw
seed: 5
nodes:
  scans: { kind: toy-scans, params: { scans: 3 } }
  crop: { kind: scale, in: { slices: scans }, params: { factor: 1 } }
  mean: { kind: scan-mean, in: { slices: crop } }
  score: { kind: toy-metrics, in: { stats: mean }, params: { scale: 1 } }
`;

describe('sweeps', () => {
  it('expand a grid into variants that share the nodes they have in common', async () => {
    const dir = tempDir();
    const file = writeGraph(dir, 'g.yaml', BASE + 'sweep:\n  grid:\n    score.params.scale: [1, 2, 4]\n');
    const s = session(join(dir, 'runs'));
    const { variants, issues } = s.loadSweep(file);
    expect(issues.map(formatIssue)).to.deep.equal([]);
    expect(variants.map((v) => v.name)).to.deep.equal(['sw.scale=1', 'sw.scale=2', 'sw.scale=4']);
    const out = await s.runSweep(variants, file);
    // scans, crop and mean have one key across the three variants: computed once.
    const ran = out.runs.flatMap((r) => Object.entries(r.nodes).filter(([, n]) => n.status === 'ran').map(([id]) => `${r.graph}/${id}`));
    expect(ran.filter((x) => x.endsWith('/scans'))).to.have.length(1);
    expect(ran.filter((x) => x.endsWith('/score'))).to.have.length(3);
    const cmp = compare(columnsOf(out.runs));
    expect(cmp.params.map((p) => p.path)).to.deep.equal(['score.scale']);
    const mean = cmp.metrics.find((m) => m.metric === 'toy validation mean')!;
    expect(mean.best).to.equal(mean.values[0]!.mean > 0 ? 2 : 0);
    const loss = cmp.metrics.find((m) => m.metric === 'toy validation loss')!;
    expect(loss.higherIsBetter).to.equal(false);
    expect(loss.best).to.equal(2);
    const again = await s.runSweep(variants, file);
    expect(again.runs.every((r) => Object.values(r.nodes).every((n) => n.status === 'cached'))).to.equal(true);
  });

  it('replicates rerun only the random nodes, under seed, seed+1, …; a seed-independent branch stays cached', async () => {
    const dir = tempDir();
    // `fixed` reads a folder (image-folder is not random) and `other` depends on it alone: one key
    // for every seed, computed once however many replicates there are.
    const graph = (n: number) => BASE.replace('scans: { kind: toy-scans', 'fixed: { kind: image-folder, params: { path: test/fixtures/image-folder/tiny } }\n  other: { kind: scan-mean, in: { slices: fixed } }\n  scans: { kind: toy-scans') + `replicates: ${n}\n`;
    const file = writeGraph(dir, 'g.yaml', graph(3));
    const s = session(join(dir, 'runs'));
    const { variants } = s.loadSweep(file);
    expect(variants.map((v) => [v.name, v.seed])).to.deep.equal([['sw.s5', 5], ['sw.s6', 6], ['sw.s7', 7]]);
    const out = await s.runSweep(variants, file);
    const keys = (id: string) => new Set(out.runs.map((r) => r.nodes[id].key)).size;
    const ran = (runs: typeof out.runs, id: string) => runs.filter((r) => r.nodes[id].status === 'ran').length;
    expect([keys('scans'), keys('mean')]).to.deep.equal([3, 3]);
    expect([keys('fixed'), keys('other')]).to.deep.equal([1, 1]);
    expect([ran(out.runs, 'fixed'), ran(out.runs, 'other'), ran(out.runs, 'scans')]).to.deep.equal([1, 1, 3]);
    const cols = columnsOf(out.runs);
    expect(cols.map((c) => c.label)).to.deep.equal(['sw']);
    const m = compare(cols).metrics.find((x) => x.metric === 'toy validation mean')!.values[0]!;
    expect(m.n).to.equal(3);
    expect(m.lo).to.be.at.most(m.mean);
    expect(m.hi).to.be.at.least(m.mean);
    expect(formatComparison(compare(cols), 'table')).to.match(/± /);

    // A fourth replicate: only its random chain runs; the seed-independent branch is reused.
    const more = writeGraph(dir, 'g4.yaml', graph(4));
    const fourth = await s.runSweep(s.loadSweep(more).variants, more);
    const ranIds = fourth.runs.flatMap((r) => Object.entries(r.nodes).filter(([, n]) => n.status === 'ran').map(([id]) => `${r.sweep!.seed}/${id}`));
    expect(ranIds.sort()).to.deep.equal(['8/crop', '8/mean', '8/scans', '8/score']);
    expect(fourth.runs.map((r) => r.nodes.other.status)).to.deep.equal(['cached', 'cached', 'cached', 'cached']);
  });

  it('named variants, and unknown sweep paths located in the sweep block', () => {
    const dir = tempDir();
    const s = session(join(dir, 'runs'));
    const good = writeGraph(dir, 'v.yaml', BASE + 'sweep:\n  variants:\n    - { name: plain, set: {} }\n    - { name: big, set: { crop.params.factor: 3 } }\n');
    expect(s.loadSweep(good).variants.map((v) => v.name)).to.deep.equal(['sw.plain', 'sw.big']);
    const bad = writeGraph(dir, 'bad.yaml', BASE + 'sweep:\n  grid:\n    crop.params.factr: [1, 2]\n    nope.params.x: [1]\n');
    const { variants, issues } = s.loadSweep(bad);
    expect(variants).to.deep.equal([]);
    const factr = issues.find((i) => /factr/.test(i.message))!;
    expect(factr.line).to.equal(10);
    expect(factr.hint).to.match(/did you mean "factor"/);
    expect(issues.find((i) => /no node "nope"/.test(i.message))!.line).to.equal(11);
  });

  it('bootstrap interval covers the mean and shrinks with more data', () => {
    const small = bootstrapCi([0.9, 0.92, 0.94]);
    const big = bootstrapCi([0.9, 0.92, 0.94, 0.9, 0.92, 0.94, 0.9, 0.92, 0.94, 0.9, 0.92, 0.94]);
    expect(small[0]).to.be.below(0.92);
    expect(small[1]).to.be.above(0.92);
    expect(big[1] - big[0]).to.be.below(small[1] - small[0]);
  });
});
