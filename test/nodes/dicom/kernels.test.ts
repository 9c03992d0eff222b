// The small DICOM kernels on hand-made inputs: RLE, stored values / HU, slice geometry.
import { expect } from 'chai';
import { orderSlices, sliceNormal, type Placed } from '../../../nodes/kernels/dicom/geometry.js';
import { PADDING_HU, storedValue, toHounsfield, type PixelModule } from '../../../nodes/kernels/dicom/hu.js';
import { decodeRle } from '../../../nodes/kernels/dicom/rle.js';

/** An RLE frame: the 64-byte header of segment offsets, then the segments. */
function rleFrame(...segments: number[][]): Uint8Array {
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    header.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return new Uint8Array([...new Uint8Array(header.buffer), ...segments.flat()]);
}

describe('dicom kernels', function () {
  describe('decodeRle', function () {
    it('decodes literal runs, replicate runs and the no-op byte', function () {
      // literal 3 bytes (code 2), replicate 7 four times (code 256 − 3 = 253), no-op (128), literal 1 byte
      const frame = rleFrame([2, 10, 20, 30, 253, 7, 128, 0, 99]);
      expect([...decodeRle(frame, 8, 1)]).to.deep.equal([10, 20, 30, 7, 7, 7, 7, 99]);
    });

    it('puts the first segment in the high byte of 16-bit samples', function () {
      const frame = rleFrame([1, 0x12, 0xff], [1, 0x34, 0x01]);
      expect([...decodeRle(frame, 2, 2)]).to.deep.equal([0x1234, 0xff01]);
    });

    it('rejects a short segment and a wrong segment count', function () {
      expect(() => decodeRle(rleFrame([1, 5, 6]), 4, 1)).to.throw(/decodes to 2 bytes, 4 expected/);
      expect(() => decodeRle(rleFrame([1, 5, 6]), 2, 2)).to.throw(/1 segments/);
      expect(() => decodeRle(new Uint8Array(10), 2, 1)).to.throw(/64-byte header/);
    });
  });

  describe('stored values and HU', function () {
    it('masks BitsStored at HighBit and sign-extends', function () {
      expect(storedValue(0xf800, 0, 12, true)).to.equal(-2048); // high 4 bits are junk
      expect(storedValue(0x0fff, 0, 12, true)).to.equal(-1);
      expect(storedValue(0x07ff, 0, 12, true)).to.equal(2047);
      expect(storedValue(0xffff, 0, 12, false)).to.equal(4095);
      expect(storedValue(0x8000, 0, 16, true)).to.equal(-32768);
      expect(storedValue(0b1011_0000, 4, 4, true)).to.equal(-5); // bits 4..7 hold the value
    });

    const module = (m: Partial<PixelModule>): PixelModule => ({
      bitsAllocated: 16, bitsStored: 16, highBit: 15, signed: true, slope: 1, intercept: 0, padding: null, ...m,
    });

    it('rescales, rounds halves up, clamps to int16 and counts the clamped', function () {
      const raw = Uint16Array.from([0, 1, 3, 0xffff]);
      const { hu } = toHounsfield(raw, module({ slope: 0.5, intercept: -1024 }), 0);
      expect([...hu]).to.deep.equal([-1024, -1023, -1022, -1024]); // -1023.5 → -1023, -1022.5 → -1022, -1 × 0.5 → -1024.5 → -1024
      const big = toHounsfield(Uint16Array.from([1000, 0xfc18]), module({ slope: 40 }), 0); // 40000 and -40000
      expect([...big.hu]).to.deep.equal([32767, -32768]);
      expect(big.clamped).to.equal(2);
    });

    it('gives by arithmetic (slope 1, integer intercept, no padding) what the rule gives, for every 16-bit sample', function () {
      const raw = Uint16Array.from({ length: 65536 }, (_, i) => i);
      const cases: Partial<PixelModule>[] = [
        { bitsStored: 16, highBit: 15, signed: true, intercept: 0 }, { bitsStored: 15, highBit: 14, signed: true, intercept: -24 },
        { bitsStored: 16, highBit: 15, signed: false, intercept: -32768 }, { bitsStored: 12, highBit: 11, signed: false, intercept: -1024 },
        { bitsStored: 12, highBit: 11, signed: true, intercept: 1000 }, { bitsStored: 12, highBit: 15, signed: true, intercept: -1024 },
        { bitsStored: 10, highBit: 13, signed: false, intercept: 3 },
      ];
      for (const c of cases) {
        const m = module(c);
        const shift = m.highBit + 1 - m.bitsStored;
        const want = Int16Array.from(raw, (r) => storedValue(r, shift, m.bitsStored, m.signed) + m.intercept);
        const got = toHounsfield(raw, m, shift);
        expect(got.clamped, JSON.stringify(c)).to.equal(0);
        expect(Buffer.from(got.hu.buffer).equals(Buffer.from(want.buffer)), JSON.stringify(c)).to.equal(true);
      }
      // where a sample could leave int16 it is the table, which clamps: unsigned 16 bits, and signed 16 bits with an intercept
      const wide = toHounsfield(Uint16Array.from([40000, 5]), module({ signed: false }), 0);
      expect([...wide.hu, wide.clamped]).to.deep.equal([32767, 5, 1]);
      const low = toHounsfield(Uint16Array.from([0x8000, 5]), module({ intercept: -24 }), 0);
      expect([...low.hu, low.clamped]).to.deep.equal([-32768, -19, 1]);
    });

    it('pads the padding value (or the range up to the limit), in stored values', function () {
      const raw = Uint16Array.from([0xf830, 0xf800, 0xf7ff, 100].map((v) => v & 0xfff)); // 12-bit -2000, -2048, 2047, 100
      const m = module({ bitsStored: 12, highBit: 11, intercept: -1024, padding: { value: 0xf830, limit: null } });
      expect([...toHounsfield(raw, m, 0).hu]).to.deep.equal([PADDING_HU, -2048 - 1024, 2047 - 1024, 100 - 1024]);
      const ranged = toHounsfield(raw, { ...m, padding: { value: 0xf830, limit: 0xf800 } }, 0);
      expect([...ranged.hu]).to.deep.equal([PADDING_HU, PADDING_HU, 2047 - 1024, 100 - 1024]);
    });
  });

  describe('orderSlices', function () {
    const [a, b] = [0.3, 0.2]; // an orthonormal, doubly tilted orientation
    const oblique = [Math.cos(a), Math.sin(a), 0, -Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), -Math.sin(b)];

    it('projects positions on the normal of an oblique stack, whatever InstanceNumber says', function () {
      const n = sliceNormal(oblique);
      expect(n[0] * oblique[0] + n[1] * oblique[1] + n[2] * oblique[2]).to.be.closeTo(0, 1e-12);
      const origin = [10, -20, 5];
      const at = (d: number) => origin.map((o, k) => o + d * n[k] + 3 * oblique[k]); // in-plane offset too
      const slices: Placed[] = [4, 0, 2, 6].map((d, i) => ({ file: `f${i}`, position: at(d), orientation: oblique, instanceNumber: i + 1 }));
      const o = orderSlices(slices);
      expect(o.order).to.deep.equal([1, 2, 0, 3]);
      const base = origin.reduce((s, v, k) => s + v * n[k], 0);
      o.positions.forEach((p, i) => expect(p! - base).to.be.closeTo([0, 2, 4, 6][i], 1e-9));
      expect(o.spacing).to.be.closeTo(2, 1e-9);
      expect(o.warnings).to.deep.equal([]);
    });

    it('falls back to InstanceNumber without geometry, and warns', function () {
      const slices: Placed[] = [3, 1, 2].map((k) => ({ file: `f${k}`, position: null, orientation: null, instanceNumber: k }));
      const o = orderSlices(slices);
      expect(o.order).to.deep.equal([1, 2, 0]);
      expect(o.positions).to.deep.equal([null, null, null]);
      expect(o.spacing).to.equal(null);
      expect(o.warnings.join()).to.include('InstanceNumber');
    });

    it('warns about duplicate positions and rejects non-parallel slices', function () {
      const axial = [1, 0, 0, 0, 1, 0];
      const dup: Placed[] = [0, 0, 1].map((z, i) => ({ file: `f${i}`, position: [0, 0, z], orientation: axial, instanceNumber: i }));
      expect(orderSlices(dup).warnings.join()).to.include('share a position');
      const mixed: Placed[] = [...dup.slice(0, 2), { file: 'sagittal', position: [0, 0, 0], orientation: [0, 1, 0, 0, 0, -1], instanceNumber: 3 }];
      expect(() => orderSlices(mixed)).to.throw(/not parallel.*sagittal/);
    });
  });
});
