// Memory is bounded by the concurrency, not by the number of scans: the pixel buffers of
// tracked-scans (and of tracked-copy in a fused chain) alive before every 4th scan, counted by
// v8.queryObjects after a full collection, never exceed what the steps in flight can hold. The
// two holders a heap snapshot found in the lung graph (issue 23) are counted the same way: the
// chunk copies LungPool makes, and the decoded slices image-folder keeps while its batch is out.
// No wall-clock or RSS figure is involved.
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryObjects } from 'node:v8';
import sharp from 'sharp';
import imageFolder from '../../nodes/image-folder.js';
import { LungPool } from '../../nodes/kernels/lung/pool.js';
import { testContext } from '../helpers/context.js';
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
  {
    name: 'the lung chain fused into a stored binary-dilation', perScan: 1,
    yaml: `name: mem-lung\nnodes:\n  ${scans(false)}\n  crop: { kind: cropper, in: { slices: scans }, cache: false }\n` +
      `  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }\n  mask: { kind: threshold, in: { slices: median }, cache: false }\n` +
      `  lung: { kind: binary-dilation, in: { masks: mask } }\n`,
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

  it('the lung pool copies a chunk of slices when a worker takes it, not every chunk of the scan at once', async () => {
    const pool = new LungPool(1);
    try {
      const images = Array.from({ length: 64 }, (_, k) => ({ h: 32, w: 32, data: Int16Array.from({ length: 32 * 32 }, (_, i) => ((i + k) % 97 < 40 ? -900 : 40)) }));
      const before = queryObjects(ArrayBuffer, { format: 'count' });
      const running = pool.runImages(images, {}, true, 1);
      // 64 one-slice chunks submitted; one is with the worker, the rest wait uncopied.
      const held = queryObjects(ArrayBuffer, { format: 'count' }) - before;
      const chunked = await running;
      const whole = await pool.runImages(images, {}, true, 64);
      expect(Array.from(chunked.areas)).to.deep.equal(Array.from(whole.areas));
      expect(held, 'ArrayBuffers alive right after submitting 64 chunks').to.be.lessThan(16);
    } finally {
      await pool.close();
    }
  });

  it('image-folder holds only its batch while the batch is downstream, not the decoded slices', async () => {
    const dir = join(tempDir('ctflow-mem-'), 'scan_0');
    mkdirSync(dir);
    const px = Uint8Array.from({ length: 32 * 32 }, (_, i) => (i * 5) & 255);
    const jpeg = await sharp(px, { raw: { width: 32, height: 32, channels: 1 } }).jpeg({ quality: 90 }).toBuffer();
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `${i}.jpg`), jpeg);
    if (imageFolder.mode !== 'source') throw new Error('image-folder is a source');
    const it = imageFolder.run(testContext({ path: join(dir, '..'), window: [-1150, 350], mixedSizes: 'drop', splits: null }))[Symbol.asyncIterator]();
    const first = await it.next();
    const atYield = queryObjects(ArrayBuffer, { format: 'count' });
    const end = await it.next();
    const after = queryObjects(ArrayBuffer, { format: 'count' });
    expect(first.done ? 0 : first.value.slices.numRows).to.equal(40);
    expect(end.done).to.equal(true);
    // Each decoded slice has its own buffer: 40 would be freed only once the generator moved on.
    expect(atYield - after, 'ArrayBuffers freed when the generator finished').to.be.lessThan(10);
  });
});
