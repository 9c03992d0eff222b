// The lung chain as the kinds run it (kernels/lung/chain.ts): cropper → median-filter → threshold →
// binary-dilation over lazy batches runs fused on the worker pool; every output, and every
// intermediate that something reads (a cached node's writer), must equal the plain kernels' byte
// for byte — for several param combinations, chains with steps left out, and cache mixes.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { Table, tableToIPC } from '../../../engine/arrow.js';
import { makeBatch } from '../../../engine/ports.js';
import type { NodeDef } from '../../../engine/types.js';
import binaryDilation from '../../../nodes/binary-dilation.js';
import cropper from '../../../nodes/cropper.js';
import { sliceBatch } from '../../../nodes/kernels/slab-batch.js';
import { byteToHuTable, greyToHu, huPixelsToBytes } from '../../../nodes/kernels/image-folder/hu.js';
import { cropBox, cropPixels } from '../../../nodes/kernels/lung/crop.js';
import { fillHoles } from '../../../nodes/kernels/lung/fill.js';
import { lungArea } from '../../../nodes/kernels/lung/lung-area.js';
import { LungPool } from '../../../nodes/kernels/lung/pool.js';
import { rankFilter } from '../../../nodes/kernels/lung/rank-filter.js';
import { threshold as thresholdKernel } from '../../../nodes/kernels/lung/threshold.js';
import { generateScan } from '../../../nodes/kernels/synthetic/scan.js';
import medianFilter from '../../../nodes/median-filter.js';
import threshold from '../../../nodes/threshold.js';
import { Areas, Boxes, Masks, Slices } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';
import { loadFixture } from './fixture.js';

const bytes = (a: Int16Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
interface Img { h: number; w: number; px: Int16Array }

/** The fixture's slices (anchor volume and edge cases) and a synthetic 128² scan: one batch. */
function inputSlices(): { batch: RecordBatch; imgs: Img[] } {
  const imgs: Img[] = loadFixture().slices.map((s) => ({ h: s.height, w: s.width, px: s.pixels }));
  const scan = generateScan('chain-test', 1, [6, 6], 128);
  for (let i = 0; i < 6; i++) imgs.push({ h: 128, w: 128, px: scan.pixels.subarray(i * 128 * 128, (i + 1) * 128 * 128) });
  const n = imgs.length;
  return {
    imgs,
    batch: makeBatch(Slices, {
      scan_id: Array(n).fill('s'), split: Array(n).fill('train'), label: Array(n).fill(1), slice_index: [...Array(n).keys()],
      height: imgs.map((i) => i.h), width: imgs.map((i) => i.w), pixels: imgs.map((i) => bytes(i.px)),
      position_mm: imgs.map((_, k) => 1.25 * k), pixel_mm: Array(n).fill(0.7),
    }),
  };
}

async function run(def: NodeDef, params: Record<string, unknown>, inputs: Record<string, RecordBatch>, id = 'n') {
  if (def.mode !== 'stream') throw new Error(`${def.kind} is not a stream kind`);
  const defaults = Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default]));
  return def.run(testContext({ ...defaults, ...params }, { id }), inputs);
}

/** What a stored node's batch becomes: every column read (as the entry writer does, lazy ones computed) into a new, real batch. */
const stored = (b: RecordBatch): RecordBatch =>
  makeBatch(b.schema.fields.some((f) => f.name === 'mask') ? Masks : Slices, Object.fromEntries(b.schema.fields.map((f) => [f.name, Array.from(b.getChild(f.name)!)])));
const ipc = (b: RecordBatch): string => Buffer.from(tableToIPC(new Table(b))).toString('base64');

interface Params { crop?: { air: number; margin: number }; filter?: { size: number; edge: 'reflect' | 'replicate'; filter: 'median' | 'minimum' }; t: { t: number; op: 'gt' | 'ge' } }

/** The plain kernels, step by step, as the kinds computed them before the chain: every intermediate batch. */
function reference(base: RecordBatch, imgs: Img[], p: Params) {
  const scan = { scan_id: Array(imgs.length).fill('s'), split: Array(imgs.length).fill('train'), label: Array(imgs.length).fill(1), slice_index: [...imgs.keys()] };
  const out: Record<string, RecordBatch> = {};
  let cur = imgs;
  if (p.crop) {
    const boxes = cur.map(({ h, w, px }) => cropBox(px, h, w, p.crop!.air, p.crop!.margin));
    cur = cur.map(({ w, px }, i) => ({ h: boxes[i].r1 - boxes[i].r0, w: boxes[i].c1 - boxes[i].c0, px: cropPixels(px, w, boxes[i]) }));
    out.boxes = makeBatch(Boxes, { ...scan, r0: boxes.map((b) => b.r0), r1: boxes.map((b) => b.r1), c0: boxes.map((b) => b.c0), c1: boxes.map((b) => b.c1) });
    out.crop = slicesLike(base, scan, cur);
  }
  if (p.filter) {
    const { size, filter, edge } = p.filter;
    cur = cur.map(({ h, w, px }) => ({ h, w, px: size === 1 ? px : rankFilter(px, h, w, size, filter, edge) }));
    out.median = slicesLike(base, scan, cur);
  }
  const mask = cur.map(({ h, w, px }) => ({ h, w, m: thresholdKernel(px, p.t.t, p.t.op) }));
  out.mask = makeBatch(Masks, { ...scan, height: mask.map((m) => m.h), width: mask.map((m) => m.w), mask: mask.map((m) => m.m) });
  const filled = mask.map(({ h, w, m }) => fillHoles(m, h, w));
  out.filled = makeBatch(Masks, { ...scan, height: mask.map((m) => m.h), width: mask.map((m) => m.w), mask: filled.map((f) => f.filled) });
  out.areas = makeBatch(Areas, { ...scan, area: filled.map((f) => f.area) });
  return out;
}

