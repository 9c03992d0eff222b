// The lung-area kernels against slow, obviously correct versions (test/nodes/lung/naive.ts).
import { expect } from 'chai';
import { rngFrom } from '../../../engine/rng.js';
import { edgeIndex, packMask, rowRuns } from '../../../nodes/kernels/lung/bits.js';
import { cropBox, cropPixels } from '../../../nodes/kernels/lung/crop.js';
import { fillHoles } from '../../../nodes/kernels/lung/fill.js';
import { lungArea, type LungOptions } from '../../../nodes/kernels/lung/lung-area.js';
import { BitPacker } from '../../../nodes/kernels/lung/pack-bits.js';
import { rankFilter } from '../../../nodes/kernels/lung/rank-filter.js';
import { sliceWindow } from '../../../nodes/kernels/lung/slice-window.js';
import { threshold } from '../../../nodes/kernels/lung/threshold.js';
import * as naive from './naive.js';

const SIZES: [number, number][] = [[1, 1], [3, 2], [7, 33], [31, 64], [40, 47], [64, 96], [17, 129]];

describe('lung kernels: bits', () => {
  it('edgeIndex follows scipy reflect (d c b a | a b c d | d c b a) and replicate', () => {
    // [a b c] reflected: … c b a | a b c | c b a | a b c …
    expect([-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => edgeIndex(i, 3, 'reflect')))
      .to.deep.equal([0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2]);
    expect([-3, -1, 0, 4, 9].map((i) => edgeIndex(i, 5, 'replicate'))).to.deep.equal([0, 0, 0, 4, 4]);
    expect([-2, -1, 1, 2].map((i) => edgeIndex(i, 1, 'reflect'))).to.deep.equal([0, 0, 0, 0]);
    for (let n = 1; n < 6; n++) for (let i = -14; i < 20; i++) expect(edgeIndex(i, n, 'reflect')).to.equal(naive.pad(i, n, 'reflect'));
  });

  it('rowRuns lists the runs of set and of clear bits of word-aligned rows', () => {
    const rng = rngFrom('runs');
    for (const w of [1, 5, 31, 32, 33, 64, 100]) {
      for (let rep = 0; rep < 20; rep++) {
        const p = [0.05, 0.5, 0.95][rep % 3];
        const row = Uint8Array.from({ length: w }, () => (rng() < p ? 1 : 0));
        const bits = new Uint32Array(((w + 31) >> 5) + 1);
        packMask(row, 1, w, bits);
        for (const invert of [false, true]) {
          const starts = new Int32Array(w), ends = new Int32Array(w);
          const n = rowRuns(bits, 0, w, invert, starts, ends, 0);
          const on = (x: number) => (row[x] === 1) !== invert, want: number[][] = [];
          for (let x = 0; x < w; x++) {
            if (!on(x)) continue;
            const start = x;
            while (x < w && on(x)) x++;
            want.push([start, x]);
          }
          expect(Array.from({ length: n }, (_, k) => [starts[k], ends[k]]), `w=${w} invert=${invert}`).to.deep.equal(want);
        }
      }
    }
  });

  it('BitPacker thresholds two planes at once, bit k of word j = pixel 32j + k', () => {
    const rng = rngFrom('pack');
    const packer = new BitPacker();
    for (const n of [1, 15, 16, 17, 31, 32, 33, 1000, 4096]) {
      const px = Int16Array.from({ length: n }, (_, i) => (i % 7 === 0 ? [-32768, 32767, -400, -401][i % 4] : Math.floor(rng() * 65536) - 32768));
      packer.pack(px, -401, 100);
      for (let i = 0; i < n; i++) {
        expect((packer.a[i >> 5] >>> (i & 31)) & 1, `a ${n}:${i}`).to.equal(px[i] > -401 ? 1 : 0);
        expect((packer.b[i >> 5] >>> (i & 31)) & 1, `b ${n}:${i}`).to.equal(px[i] > 100 ? 1 : 0);
      }
      const words = (n + 31) >> 5;
      if (n % 32) expect(packer.a[words - 1] >>> (n % 32), 'no bits past the last pixel').to.equal(0);
      expect(packer.a[words]).to.equal(0);
    }
  });
});

