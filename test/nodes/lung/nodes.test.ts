// The five lung-area node kinds, each through run() with a test context, and the debug panels.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import type { NodeDef } from '../../../engine/types.js';
import areaWindow from '../../../nodes/area-window.js';
import binaryDilation from '../../../nodes/binary-dilation.js';
import cropper from '../../../nodes/cropper.js';
import { renderPanels } from '../../../nodes/kernels/lung/panels.js';
import medianFilter from '../../../nodes/median-filter.js';
import threshold from '../../../nodes/threshold.js';
import { Areas, Masks, Slices } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';
import { loadFixture } from './fixture.js';
import * as naive from './naive.js';

const bytes = (a: Int16Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const int16 = (b: Uint8Array) => new Int16Array(b.slice().buffer);

function slices(imgs: { h: number; w: number; px: Int16Array }[], scan = 'scan-1'): RecordBatch {
  const n = imgs.length;
  return makeBatch(Slices, {
    scan_id: Array(n).fill(scan), split: Array(n).fill('train'), label: Array(n).fill(null),
    slice_index: [...Array(n).keys()], height: imgs.map((i) => i.h), width: imgs.map((i) => i.w),
    pixels: imgs.map((i) => bytes(i.px)), position_mm: imgs.map((_, k) => 2.5 * k), pixel_mm: Array(n).fill(0.7),
  });
}

function masks(imgs: { h: number; w: number; m: Uint8Array }[]): RecordBatch {
  const n = imgs.length;
  return makeBatch(Masks, {
    scan_id: Array(n).fill('scan-1'), split: Array(n).fill('test'), label: Array(n).fill(1),
    slice_index: [...Array(n).keys()], height: imgs.map((i) => i.h), width: imgs.map((i) => i.w), mask: imgs.map((i) => i.m),
  });
}

async function run(def: NodeDef, params: Record<string, unknown>, inputs: Record<string, RecordBatch>) {
  if (def.mode !== 'stream') throw new Error(`${def.kind} is not a stream kind`);
  const defaults = Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default]));
  return def.run(testContext({ ...defaults, ...params }, { id: 'n1' }), inputs);
}

const rows = (b: RecordBatch) => b.toArray().map((r) => r.toJSON());

