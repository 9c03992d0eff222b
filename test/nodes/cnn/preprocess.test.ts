// Slice → network input: antialiased resize, HU window, stretch or pad.
import { expect } from 'chai';
import { int16Pixels, preprocessSlice, type Preprocess } from '../../../nodes/kernels/cnn/preprocess.js';

const run = (px: number[] | Int16Array, h: number, w: number, p: Partial<Preprocess> = {}) => {
  const pre: Preprocess = { resolution: 8, hu: [-1000, 1000], fit: 'stretch', ...p };
  const out = new Float32Array(pre.resolution ** 2 + 3).fill(-7);
  preprocessSlice(Int16Array.from(px), h, w, pre, out, 3);
  expect(Array.from(out.subarray(0, 3)), 'writes only from the offset').to.deep.equal([-7, -7, -7]);
  return Array.from(out.subarray(3));
};

describe('cnn: slice preprocessing', () => {
  it('maps the HU window to [0, 1] and clips outside it', () => {
    expect(new Set(run(Array(12 * 5).fill(0), 12, 5))).to.deep.equal(new Set([0.5]));
    expect(new Set(run(Array(4).fill(-1000), 2, 2))).to.deep.equal(new Set([0]));
    expect(new Set(run(Array(4).fill(3000), 2, 2))).to.deep.equal(new Set([1]));
    expect(new Set(run(Array(4).fill(-3024), 2, 2))).to.deep.equal(new Set([0]));
  });

  it('averages when shrinking: a one-pixel checkerboard becomes grey, not stripes (antialiased)', () => {
    const board = Array.from({ length: 64 * 64 }, (_, i) => (((i >> 6) + (i & 63)) % 2 ? 1000 : -1000));
    for (const v of run(board, 64, 64)) expect(v).to.be.closeTo(0.5, 0.03);
  });

  it('keeps a ramp a ramp when enlarging', () => {
    const ramp = Array.from({ length: 3 * 4 }, (_, i) => -900 + 600 * (i % 4));      // 4 columns: -900 … 900
    const out = run(ramp, 3, 4);
    for (let r = 0; r < 8; r++) {
      const row = out.slice(r * 8, r * 8 + 8);
      for (let c = 1; c < 8; c++) expect(row[c]).to.be.at.least(row[c - 1]);
      expect(row[0]).to.be.closeTo(0.05, 1e-6);
      expect(row[7]).to.be.closeTo(0.95, 1e-6);
    }
  });

  it("'pad' centres a wide slice on air, 'stretch' fills the square", () => {
    const wide = Array(8 * 16).fill(1000);                  // 8 rows × 16 columns of +1000 HU: rows 4–11 of a 16² square
    const padded = run(wide, 8, 16, { fit: 'pad' });
    const rowMeans = Array.from({ length: 8 }, (_, r) => padded.slice(r * 8, r * 8 + 8).reduce((a, b) => a + b, 0) / 8);
    expect(rowMeans[0]).to.equal(0);
    expect(rowMeans[7]).to.equal(0);
    expect(rowMeans[3]).to.be.closeTo(1, 1e-6);
    expect(rowMeans[4]).to.be.closeTo(1, 1e-6);
    expect(rowMeans[2]).to.be.closeTo(0.875, 1e-6);          // the filter reaches one air row
    expect(new Set(run(wide, 8, 16, { fit: 'stretch' }))).to.deep.equal(new Set([1]));
  });

  it('reads little-endian int16 pixels from unaligned bytes', () => {
    const bytes = new Uint8Array([0, 0x34, 0x12, 0xfe, 0xff]);
    expect(Array.from(int16Pixels(bytes.subarray(1)))).to.deep.equal([0x1234, -2]);
  });
});
