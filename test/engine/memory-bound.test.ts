// Memory is bounded by the concurrency, not by the number of scans: the pixel buffers of
// tracked-scans (and of tracked-copy in a fused chain) alive before every 4th scan, counted by
// v8.queryObjects after a full collection, never exceed what the steps in flight can hold. The
// two holders a heap snapshot found in the lung graph (issue 23) are counted the same way: the
// chunk copies LungPool makes, and the decoded slices image-folder keeps while its batch is out.
// dicom-series is counted while a series is decoded (no array per slice). Every shipped source
// (synthetic-ct, image-folder, dicom-series) is counted across the scans of a stored and a fused
// lung graph: all live ArrayBuffers, after a full collection. No wall-clock or RSS figure is involved.
// dicom-series reads every file of a run into one reused buffer, and gives a scan of 4 MiB or more
// a buffer of its own mapping with slack after the scan (kernels/scan-pixels.ts): a batch already
// yielded must keep its pixels, and the stored form must hold the scan's bytes only. The buffers
// reused from task to task or scan to scan (a lung worker's masks buffer, synthetic-ct's canvases)
// must never show through in what was handed on: masks and scans are checked after later ones.
// The lung kernel's run and count buffers are allocated once per slice size, not grown crop box
// by crop box (a lung worker's malloc arena kept the replaced ones as holes).
import type { RecordBatch } from 'apache-arrow';
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryObjects } from 'node:v8';
import sharp from 'sharp';
import { writeDicomSeries } from '../../bench/engine/dicom-files.js';
import { writeJpegFolder } from '../../nodes/kernels/jpeg-folder-writer.js';
import dicomSeries from '../../nodes/dicom-series.js';
import imageFolder from '../../nodes/image-folder.js';
import { lungArea } from '../../nodes/kernels/lung/lung-area.js';
import { LungPool } from '../../nodes/kernels/lung/pool.js';
import { startedPool } from '../../nodes/kernels/lung/shared-pool.js';
import { LungScratch } from '../../nodes/kernels/lung/scratch.js';
import { generateScan } from '../../nodes/kernels/synthetic/scan.js';
import { OWN_MAPPING_BYTES, OWN_MAPPING_FROM, scanPixels } from '../../nodes/kernels/scan-pixels.js';
import { tableToIPC, Table } from '../../engine/arrow.js';
import { testContext } from '../helpers/context.js';
import { liveBefore, TrackedBuffer, tracked } from '../kinds/tracked-scans.js';
import { toySlices } from '../kinds/toy-scans.js';
import { loadFixture } from '../nodes/lung/fixture.js';
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

  it('the lung pool\'s masks outlive the tasks after them: a worker\'s reused masks buffer is copied out before its next task', async () => {
    const pool = new LungPool(1);
    try {
      const slices = loadFixture().slices.map((s) => ({ h: s.height, w: s.width, data: s.pixels }));
      const hex = (m: Uint8Array) => Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('hex');
      const reference = slices.map(({ h, w, data }) => {
        let m = new Uint8Array(0);
        lungArea(data, h, w, {}, undefined, (size) => (m = new Uint8Array(size)));
        return hex(m);
      });
      expect(new Set(reference).size, 'distinct masks (else an overwrite would not show)').to.be.greaterThan(1);
      // one slice a task, one worker: every task writes its masks where the one before it wrote
      const first = await pool.runImages(slices, {}, true, 1);
      const second = await pool.runImages([...slices].reverse(), {}, true, 2);
      expect(first.masks!.map(hex), 'the first call\'s masks, after the second call').to.deep.equal(reference);
      expect(second.masks!.map(hex)).to.deep.equal([...reference].reverse());
      // the call's masks are views of one buffer of its own, not an array a slice or a chunk
      expect(new Set(first.masks!.map((m) => m.buffer)).size).to.equal(1);
      expect(first.masks![0].buffer).to.not.equal(second.masks![0].buffer);
    } finally {
      await pool.close();
    }
  });

  it('the lung kernel allocates its run and count buffers once per slice size, not again for each larger crop box', () => {
    // a lung worker is given the cropper's boxes: smallest box first, so buffers grown box by box would be replaced
    const slices = loadFixture().slices.filter((s) => s.height === 512 && s.width === 512)
      .map((s) => ({ data: s.pixels, box: { r0: s.box[0], r1: s.box[1], c0: s.box[2], c1: s.box[3] } }))
      .sort((a, b) => (a.box.r1 - a.box.r0) * (a.box.c1 - a.box.c0) - (b.box.r1 - b.box.r0) * (b.box.c1 - b.box.c0));
    expect(slices.length, '512² slices with distinct boxes').to.be.greaterThan(2);
    const s = new LungScratch();
    const buffers = () => [s.runs.starts, s.runs.border, s.count.padded, s.count.rowSums, s.count.rowMap, s.count.out].map((a) => a.buffer);
    let first: ArrayBufferLike[] | undefined;
    for (const { data, box } of slices) {
      const r = lungArea(data, 512, 512, {}, s, undefined, box);
      expect(r.area, 'the same area as with a scratch of its own').to.equal(lungArea(data, 512, 512, {}, new LungScratch(), undefined, box).area);
      first ??= buffers();
      expect(buffers().filter((b, i) => b !== first![i]).length, 'buffers replaced after a larger box').to.equal(0);
    }
  });

  it('synthetic-ct paints every scan in the same canvases: a scan is the same whatever was painted before it, and stays as it was', () => {
    const hex = (px: Int16Array) => Buffer.from(px.buffer, px.byteOffset, px.byteLength).toString('hex');
    const first = generateScan('11:0', 1, [4, 4], 64);
    const atFirst = hex(first.pixels);
    const other = generateScan('11:1', 0, [5, 5], 64);
    const bigger = generateScan('11:2', 1, [3, 3], 128);  // a canvas of another size, then back to 64²
    expect(hex(first.pixels), 'scan 11:0 after later scans were painted').to.equal(atFirst);
    expect(hex(other.pixels)).to.not.equal(atFirst);
    expect(bigger.pixels.length).to.equal(3 * 128 * 128);
    expect(hex(generateScan('11:0', 1, [4, 4], 64).pixels), 'scan 11:0 painted after others').to.equal(atFirst);
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

  /** A DICOM folder of `series` toy scans of `slices` size² slices (int16 HU, one file a slice). */
  async function dicomFolder(series: number, slices: number, size: number): Promise<string> {
    const dir = join(tempDir('ctflow-mem-'), 'dicom');
    await writeDicomSeries(dir, (async function* () {
      for (let s = 0; s < series; s++) yield toySlices(`scan-${s}`, slices, size, `dicom:${s}`);
    })());
    return dir;
  }

  it('dicom-series reads a series on the lung pool\'s workers: the live ArrayBuffers here do not grow with the slices read', async () => {
    const path = await dicomFolder(1, 80, 32);
    const live: number[] = [];
    // the node checks its signal once per chunk of 8 files the workers read: count at each
    const signal = new AbortController().signal;
    let calls = 0;
    signal.throwIfAborted = () => { live.push(queryObjects(ArrayBuffer, { format: 'count' })); calls++; };
    if (dicomSeries.mode !== 'source') throw new Error('dicom-series is a source');
    const ctx = { ...testContext({ path, split: 'test' as const, label: null, onError: 'fail' as const, recursive: true }), signal };
    const batches = [];
    for await (const b of dicomSeries.run(ctx)) batches.push(b.slices);
    expect(batches.map((b) => b.numRows)).to.deep.equal([80]);
    expect(calls).to.equal(10);
    // An array per slice (or per chunk) kept here until the batch is made would add 8 (or 1) a chunk.
    expect(Math.max(...live) - live[0], `live ArrayBuffers at each chunk: ${live.join(' ')}`).to.be.lessThan(5);
  });

  it('a scan of 4 MiB or more gets a buffer above glibc\'s mmap cap, a smaller or larger one its exact size', () => {
    const small = scanPixels(OWN_MAPPING_FROM / 2 - 1), mid = scanPixels(OWN_MAPPING_FROM / 2), big = scanPixels(OWN_MAPPING_BYTES);
    expect([small.length, mid.length, big.length]).to.deep.equal([OWN_MAPPING_FROM / 2 - 1, OWN_MAPPING_FROM / 2, OWN_MAPPING_BYTES]);
    expect(small.buffer.byteLength).to.equal(OWN_MAPPING_FROM - 2);
    expect(mid.buffer.byteLength).to.equal(OWN_MAPPING_BYTES);
    expect(big.buffer.byteLength).to.equal(2 * OWN_MAPPING_BYTES);
    expect(mid.every((v) => v === 0)).to.equal(true);
  });

  it('dicom-series: a batch already yielded keeps its own pixels while later series are read (one read buffer for the run)', async () => {
    // 512² × 8 slices = 4 MiB a series: each scan's buffer is a mapping of its own, with slack after the scan
    const SERIES_N = 3, N = 8, SIDE = 512;
    const path = await dicomFolder(SERIES_N, N, SIDE);
    if (dicomSeries.mode !== 'source') throw new Error('dicom-series is a source');
    const ctx = testContext({ path, split: 'test' as const, label: null, onError: 'fail' as const, recursive: true });
    const held: { batch: RecordBatch; atYield: Buffer }[] = [];
    const pixelBytes = (b: RecordBatch) => Buffer.concat(b.getChild('pixels')!.toArray() as Uint8Array[]);
    for await (const out of dicomSeries.run(ctx)) held.push({ batch: out.slices, atYield: pixelBytes(out.slices) });
    expect(held.map((h) => h.batch.numRows)).to.deep.equal(Array(SERIES_N).fill(N));
    held.forEach(({ batch, atYield }, s) => {
      const written = pixelBytes(toySlices(`scan-${s}`, N, SIDE, `dicom:${s}`));
      // a batch viewing a buffer that a later series reused would now hold that series' pixels
      expect(pixelBytes(batch).equals(atYield), `series ${s}: pixels changed after it was yielded`).to.equal(true);
      expect(atYield.equals(written), `series ${s}: pixels are not the HU written`).to.equal(true);
      // the stored form holds the scan's bytes, not the slack of its buffer
      const pixels = batch.getChild('pixels')!.data[0];
      expect(pixels.values.buffer.byteLength).to.equal(OWN_MAPPING_BYTES);
      expect(tableToIPC(new Table(batch)).byteLength).to.be.within(N * SIDE * SIDE * 2, N * SIDE * SIDE * 2 + 65536);
    });
  });

  /** A JPEG folder (image-folder's layout) of `series` toy scans of `slices` size² slices. */
  async function jpegFolder(series: number, slices: number, size: number): Promise<string> {
    const dir = join(tempDir('ctflow-mem-'), 'jpeg');
    await writeJpegFolder(dir, (async function* () {
      for (let s = 0; s < series; s++) yield toySlices(`scan-${s}`, slices, size, `jpeg:${s}`, s % 2);
    })());
    return dir;
  }

  // Every shipped source into the lung graph, every node stored, or the chain up to threshold fused
  // into a stored binary-dilation. synthetic-ct and image-folder are cached per scan (a partitioned
  // group: engine/partition-group.ts); dicom-series runs as one stream group (engine/stream-group.ts).
  const SERIES = 24, SLICES = 6, SIZE = 64;
  const sources = {
    'synthetic-ct': async () => `{ scans: ${SERIES}, slices: [${SLICES}, ${SLICES}], size: ${SIZE} }`,
    'image-folder': async () => `{ path: ${await jpegFolder(SERIES, SLICES, SIZE)} }`,
    'dicom-series': async () => `{ path: ${await dicomFolder(SERIES, SLICES, SIZE)} }`,
  };
  for (const [source, params] of Object.entries(sources)) {
    for (const mode of ['stored', 'fused']) {
      for (const concurrency of [1, 3]) {
        it(`${source} into the lung graph, ${mode}, concurrency ${concurrency}: the live ArrayBuffers do not grow with the scans`, async () => {
          const COUNT_AT = [8, 16, 24]; // scans done so far (a count is a full collection: a few)
          const cache = mode === 'stored';
          const live: number[] = [];
          const events = { progress: (id: string, done: number, _total: number, info?: string) => { if (id === 'scans' && info !== 'reading headers' && COUNT_AT.includes(done)) live.push(queryObjects(ArrayBuffer, { format: 'count' })); } };
          const dir = tempDir('ctflow-mem-');
          const yaml = `name: mem-${source}\nseed: 11\nnodes:\n  scans: { kind: ${source}, params: ${await params()}, cache: ${cache} }\n` +
            `  crop: { kind: cropper, in: { slices: scans }, cache: ${cache} }\n  median: { kind: median-filter, in: { slices: crop.slices }, cache: ${cache} }\n` +
            `  mask: { kind: threshold, in: { slices: median }, cache: ${cache} }\n  lung: { kind: binary-dilation, in: { masks: mask } }\n`;
          const slabs = () => ({ lent: startedPool()?.slabs.lent ?? 0, made: [...(startedPool()?.slabs.made.values() ?? [])].reduce((a, b) => a + b, 0) });
          const before = slabs();
          const out = await runFile(session(join(dir, 'runs'), { concurrency, events }), writeGraph(dir, 'g.yaml', yaml));
          expect(out.record.status).to.equal('ok');
          expect(out.record.nodes.lung.rows?.areas).to.equal(SERIES * SLICES);
          // image-folder's slabs (one a scan here) are given back as each step ends and written again:
          // none is still lent after the run, and the workers made a few, not one a scan
          const after = slabs();
          expect(after.lent, 'slabs still lent').to.equal(before.lent);
          expect(after.made - before.made, `slabs made over ${SERIES} scans`).to.be.at.most(2 * (concurrency + 3));
          expect(live).to.have.length(COUNT_AT.length);
          // Scans kept alive grow the count in every stretch of scans (one buffer a scan held is 8 a
          // stretch, a batch ≈ 20 buffers); something started once (a pool, a writer, a lazily loaded
          // module — in the whole suite also what earlier tests left running) grows one stretch only.
          // So the smaller of the two stretches' growths is what the scans hold: none. At concurrency
          // 1 nothing else is in flight at a count; at 3 up to two other scans are (≈ 50 buffers each
          // here, none at the last count), so there the stretches are long enough (8 scans) for a
          // batch held per scan to outgrow them; a single buffer held per scan shows at concurrency 1.
          const growth = Math.min(live[1] - live[0], live[2] - live[1]);
          expect(growth, `live ArrayBuffers after scans ${COUNT_AT.join(', ')}: ${live.join(' ')}`).to.be.at.most(2);
        });
      }
    }
  }
});