describe('lung nodes', () => {
  const a = { h: 20, w: 30, px: naive.randomSlice('node a', 20, 30) };
  const b = { h: 9, w: 7, px: naive.randomSlice('node b', 9, 7) };

  it('cropper: crops each slice to its box (with margin) and passes the other columns through', async () => {
    for (const margin of [0, 3]) {
      const out = await run(cropper, { margin }, { slices: slices([a, b]) });
      const boxes = rows(out.boxes), got = rows(out.slices);
      expect(boxes.map((r) => r.slice_index)).to.deep.equal([0, 1]);
      [a, b].forEach((img, i) => {
        const nb = naive.largestBox(img.px, img.h, img.w, -500)!;
        const want = [Math.max(0, nb[0] - margin), Math.min(img.h, nb[1] + margin), Math.max(0, nb[2] - margin), Math.min(img.w, nb[3] + margin)];
        const { r0, r1, c0, c1 } = boxes[i];
        expect([r0, r1, c0, c1], `slice ${i} margin ${margin}`).to.deep.equal(want);
        expect([got[i].height, got[i].width]).to.deep.equal([r1 - r0, c1 - c0]);
        const px = int16(got[i].pixels);
        for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) expect(px[(y - r0) * (c1 - c0) + x - c0]).to.equal(img.px[y * img.w + x]);
        expect([got[i].scan_id, got[i].split, got[i].label, got[i].position_mm, got[i].pixel_mm]).to.deep.equal(['scan-1', 'train', null, 2.5 * i, 0.7]);
      });
    }
  });

  it('cropper: a slice whose pixels do not match its size names the scan, the slice and the fix', async () => {
    const bad = makeBatch(Slices, {
      scan_id: ['s-9'], split: ['train'], label: [0], slice_index: [4], height: [4], width: [4],
      pixels: [new Uint8Array(30)], position_mm: [null], pixel_mm: [null],
    });
    try {
      await run(cropper, {}, { slices: bad });
      expect.fail('should throw');
    } catch (e) {
      expect((e as Error).message).to.match(/cropper node "n1": scan "s-9" slice 4 has 30 bytes of pixels, but 4×4×2 = 32 expected.*rerun/);
    }
  });

  it('median-filter: median or minimum, reflect or replicate; size 1 leaves pixels unchanged', async () => {
    for (const [params, size, rank, edge] of [
      [{}, 3, 'median', 'reflect'], [{ size: 5, edge: 'replicate' }, 5, 'median', 'replicate'],
      [{ size: 7, filter: 'minimum' }, 7, 'minimum', 'reflect'], [{ size: 1 }, 1, 'median', 'reflect'],
    ] as const) {
      const out = rows((await run(medianFilter, params, { slices: slices([a, b]) })).slices);
      [a, b].forEach((img, i) => {
        expect([out[i].height, out[i].width]).to.deep.equal([img.h, img.w]);
        expect(Array.from(int16(out[i].pixels)), JSON.stringify(params)).to.deep.equal(Array.from(naive.filter(img.px, img.h, img.w, size, rank, edge)));
      });
    }
  });

  it('threshold: gt is strict (scipy), ge includes t (paper eq. 2)', async () => {
    const img = { h: 1, w: 5, px: Int16Array.from([-401, -400, -399, 0, -1000]) };
    const gt = rows((await run(threshold, {}, { slices: slices([img]) })).masks)[0];
    const ge = rows((await run(threshold, { op: 'ge' }, { slices: slices([img]) })).masks)[0];
    const hi = rows((await run(threshold, { t: -1 }, { slices: slices([img]) })).masks)[0];
    expect(Array.from(gt.mask as Uint8Array)).to.deep.equal([0, 0, 1, 1, 0]);
    expect(Array.from(ge.mask as Uint8Array)).to.deep.equal([0, 1, 1, 1, 0]);
    expect(Array.from(hi.mask as Uint8Array)).to.deep.equal([0, 0, 0, 1, 0]);
    expect([gt.height, gt.width, gt.slice_index]).to.deep.equal([1, 5, 0]);
  });

  it('binary-dilation: filled masks and areas = filled − mask', async () => {
    const ring = { h: 5, w: 5, m: Uint8Array.from('0000001110010100111000000', (c) => +c) };
    const open = { h: 4, w: 4, m: Uint8Array.from('1111100010111111', (c) => +c) };   // the gap touches the border
    const out = await run(binaryDilation, {}, { masks: masks([ring, open]) });
    const filled = rows(out.masks).map((r) => Array.from(r.mask as Uint8Array).join(''));
    expect(filled).to.deep.equal(['0000001110011100111000000', '1111100010111111']);
    expect(rows(out.areas).map((r) => [r.slice_index, r.area, r.label])).to.deep.equal([[0, 1, 1], [1, 0, 1]]);
  });

  describe('area-window', () => {
    const areas = (scan: string, values: number[], index = [...values.keys()]) => ({ scan, values, index });
    function batch(parts: ReturnType<typeof areas>[]) {
      const r = parts.flatMap((p) => p.values.map((v, i) => ({ scan: p.scan, v, i: p.index[i] })));
      return makeBatch(Areas, {
        scan_id: r.map((x) => x.scan), split: r.map(() => 'validation'), label: r.map(() => 0),
        slice_index: r.map((x) => x.i), area: r.map((x) => x.v),
      });
    }

    it('picks the first window of ⌊fraction·n⌋ slices with the largest area, in slice order', async () => {
      // stored in reverse; in slice order the areas are 0 5 5 0 5 5 0 1: windows of 4 sum to 10 15 15 11 11
      const w = rows((await run(areaWindow, {}, { areas: batch([areas('s', [1, 0, 5, 5, 0, 5, 5, 0], [7, 6, 5, 4, 3, 2, 1, 0])]) })).windows);
      expect(w).to.deep.equal([{ scan_id: 's', split: 'validation', label: 0, n_slices: 8, start: 1, end: 5, area_sum: 15 }]);
    });

    it('center strategy and margins; one row per scan in order of appearance', async () => {
      const out = rows((await run(areaWindow, { fraction: 0.25, strategy: 'center', margin: 1 }, {
        areas: batch([areas('b', [1, 2, 3, 4, 5, 6, 7, 8]), areas('a', [4, 4, 4])]),
      })).windows);
      expect(out.map((r) => [r.scan_id, r.n_slices, r.start, r.end, r.area_sum])).to.deep.equal([['b', 8, 3, 5, 9], ['a', 3, 1, 2, 4]]);
      const margin = rows((await run(areaWindow, { fraction: 0.2, margin: 2 }, { areas: batch([areas('c', [9, 9, 0, 1, 2, 0, 0, 0, 9, 9])]) })).windows);
      expect([margin[0].start, margin[0].end]).to.deep.equal([3, 5]);
    });

    it('names the scan and slice when a slice has two areas', async () => {
      try {
        await run(areaWindow, {}, { areas: batch([areas('dup', [1, 2, 3], [0, 1, 1])]) });
        expect.fail('should throw');
      } catch (e) {
        expect((e as Error).message).to.match(/area-window node "n1": scan "dup" has two areas for slice 1/);
      }
    });
  });

  it('renderPanels: six panels (original … lung) as a PNG, lung pixels green', async function () {
    this.timeout(20000);
    const s = loadFixture().slices.find((x) => x.name === 'anchor z=149')!;
    const png = await renderPanels(s.pixels, s.height, s.width, { panel: 96 });
    const sharp = (await import('sharp')).default;
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).to.deep.equal([6 * 96 + 5 * 4, 96, 3]);
    const green = (x0: number) => {
      let n = 0;
      for (let y = 0; y < 96; y++) for (let x = x0; x < x0 + 96; x++) if (data[(y * info.width + x) * 3] === 80 && data[(y * info.width + x) * 3 + 1] === 220) n++;
      return n;
    };
    expect(green(5 * 100), 'lung panel').to.be.greaterThan(500);
    expect(green(3 * 100), 'mask panel is black and white').to.equal(0);
  });
});
