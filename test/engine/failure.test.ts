// A failing node stops its dependents only; every finished node keeps its cache entry; the
// rerun after the fix recomputes only what did not finish.
import { expect } from 'chai';
import { join } from 'node:path';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = `name: failing
nodes:
  scans: { kind: toy-scans, params: { scans: 4 } }
  ok: { kind: scan-mean, in: { slices: scans } }
  bad: { kind: fail-at, in: { slices: scans }, params: { at: 2 } }
  after: { kind: scan-mean, in: { slices: bad } }
  total: { kind: stats-total, in: { stats: after } }
  fine: { kind: stats-total, in: { stats: ok } }
  broken: { kind: stats-total, in: { stats: ok }, params: { failAt: 1 } }
`;

describe('failures', () => {
  it('two nodes with the same key in one run compute it once', async () => {
    const dir = tempDir();
    const file = writeGraph(dir, 'g.yaml', 'name: twins\nnodes:\n  scans: { kind: toy-scans }\n  a: { kind: scan-mean, in: { slices: scans } }\n  b: { kind: scan-mean, in: { slices: scans } }\n  ta: { kind: stats-total, in: { stats: a } }\n  tb: { kind: stats-total, in: { stats: b } }\n');
    const out = await runFile(session(join(dir, 'runs')), file);
    expect(out.record.status).to.equal('ok');
    expect(byStatus(out, 'ran')).to.deep.equal(['a', 'scans', 'ta']);
    expect(out.record.nodes.b.reason).to.equal('same key as "a": computed once, shared');
    expect(byStatus(out, 'cached')).to.deep.equal(['b', 'tb']);
  });

  it('stop only their dependents and keep finished work', async () => {
    const dir = tempDir();
    const file = writeGraph(dir, 'g.yaml', GRAPH);
    const s = session(join(dir, 'runs'));
    const out = await runFile(s, file);
    expect(out.record.status).to.equal('failed');
    expect(byStatus(out, 'failed')).to.deep.equal(['bad', 'broken']);
    expect(byStatus(out, 'skipped')).to.deep.equal(['after', 'total']);
    expect(byStatus(out, 'ran')).to.deep.equal(['fine', 'ok', 'scans']);
    expect(out.record.nodes.bad.error).to.match(/refusing scan-2/);
    expect(out.record.nodes.broken.error).to.match(/asked to fail at batch 1/);
    expect(out.record.nodes.after.error, 'skipped, with the upstream node named').to.match(/upstream node "bad" failed/);
    for (const id of ['scans', 'ok', 'fine']) expect(s.store.lookup(out.record.nodes[id].key).hit, id).to.equal(true);
    for (const id of ['bad', 'after', 'broken']) expect(s.store.lookup(out.record.nodes[id].key).hit, id).to.equal(false);

    // The fix: nothing fails any more; only the unfinished nodes run.
    const fixed = await runFile(s, file, ['bad.params.at=99', 'broken.params.failAt=-1']);
    expect(fixed.record.status).to.equal('ok');
    // broken now has fine's params and input, hence fine's key: it reuses that entry.
    expect(byStatus(fixed, 'ran')).to.deep.equal(['after', 'bad', 'total']);
    expect(fixed.record.nodes.broken.key).to.equal(fixed.record.nodes.fine.key);
    expect(fixed.record.nodes.broken.status).to.equal('cached');
  });
});