function slicesLike(base: RecordBatch, scan: Record<string, unknown[]>, imgs: Img[]): RecordBatch {
  return makeBatch(Slices, {
    ...scan, height: imgs.map((i) => i.h), width: imgs.map((i) => i.w), pixels: imgs.map((i) => bytes(i.px)),
    position_mm: Array.from(base.getChild('position_mm')!), pixel_mm: Array.from(base.getChild('pixel_mm')!),
  });
}

/** The kinds in a chain; `cached` names the intermediates that are stored (read whole, then passed on as read back). */
async function viaKinds(base: RecordBatch, p: Params, cached: Set<string>) {
  const out: Record<string, RecordBatch> = {};
  const pass = (name: string, b: RecordBatch) => { out[name] = b; return cached.has(name) ? stored(b) : b; };
  let slices = base;
  if (p.crop) {
    const r = await run(cropper, p.crop, { slices });
    out.boxes = r.boxes;
    slices = pass('crop', r.slices);
  }
  if (p.filter) slices = pass('median', (await run(medianFilter, p.filter, { slices })).slices);
  const masks = pass('mask', (await run(threshold, p.t, { slices })).masks);
  const lung = await run(binaryDilation, {}, { masks });
  out.filled = lung.masks;
  out.areas = lung.areas;
  return out;
}

const PARAMS: Params[] = [
  { crop: { air: -500, margin: 0 }, filter: { size: 3, edge: 'reflect', filter: 'median' }, t: { t: -400, op: 'gt' } },
  { crop: { air: -500, margin: 0 }, filter: { size: 5, edge: 'reflect', filter: 'median' }, t: { t: -400, op: 'gt' } },
  { crop: { air: -300, margin: 3 }, filter: { size: 5, edge: 'replicate', filter: 'minimum' }, t: { t: -500, op: 'ge' } },
  { crop: { air: -700, margin: 1 }, filter: { size: 7, edge: 'reflect', filter: 'median' }, t: { t: -350, op: 'ge' } },
  { crop: { air: -500, margin: 0 }, filter: { size: 1, edge: 'reflect', filter: 'median' }, t: { t: -400, op: 'gt' } },
  { crop: { air: -500, margin: 2 }, t: { t: -400, op: 'gt' } },                                  // no median (ablation)
  { filter: { size: 3, edge: 'reflect', filter: 'minimum' }, t: { t: -400, op: 'gt' } },      // no crop
  { t: { t: -450, op: 'ge' } },                                                               // threshold alone
];

