// The lung-area chain as the kinds run it. cropper, median-filter and threshold return batches whose
// pixels (or mask) column is computed only when something reads it (lazy.ts), and remember how
// they were derived from the last real batch: crop → filter → threshold, each at most once, in that
// order. binary-dilation, given such masks, runs the whole chain in one fused pass on LungPool's
// worker threads (lungArea: boxes, areas and filled masks) without computing any intermediate; the
// filled masks are gathered into a column only when something reads them.
// Whatever else reads a lazy column (the writer of a cached node, another kind) gets it from the
// plain kernels, the reference the fused kernel is tested against, so a graph's results do not
// depend on which path ran — only its speed does.
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import { Areas, Boxes, Masks, Slices } from '../../tables.js';
import { column, images, scanColumns, type Image } from './batch.js';
import type { Edge } from './bits.js';
import type { Box } from './components.js';
import { cropBox, cropPixels } from './crop.js';
import { fillHoles } from './fill.js';
import { knownImages } from './known-images.js';
import { copyRows, lazyBatch } from './lazy.js';
import { lungArea, type LungOptions } from './lung-area.js';
import { sharedPool } from './shared-pool.js';
import { rankFilter, type Rank } from './rank-filter.js';
import { threshold, type ThresholdOp } from './threshold.js';

export interface CropStep { air: number; margin: number }
export interface FilterStep { size: number; edge: Edge; filter: Rank }
export interface ThresholdStep { t: number; op: ThresholdOp }

interface Chain {
  /** The real Slices batch the chain starts from. */
  base: RecordBatch;
  /** Its images, checked against their sizes (by the node that started the chain). */
  baseImages: Image<Int16Array>[];
  crop?: CropStep & { boxes: Box[] };
  filter?: FilterStep;
  threshold?: ThresholdStep;
}

const chains = new WeakMap<RecordBatch, Chain>();

/**
 * The chain a Slices batch extends: its own when it is a lazy chain batch that `can` extend, else a
 * new one from its (real) pixels: the images its source holds (known-images.ts), or its column's.
 */
function chainFrom(slices: RecordBatch, who: string, can: (c: Chain) => boolean): Chain {
  const c = chains.get(slices);
  if (c && can(c)) return c;
  return { base: slices, baseImages: knownImages(slices) ?? images(slices, 'pixels', who) };
}

/** Images between two steps of a chain, on the main thread: grown as needed, reused slice after slice. */
const between = [new Int16Array(0), new Int16Array(0)];
const scratch = (k: 0 | 1, n: number) => (between[k].length >= n ? between[k] : (between[k] = new Int16Array(n))).subarray(0, n);

/**
 * The images at the end of the chain, by the plain kernels (what each node would have computed),
 * slice i written into rows[i]: its int16 pixels or, after a threshold, its mask.
 */
function materialise(c: Chain, rows: Uint8Array[]): void {
  const filter = c.filter?.size === 1 ? undefined : c.filter;
  c.baseImages.forEach(({ h, w, data }, i) => {
    const row = rows[i], pixels = () => new Int16Array(row.buffer, row.byteOffset, row.byteLength >> 1);
    let px = data;
    if (c.crop) {
      const box = c.crop.boxes[i], ch = box.r1 - box.r0, cw = box.c1 - box.c0;
      px = cropPixels(px, w, box, filter || c.threshold ? scratch(0, ch * cw) : pixels());
      h = ch;
      w = cw;
    }
    if (filter) px = rankFilter(px, h, w, filter.size, filter.filter, filter.edge, c.threshold ? scratch(1, h * w) : pixels());
    if (c.threshold) threshold(px, c.threshold.t, c.threshold.op, row);
    else if (!c.crop && !filter) pixels().set(px);
  });
}

/** A Slices (or, with a threshold, Masks) batch of the chain's end, its pixel column lazy. */
function chainBatch(c: Chain, who: string, dims: { h: number; w: number }[]): RecordBatch {
  const port = c.threshold ? Masks : Slices, field = c.threshold ? 'mask' : 'pixels', bytes = c.threshold ? 1 : 2;
  const columns: Record<string, unknown[]> = {
    ...scanColumns(c.base, who), height: dims.map((d) => d.h), width: dims.map((d) => d.w),
  };
  if (!c.threshold) {
    columns.position_mm = column(c.base, 'position_mm', who);
    columns.pixel_mm = column(c.base, 'pixel_mm', who);
  }
  const batch = lazyBatch(port, columns, field, dims.map((d) => d.h * d.w * bytes), (rows) => materialise(c, rows));
  chains.set(batch, c);
  return batch;
}

const dimsOf = (imgs: readonly { h: number; w: number }[]) => imgs.map(({ h, w }) => ({ h, w }));

