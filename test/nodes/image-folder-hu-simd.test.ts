// Grey levels → HU in WebAssembly SIMD (hu-simd.ts) gives the window's table values, pixel for
// pixel, for every window whose table fits its int32 form; a window that does not fit is refused
// (null), and the decoders' HU (wasm-jpeg.ts; the native addon's SSE4.1 lanes, native-jpeg.ts) equal
// hu.ts's look-ups either way.
import { expect } from 'chai';
import sharp from 'sharp';
import { byteToHuTable, greyToHu, type Window } from '../../nodes/kernels/image-folder/hu.js';
import { huAffine, simdHu } from '../../nodes/kernels/image-folder/hu-simd.js';
import { nativeJpeg } from '../../nodes/kernels/image-folder/native-jpeg.js';
import { wasmJpeg } from '../../nodes/kernels/image-folder/wasm-jpeg.js';

const WINDOWS: Window[] = [[-1150, 350], [-1000, 400], [-1350, 150], [-160, 240], [-1.5, 2.25], [0, 1], [-32768, 32767], [-2000, 30000]];

describe('image-folder: grey → HU in WebAssembly SIMD', () => {
  it('the kernel gives every grey level its table value, at every position of a 16-pixel vector', () => {
    let fitted = 0;
    for (const window of WINDOWS) {
      const table = byteToHuTable(window), a = huAffine(table);
      if (!a) continue;
      fitted++;
      const memory = new WebAssembly.Memory({ initial: 1 }), n = 256 * 17;            // each level at each of the 16 lanes
      const grey = new Uint8Array(memory.buffer, 0, n);
      grey.forEach((_, i) => { grey[i] = (i * 7 + (i >> 8)) & 255; });
      simdHu(memory)!(0, n, n, a);
      const got = new Int16Array(memory.buffer, n, n), want = new Int16Array(n);
      greyToHu(grey, table, want);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer)), JSON.stringify(window)).to.equal(true);
    }
    expect(fitted, 'the usual CT windows fit').to.be.greaterThanOrEqual(6);
    expect(huAffine(byteToHuTable([-32768, 32767])), 'a table past int32 lanes is refused').to.equal(null);
  });

  for (const [name, make] of [['WebAssembly', wasmJpeg], ['native addon', nativeJpeg]] as const) it(`the ${name} decoder turns a slice into the same HU as hu.ts, through the kernel or (a window it refuses) the look-ups, a tail past 16 pixels included`, async function () {
    const decode = make();
    if (!decode) this.skip();                          // the addon where it does not load (image-folder-jpeg-gray.test.ts says where it must)
    for (const [w, h] of [[64, 48], [21, 13], [517, 9]]) {                                    // 3,072 pixels; 273 (a tail of 1)
      const px = Uint8Array.from({ length: w * h }, (_, i) => (i * 37 + (i % w) * 11) & 255);
      const bytes = await sharp(px, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
      for (const window of WINDOWS) {
        const table = byteToHuTable(window), out = new Int16Array(w * h), grey = decode!(bytes, w, h, { table, out });
        expect(grey, `${w}×${h} decodes`).to.not.equal(null);
        const want = new Int16Array(w * h);
        greyToHu(grey!, table, want);
        expect(Buffer.from(out.buffer).equals(Buffer.from(want.buffer)), `${JSON.stringify(window)} ${w}×${h}`).to.equal(true);
      }
    }
  });
});
