// ctflow gc: entries no kept run references go; a size budget forgets the oldest runs first.
import { expect } from 'chai';
import { join } from 'node:path';
import { applyGc, parseSize, planGc } from '../../engine/gc.js';
import { listRuns } from '../../engine/runs.js';
import { runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

describe('gc', () => {
  it('keeps what kept runs use, removes the rest, honours a budget and a dry run', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const s = session(runs);
    const file = writeGraph(dir, 'g.yaml', 'name: gc\nnodes:\n  scans: { kind: toy-scans, params: { size: 16 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n');
    const first = await runFile(s, file);
    const second = await runFile(s, file, ['scans.params.size=32']);
    // Only the last run of the graph is kept: the first run's entries go (scans of size 16 and its mean).
    const plan = planGc(s.store, runs, { keepLast: 1 });
    expect(plan.forgetRuns).to.deep.equal([first.record.id]);
    expect(plan.remove.map((e) => e.key).sort()).to.deep.equal([first.record.nodes.scans.key, first.record.nodes.mean.key].sort());
    expect(s.store.lookup(first.record.nodes.scans.key).hit, 'dry run removes nothing').to.equal(true);
    await applyGc(s.store, runs, plan);
    expect(s.store.lookup(first.record.nodes.scans.key).hit).to.equal(false);
    expect(s.store.lookup(second.record.nodes.scans.key).hit).to.equal(true);
    expect(listRuns(runs).map((r) => r.id)).to.deep.equal([second.record.id]);
    // A budget of zero bytes forgets every run and so every entry.
    const all = planGc(s.store, runs, { maxBytes: 0 });
    expect(all.forgetRuns).to.deep.equal([second.record.id]);
    expect(all.remove).to.have.length(2);
  });

  it('reads sizes', () => {
    expect(parseSize('1024')).to.equal(1024);
    expect(parseSize('2K')).to.equal(2048);
    expect(parseSize('1.5G')).to.equal(1.5 * 1024 ** 3);
    expect(() => parseSize('lots')).to.throw(/500M/);
  });
});