describe('lung chain: fused through the kinds = plain kernels, byte for byte', function () {
  this.timeout(300_000);
  const { batch, imgs } = inputSlices();

  for (const [k, p] of PARAMS.entries()) {
    const steps = ['crop', 'median', 'mask'].filter((s) => (s === 'crop' ? p.crop : s === 'median' ? p.filter : true));
    const mixes: string[][] = [[], ...steps.map((s) => [s]), steps];
    it(`params #${k} (${JSON.stringify(p)}): every output, under ${mixes.length} cache mixes`, async () => {
      const want = reference(batch, imgs, p);
      for (const mix of mixes) {
        const got = await viaKinds(batch, p, new Set(mix));
        for (const name of Object.keys(want)) {
          expect(got[name], `${name} missing (cached: ${mix})`).to.not.equal(undefined);
          expect(ipc(got[name]), `${name}, cached: [${mix}]`).to.equal(ipc(want[name]));
        }
      }
    });
  }

  it('slices that image-folder decodes into one buffer a scan (not shared: V8 counts it) give the same results through the pool', async () => {
    const window: [number, number] = [-1150, 350], n = 20, side = 128;
    const scan = generateScan('chain-shared', 1, [n, n], side);
    const grey = Array.from({ length: n }, (_, i) => huPixelsToBytes(bytes(scan.pixels.subarray(i * side * side, (i + 1) * side * side)), window));
    const table = byteToHuTable(window);
    const shared = sliceBatch({ source: 'image-folder', scanId: 's', split: 'train', label: 1 },
      grey.map((g, i) => ({ file: `${i}.jpg`, index: i, width: side, height: side, hu: ((hu) => (greyToHu(g, table, hu), hu))(new Int16Array(g.length)) })));
    const pixels = shared.getChild('pixels')!.get(0) as Uint8Array;
    expect(pixels.buffer).to.not.be.instanceOf(SharedArrayBuffer);
    const imgs = Array.from(shared.getChild('pixels')!, (b) => ({ h: side, w: side, px: new Int16Array((b as Uint8Array).slice().buffer) }));
    for (const p of [PARAMS[0], PARAMS[2]]) {
      const want = reference(shared, imgs, p);
      const got = await viaKinds(shared, p, new Set());
      for (const name of Object.keys(want)) expect(ipc(got[name]), name).to.equal(ipc(want[name]));
    }
  });

  it('filled masks are the same computed on the main thread when first read as on the workers for the batches after', async () => {
    const p = PARAMS[1], want = ipc(reference(batch, imgs, p).filled);
    const masks = (await run(threshold, p.t, { slices: (await run(medianFilter, p.filter!, { slices: (await run(cropper, p.crop!, { slices: batch })).slices })).slices })).masks;
    for (let k = 0; k < 3; k++) {
      // a node id no other test used: its first batch's masks are computed on read, later ones by the workers
      const lung = await run(binaryDilation, {}, { masks }, 'masks-read-test');
      expect(ipc(lung.masks), `batch ${k}`).to.equal(want);
    }
  });

  it('slices outside shared memory are copied into each worker\'s reused buffer, chunk after chunk, and slices in shared memory read in place, in any order, with the results of the kernel', async () => {
    const pool = new LungPool(2);
    try {
      // chunks of 1–3 slices of sizes that shrink and grow again: a reused buffer holds larger and smaller chunks in turn
      const all = imgs.map(({ h, w, px }) => ({ h, w, data: px.slice() }));
      const want = all.map(({ h, w, data }) => lungArea(data, h, w, {}));
      const shared = new Int16Array(new SharedArrayBuffer(2 * all.reduce((n, im) => n + im.data.length, 0)));
      const inPlace = all.map((im, i, a) => {
        const at = a.slice(0, i).reduce((n, x) => n + x.data.length, 0);
        shared.set(im.data, at);
        return { ...im, data: shared.subarray(at, at + im.data.length) };
      });
      for (const [chunk, slices] of [[1, all], [2, all], [3, all], [2, inPlace]] as const) {
        const r = await pool.runImages([...slices, ...slices], {}, false, chunk);
        [...want, ...want].forEach((x, i) => {
          expect([...r.boxes.subarray(4 * i, 4 * i + 4), r.areas[i]], `chunk ${chunk}, slice ${i}`).to.deep.equal([x.r0, x.r1, x.c0, x.c1, x.area]);
        });
      }
      // a series ordered by position, its slices not in the order the workers wrote them (dicom-series)
      const order = [...inPlace.keys()].reverse();
      for (const chunk of [3, 16]) {
        const r = await pool.runImages(order.map((i) => inPlace[i]), {}, false, chunk);
        order.map((i) => want[i]).forEach((x, i) => {
          expect([...r.boxes.subarray(4 * i, 4 * i + 4), r.areas[i]], `chunk ${chunk}, slice ${i}`).to.deep.equal([x.r0, x.r1, x.c0, x.c1, x.area]);
        });
      }
    } finally {
      await pool.close();
    }
  });

  it('a process that used the shared pool exits once its work is done (idle workers do not hold it open)', () => {
    const pool = new URL('../../../nodes/kernels/lung/shared-pool.js', import.meta.url).href;
    const script = `import { sharedPool } from ${JSON.stringify(pool)};
      const px = new Int16Array(4096).fill(-1000); px.fill(0, 1000, 3000);
      const r = await sharedPool().runImages([{ h: 64, w: 64, data: px }, { h: 64, w: 64, data: px }, { h: 64, w: 64, data: px }], {}, true, 1);
      console.log(r.areas.length);`;
    const file = join(mkdtempSync(join(tmpdir(), 'ctflow-pool-')), 'use-pool.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'killed by the timeout: the pool held the process open').to.equal(null);
    expect(r.stdout.trim(), r.stderr).to.equal('3');
  });

  it('a batch whose rows are another kind\'s reads the plain result (a lazy column read by anything gives real bytes)', async () => {
    const p = PARAMS[0];
    const crop = (await run(cropper, p.crop!, { slices: batch })).slices;
    const median = (await run(medianFilter, p.filter!, { slices: crop })).slices;
    const want = reference(batch, imgs, p).median;
    expect(Array.from(median.getChild('pixels')!, (b) => Buffer.from(b as Uint8Array).toString('base64')))
      .to.deep.equal(Array.from(want.getChild('pixels')!, (b) => Buffer.from(b as Uint8Array).toString('base64')));
  });
});
