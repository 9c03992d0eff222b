// Parity with the scipy reference (the anchor's rules: largest 4-connected component of raw > −500,
// tight box; median_filter with mode 'reflect'; mask = median > −400; binary_fill_holes; first
// argmax window of n // 2 slices), on the fixture written by bench/preprocess/make-fixture.py.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import type { NodeDef } from '../../../engine/types.js';
import areaWindow from '../../../nodes/area-window.js';
import binaryDilation from '../../../nodes/binary-dilation.js';
import cropper from '../../../nodes/cropper.js';
import { lungArea } from '../../../nodes/kernels/lung/lung-area.js';
import { LungPool } from '../../../nodes/kernels/lung/pool.js';
import { sliceWindow } from '../../../nodes/kernels/lung/slice-window.js';
import medianFilter from '../../../nodes/median-filter.js';
import threshold from '../../../nodes/threshold.js';
import { Areas, Slices } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';
import { loadFixture, type FixtureSlice } from './fixture.js';

const fx = loadFixture();

function scanOf(s: FixtureSlice): RecordBatch {
  return makeBatch(Slices, {
    scan_id: [s.name], split: ['test'], label: [null], slice_index: [0], height: [s.height], width: [s.width],
    pixels: [new Uint8Array(s.pixels.buffer, s.pixels.byteOffset, s.pixels.byteLength)], position_mm: [null], pixel_mm: [null],
  });
}

async function step(def: NodeDef, params: Record<string, unknown>, inputs: Record<string, RecordBatch>) {
  if (def.mode !== 'stream') throw new Error(`${def.kind} is not a stream kind`);
  return def.run(testContext({ ...Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default])), ...params }), inputs);
}

describe('lung area: parity with the scipy reference', () => {
  it('the fixture holds anchor slices and edge cases, with distinct answers for median 3 and 5', () => {
    expect(fx.slices.length).to.be.within(6, 10);
    expect(fx.slices.some((s) => s.areas.k3 !== s.areas.k5)).to.equal(true);
    expect(fx.slices.some((s) => s.width % 32 !== 0)).to.equal(true);
  });

  for (const k of [3, 5] as const) {
    it(`fused lungArea: boxes and areas equal scipy's, median ${k}`, () => {
      for (const s of fx.slices) {
        const r = lungArea(s.pixels, s.height, s.width, { size: k });
        expect([r.r0, r.r1, r.c0, r.c1], s.name).to.deep.equal(s.box);
        expect(r.area, s.name).to.equal(s.areas[`k${k}`]);
      }
    });

    it(`node chain cropper → median-filter → threshold → binary-dilation equals scipy's, median ${k}`, async () => {
      for (const s of fx.slices) {
        const crop = await step(cropper, {}, { slices: scanOf(s) });
        const box = crop.boxes.get(0)!.toJSON();
        expect([box.r0, box.r1, box.c0, box.c1], s.name).to.deep.equal(s.box);
        const med = await step(medianFilter, { size: k }, { slices: crop.slices });
        const mask = await step(threshold, {}, { slices: med.slices });
        if (s.masks) {
          const m = mask.masks.get(0)!.mask as Uint8Array, cw = s.box[3] - s.box[2];
          const rows = s.masks[`k${k}`].map((_, y) => Array.from(m.subarray(y * cw, (y + 1) * cw)).join(''));
          expect(rows, `${s.name} mask`).to.deep.equal(s.masks[`k${k}`]);
        }
        const fill = await step(binaryDilation, {}, { masks: mask.masks });
        expect(fill.areas.get(0)!.area, s.name).to.equal(s.areas[`k${k}`]);
      }
    });

    it(`the 300-slice area curve gives the reference window, median ${k}`, async () => {
      const areas = fx.volume[`areas_k${k}`], want = fx.volume[`window_k${k}`];
      expect(sliceWindow(areas, 0.5, 'area')).to.deep.equal(want);
      const n = areas.length;
      const batch = makeBatch(Areas, {
        scan_id: Array(n).fill('anchor'), split: Array(n).fill('test'), label: Array(n).fill(null),
        slice_index: [...Array(n).keys()].reverse(), area: [...areas].reverse(),
      });
      const w = (await step(areaWindow, {}, { areas: batch })).windows.get(0)!.toJSON();
      expect({ start: w.start, end: w.end, sum: w.area_sum, n: w.n_slices }).to.deep.equal({ ...want, n });
    });
  }

  it('the worker pool (2 threads) gives the same boxes and areas, shared or copied', async function () {
    this.timeout(20000);
    const big = fx.slices.filter((s) => s.width === 512);
    const n = 512 * 512;
    const pool = new LungPool(2);
    try {
      for (const shared of [true, false]) {
        const all = new Int16Array(shared ? new SharedArrayBuffer(big.length * n * 2) : new ArrayBuffer(big.length * n * 2));
        big.forEach((s, i) => all.set(s.pixels, i * n));
        const r = await pool.run(all, big.length, 512, 512, { size: 5 }, 1);
        expect(Array.from(r.areas)).to.deep.equal(big.map((s) => s.areas.k5));
        expect(big.map((_, i) => Array.from(r.boxes.subarray(4 * i, 4 * i + 4)))).to.deep.equal(big.map((s) => s.box));
      }
      await pool.run(new Int16Array(n), 1, 512, 512, { size: 4 }).then(
        () => expect.fail('an even window must be rejected'),
        (e: Error) => expect(e.message).to.match(/lung worker: .*filter size 4/),
      );
    } finally {
      await pool.close();
    }
  });
});
