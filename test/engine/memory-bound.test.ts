// Memory is bounded by the concurrency, not by the number of scans: the pixel buffers of
// tracked-scans (and of tracked-copy in a fused chain) alive before every 4th scan, counted by
// v8.queryObjects after a full collection, never exceed what the steps in flight can hold.
// No wall-clock or RSS figure is involved.
import { expect } from 'chai';
import { join } from 'node:path';
import { queryObjects } from 'node:v8';
import { liveBefore, TrackedBuffer, tracked } from '../kinds/tracked-scans.js';
import { toySlices } from '../kinds/toy-scans.js';
import { runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const SCANS = 20;
const scans = (cache: boolean) => `scans: { kind: tracked-scans, params: { scans: ${SCANS}, slices: 4, size: 64 }, cache: ${cache} }`;

/** Each graph and the tracked buffers one scan holds in it. */
const chains = [
  { name: 'a stored source', perScan: 1, yaml: `name: mem-stored\nnodes:\n  ${scans(true)}\n` },
  {
    name: 'a fused chain into a stored node', perScan: 2,
    yaml: `name: mem-fused\nnodes:\n  ${scans(false)}\n  a: { kind: scale, in: { slices: scans }, params: { factor: 1 }, cache: false }\n  copy: { kind: tracked-copy, in: { slices: a } }\n`,
  },
];

describe('memory bound', () => {
  it('counts the tracked buffers a batch holds', () => {
    const before = queryObjects(TrackedBuffer, { format: 'count' });
    const held = tracked(toySlices('s', 2, 4, 'seed'));
    expect(queryObjects(TrackedBuffer, { format: 'count' })).to.equal(before + 1);
    expect(held.numRows).to.equal(2);
  });

  for (const chain of chains) {
    for (const concurrency of [1, 3]) {
      it(`${chain.name}, concurrency ${concurrency}: live buffers stay within the steps in flight`, async () => {
        const dir = tempDir('ctflow-mem-');
        const out = await runFile(session(join(dir, 'runs'), { concurrency }), writeGraph(dir, 'g.yaml', chain.yaml));
        expect(out.record.status).to.equal('ok');
        expect(liveBefore).to.have.length(SCANS / 4);
        // `concurrency` steps in flight, and one more whose buffers the collector may not yet
        // have been able to free (still referenced from the step that just finished).
        expect(Math.max(...liveBefore), `live before scans 0, 4, 8, …: ${liveBefore.join(' ')}`).to.be.at.most(chain.perScan * (concurrency + 1));
      });
    }
  }
});