describe('lung kernels: crop', () => {
  it('cropBox is the bbox of the largest 4-connected component above air (first in raster order on ties)', () => {
    for (const [h, w] of SIZES) {
      for (let rep = 0; rep < 4; rep++) {
        const img = naive.randomSlice(`crop ${h}x${w} ${rep}`, h, w);
        const want = naive.largestBox(img, h, w, -500);
        const b = cropBox(img, h, w, -500, 0);
        expect([b.r0, b.r1, b.c0, b.c1], `${h}×${w} #${rep}`).to.deep.equal(want ?? [0, h, 0, w]);
      }
    }
  });

  it('breaks ties by raster order and takes the whole slice when nothing is above air', () => {
    const w = 10, img = new Int16Array(60).fill(-1000);
    for (const i of [13, 14, 43, 44, 8]) img[i] = 0;    // two 1×2 components; one single pixel first
    expect(cropBox(img, 6, w, -500, 0)).to.deep.equal({ r0: 1, r1: 2, c0: 3, c1: 5 });
    expect(cropBox(new Int16Array(60).fill(-1000), 6, w, -500, 0)).to.deep.equal({ r0: 0, r1: 6, c0: 0, c1: 10 });
  });

  it('widens the box by the margin, clamped to the slice, and copies its pixels', () => {
    const img = new Int16Array(8 * 9).fill(-1000);
    img[1 * 9 + 6] = 5; img[2 * 9 + 6] = 6;
    expect(cropBox(img, 8, 9, -500, 2)).to.deep.equal({ r0: 0, r1: 5, c0: 4, c1: 9 });
    expect(Array.from(cropPixels(img, 9, { r0: 1, r1: 3, c0: 5, c1: 7 }))).to.deep.equal([-1000, 5, -1000, 6]);
  });
});