/** cropper: the boxes now (they are an output), the cropped pixels when read. */
export function cropStep(slices: RecordBatch, step: CropStep, who: string): { slices: RecordBatch; boxes: RecordBatch } {
  const base = chainFrom(slices, who, () => false);
  const boxes = base.baseImages.map(({ h, w, data }) => cropBox(data, h, w, step.air, step.margin));
  const c: Chain = { ...base, crop: { ...step, boxes } };
  const scan = scanColumns(slices, who);
  return {
    slices: chainBatch(c, who, boxes.map((b) => ({ h: b.r1 - b.r0, w: b.c1 - b.c0 }))),
    boxes: makeBatch(Boxes, {
      ...scan, r0: boxes.map((b) => b.r0), r1: boxes.map((b) => b.r1), c0: boxes.map((b) => b.c0), c1: boxes.map((b) => b.c1),
    }),
  };
}

/** median-filter: extends a chain that has no filter or threshold yet. */
export function filterStep(slices: RecordBatch, step: FilterStep, who: string): RecordBatch {
  const c = chainFrom(slices, who, (x) => !x.filter && !x.threshold);
  return chainBatch({ ...c, filter: step }, who, dimsAt(c, slices, who));
}

/** threshold: extends a chain that has no threshold yet. */
export function thresholdStep(slices: RecordBatch, step: ThresholdStep, who: string): RecordBatch {
  const c = chainFrom(slices, who, (x) => !x.threshold);
  return chainBatch({ ...c, threshold: step }, who, dimsAt(c, slices, who));
}

/** Slice sizes at the chain's end: the input batch's height and width columns (the input is that end). */
function dimsAt(c: Chain, slices: RecordBatch, who: string): { h: number; w: number }[] {
  if (c.base === slices) return dimsOf(c.baseImages);
  const hs = column(slices, 'height', who) as number[], ws = column(slices, 'width', who) as number[];
  return hs.map((h, i) => ({ h, w: ws[i] }));
}

/**
 * binary-dilation nodes whose filled masks something read (a stored lung node, a panel). Unpacking
 * and gathering the masks costs the workers more than the rest of the kernel, and the shipped
 * graphs read only the areas: a node's masks are computed on the workers once one of its batches
 * had them read, and for that batch, on the main thread by the same kernel when read.
 */
const masksRead = new Set<string>();

/**
 * binary-dilation: filled masks and lung areas. Masks from a chain run fused on every core from
 * the chain's real batch; real masks are filled by the plain kernel.
 */
export async function fillStep(masks: RecordBatch, who: string): Promise<{ masks: RecordBatch; areas: RecordBatch }> {
  const c = chains.get(masks);
  const scan = scanColumns(masks, who);
  if (c?.threshold) {
    const f: FilterStep = c.filter ?? { size: 1, edge: 'reflect', filter: 'median' };
    const options: LungOptions = { crop: !!c.crop, air: c.crop?.air ?? 0, margin: c.crop?.margin ?? 0, ...f, ...c.threshold };
    // the cropper's boxes, found once (on this thread, when it ran): the workers do not look for them again
    const cropped = c.crop?.boxes, boxes = cropped && Int32Array.from(cropped.flatMap((b) => [b.r0, b.r1, b.c0, b.c1]));
    const r = await sharedPool().runImages(c.baseImages, options, masksRead.has(who), undefined, boxes);
    const dims = Array.from(r.areas, (_, i) => ({ h: r.boxes[4 * i + 1] - r.boxes[4 * i], w: r.boxes[4 * i + 3] - r.boxes[4 * i + 2] }));
    // the filled masks are gathered into one column only if something reads them
    const filled = (rows: Uint8Array[]) => {
      masksRead.add(who);
      if (r.masks) return copyRows(rows, r.masks, `${who}: mask`);
      c.baseImages.forEach(({ h, w, data }, i) => lungArea(data, h, w, options, undefined, (size) => {
        if (size !== rows[i].length) throw new Error(`${who}: slice ${i}'s mask has ${size} bytes, its box ${rows[i].length}`);
        return rows[i];
      }, cropped?.[i]));
    };
    const columns = { ...scan, height: dims.map((d) => d.h), width: dims.map((d) => d.w) };
    return {
      masks: lazyBatch(Masks, columns, 'mask', dims.map((d) => d.h * d.w), filled),
      areas: makeBatch(Areas, { ...scan, area: Array.from(r.areas) }),
    };
  }
  const out = images(masks, 'mask', who).map(({ h, w, data }) => ({ h, w, ...fillHoles(data, h, w) }));
  return {
    masks: makeBatch(Masks, { ...scan, height: out.map((o) => o.h), width: out.map((o) => o.w), mask: out.map((o) => o.filled) }),
    areas: makeBatch(Areas, { ...scan, area: out.map((o) => o.area) }),
  };
}