describe('lung kernels: filters and fill', () => {
  it('rankFilter equals the sort-based median/minimum with reflect and replicate borders', () => {
    for (const [h, w] of [[1, 1], [2, 3], [5, 4], [13, 11]] as const) {
      const img = naive.randomSlice(`filter ${h}x${w}`, h, w);
      for (const k of [1, 3, 5, 7]) {
        for (const rank of ['median', 'minimum'] as const) {
          for (const edge of ['reflect', 'replicate'] as const) {
            expect(Array.from(rankFilter(img, h, w, k, rank, edge)), `${h}×${w} k${k} ${rank} ${edge}`)
              .to.deep.equal(Array.from(naive.filter(img, h, w, k, rank, edge)));
          }
        }
      }
    }
    expect(() => rankFilter(new Int16Array(4), 2, 2, 4, 'median', 'reflect')).to.throw(/window 4 must be an odd integer/);
  });

  it('threshold: gt is strict, ge includes t', () => {
    const px = Int16Array.from([-401, -400, -399, 32767, -32768]);
    expect(Array.from(threshold(px, -400, 'gt'))).to.deep.equal([0, 0, 1, 1, 0]);
    expect(Array.from(threshold(px, -400, 'ge'))).to.deep.equal([0, 1, 1, 1, 0]);
  });

  it('fillHoles equals a flood of the background from the border; area = filled − mask', () => {
    const rng = rngFrom('fill');
    for (const [h, w] of SIZES) {
      for (const p of [0.3, 0.55, 0.7]) {
        const mask = Uint8Array.from({ length: h * w }, () => (rng() < p ? 1 : 0));
        const want = naive.fill(mask, h, w);
        const { filled, area } = fillHoles(mask, h, w);
        expect(Array.from(filled), `${h}×${w} p=${p}`).to.deep.equal(Array.from(want));
        expect(area).to.equal(want.reduce((a, v) => a + v, 0) - mask.reduce((a, v) => a + v, 0));
      }
    }
  });

  it('a hole touching the border only diagonally is still a hole (background is 4-connected)', () => {
    const mask = Uint8Array.from([
      0, 1, 1, 1,
      1, 0, 0, 1,
      1, 1, 1, 1,
    ]);
    const { filled, area } = fillHoles(mask, 3, 4);
    expect(area).to.equal(2);
    expect(Array.from(filled)).to.deep.equal([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('lung kernels: fused lungArea', () => {
  const combos: Partial<LungOptions>[] = [];
  for (const size of [1, 3, 5, 7]) {
    for (const filter of ['median', 'minimum'] as const) {
      for (const edge of ['reflect', 'replicate'] as const) {
        for (const op of ['gt', 'ge'] as const) combos.push({ size, filter, edge, op });
      }
    }
  }

  function chain(img: Int16Array, h: number, w: number, o: LungOptions) {
    const b = naive.largestBox(img, h, w, o.air);
    const [r0, r1, c0, c1] = b ? [Math.max(0, b[0] - o.margin), Math.min(h, b[1] + o.margin), Math.max(0, b[2] - o.margin), Math.min(w, b[3] + o.margin)] : [0, h, 0, w];
    const ch = r1 - r0, cw = c1 - c0;
    const crop = Int16Array.from({ length: ch * cw }, (_, i) => img[(r0 + Math.floor(i / cw)) * w + c0 + (i % cw)]);
    const f = naive.filter(crop, ch, cw, o.size, o.filter, o.edge);
    const mask = Uint8Array.from(f, (v) => (o.op === 'gt' ? v > o.t : v >= o.t) ? 1 : 0);
    const filled = naive.fill(mask, ch, cw);
    return { r0, r1, c0, c1, area: filled.reduce((a, v) => a + v, 0) - mask.reduce((a, v) => a + v, 0) };
  }

  it('equals crop → filter → threshold → fill → area computed the slow way, for every option', function () {
    this.timeout(20000);
    const sizes: [number, number][] = [[3, 2], [24, 37], [48, 64], [40, 70], [64, 80]];
    let withLung = 0, cases = 0;
    for (const [h, w] of sizes) {
      for (let seed = 0; seed < 3; seed++) {
        const img = naive.randomSlice(`fused ${h}x${w} ${seed}`, h, w);
        for (const c of combos) {
          const o = { air: -500, margin: seed % 3, t: -400, ...c } as LungOptions;
          const want = chain(img, h, w, o);
          expect(lungArea(img, h, w, o), `${h}×${w} #${seed} ${JSON.stringify(c)}`).to.deep.equal(want);
          cases++;
          if (want.area > 0) withLung++;
        }
      }
    }
    expect(withLung, 'many cases have some lung, so areas are really compared').to.be.greaterThan(cases / 3);
  });

  it('takes the crop box it is given (the cropper\'s, found once) instead of finding it again: the same result for the same box, and the box as given', () => {
    for (const [h, w] of [[24, 37], [64, 80]] as [number, number][]) {
      const img = naive.randomSlice(`given box ${h}x${w}`, h, w);
      for (const c of combos) {
        const o = { air: -500, margin: 1, t: -400, ...c } as LungOptions;
        expect(lungArea(img, h, w, o, undefined, undefined, cropBox(img, h, w, o.air, o.margin)), JSON.stringify(c)).to.deep.equal(lungArea(img, h, w, o));
        const whole = { r0: 0, r1: h, c0: 0, c1: w };
        expect(lungArea(img, h, w, o, undefined, undefined, whole), JSON.stringify(c)).to.deep.equal(lungArea(img, h, w, { ...o, crop: false }));
      }
    }
  });

  it('rejects a pixel count that does not match the size, and even windows', () => {
    expect(() => lungArea(new Int16Array(10), 3, 4)).to.throw(/10 pixels, expected 3×4/);
    expect(() => lungArea(new Int16Array(12), 3, 4, { size: 4 })).to.throw(/filter size 4/);
  });
});

describe('lung kernels: slice window', () => {
  function brute(a: number[], nc: number, lo: number, hi: number) {
    let best = -Infinity, start = lo;
    for (let s = lo; s + nc <= hi; s++) {
      const sum = a.slice(s, s + nc).reduce((x, y) => x + y, 0);
      if (sum > best) { best = sum; start = s; }
    }
    return { start, end: start + nc, sum: best };
  }

  it('area: first window of max(1, ⌊fraction·n⌋) slices with the largest sum, margins excluded', () => {
    const rng = rngFrom('window');
    for (let n = 1; n < 40; n++) {
      const a = Array.from({ length: n }, () => Math.floor(rng() * 4) * 100);   // many ties
      for (const fraction of [0.01, 0.29, 0.5, 1]) {
        for (const margin of [0, 2]) {
          const m = Math.min(margin, Math.floor((n - 1) / 2));
          const nc = Math.min(Math.max(1, Math.floor(fraction * n + 1e-9)), n - 2 * m);
          expect(sliceWindow(a, fraction, 'area', margin), `n=${n} f=${fraction} m=${margin}`).to.deep.equal(brute(a, nc, m, n - m));
        }
      }
    }
    expect(sliceWindow(Array(100).fill(1), 0.29, 'area').end, '⌊0.29·100⌋ is 29 despite rounding').to.equal(29);
  });

  it('center: the middle window; an empty scan gives an empty window', () => {
    expect(sliceWindow([9, 9, 0, 0, 0, 0, 0, 0, 0, 0], 0.5, 'center')).to.deep.equal({ start: 2, end: 7, sum: 0 });
    expect(sliceWindow([1, 2, 3, 4, 5, 6, 7], 0.5, 'center', 1)).to.deep.equal({ start: 2, end: 5, sum: 12 });
    expect(sliceWindow([], 0.5, 'area')).to.deep.equal({ start: 0, end: 0, sum: 0 });
  });
});
