// The JPEG decoder image-folder's workers run (native/jpeg-gray/jpeg-gray.wasm, wasm-jpeg.ts): the
// committed module is the one its build record names, and on undamaged grey JPEGs of every kind an
// encoder makes (sizes off the 8-pixel grid, quality 1 to 100, restart intervals, progressive,
// 12 to 1024 pixels a side) it gives the bytes of sharp (native libjpeg-turbo with x86 SIMD) and of
// libjpeg-turbo's plain C decoder as WebAssembly (TurboJPEG 2.0.4, @cwasm/jpeg-turbo). Damaged
// files: test/nodes/fuzz/jpeg.test.ts.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { rngFrom } from '../../engine/rng.js';
import { jpegFrame } from '../../nodes/kernels/image-folder/sniff.js';
import { wasmJpeg, wasmJpegPath } from '../../nodes/kernels/image-folder/wasm-jpeg.js';
import { turboJpegGrey } from '../helpers/turbojpeg-wasm.js';

/** A CT-like grey image: a bright ring, darker lungs, noise. */
function phantom(w: number, h: number, seed: string): Uint8Array {
  const rng = rngFrom(seed), px = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = (x - w / 2) / (w / 2), dy = (y - h / 2) / (h / 2), r = Math.hypot(dx, dy);
      const lung = Math.hypot(Math.abs(dx) - 0.4, dy) < 0.3;
      px[y * w + x] = Math.max(0, Math.min(255, (r > 0.95 ? 10 : r > 0.85 ? 200 : lung ? 40 : 120) + Math.round((rng() - 0.5) * 30)));
    }
  }
  return px;
}

describe('image-folder: the WebAssembly JPEG decoder (native/jpeg-gray)', function () {
  this.timeout(120_000);

  it('is the module its build record names (sha256 of jpeg-gray.wasm)', () => {
    const record = JSON.parse(readFileSync(wasmJpegPath().replace(/\.wasm$/, '.json'), 'utf8')) as { sha256: string; source: string; flags: string };
    expect(createHash('sha256').update(readFileSync(wasmJpegPath())).digest('hex')).to.equal(record.sha256);
    expect(record.source).to.match(/^libjpeg-turbo 2\.1\.5/);
    expect(record.flags).to.include('-msimd128');
  });

  it('gives every undamaged grey JPEG the bytes of sharp and of libjpeg-turbo\'s C decoder', async () => {
    const decode = wasmJpeg(), reference = turboJpegGrey()!;
    const cases: [number, number, Record<string, unknown>][] = [
      [512, 512, { quality: 95 }], [512, 512, { quality: 75 }], [512, 512, { quality: 100 }], [512, 512, { quality: 1 }],
      [500, 333, { quality: 90 }], [17, 12, { quality: 85 }], [1024, 96, { quality: 60, progressive: true }],
      [257, 255, { quality: 92, progressive: true }], [64, 40, { quality: 50, optimiseCoding: false }],
      [200, 200, { quality: 97, quantisationTable: 3 }], [128, 128, { quality: 80, trellisQuantisation: true, overshootDeringing: true }],
    ];
    for (const [w, h, options] of cases) {
      const what = `${w}×${h} ${JSON.stringify(options)}`;
      const bytes = await sharp(phantom(w, h, what), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').jpeg(options).toBuffer();
      expect(jpegFrame(bytes)?.components, what).to.equal(1);
      const got = decode(bytes, w, h), c = reference(bytes);
      const native = await sharp(bytes, { failOn: 'warning' }).toColourspace('b-w').raw().toBuffer();
      expect(got, what).to.not.equal(null);
      expect(Buffer.from(got!).equals(native), `${what}: as sharp`).to.equal(true);
      expect(Buffer.from(got!).equals(Buffer.from(c!.grey)), `${what}: as the C decoder`).to.equal(true);
    }
  });

  it('refuses a JPEG of another size than asked, and decodes the next one after a fatal error', async () => {
    const decode = wasmJpeg();
    const bytes = await sharp(phantom(40, 30, 'x'), { raw: { width: 40, height: 30, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer();
    expect(jpegFrame(bytes)?.components).to.equal(1);
    expect(decode(bytes, 30, 40), 'another size').to.equal(null);
    expect(decode(bytes.subarray(0, 20), 40, 30), 'cut inside its tables: a fatal error').to.equal(null);
    expect(decode(new Uint8Array(0), 40, 30), 'no bytes').to.equal(null);
    const again = decode(bytes, 40, 30);
    expect(again && Buffer.from(again).equals(await sharp(bytes).toColourspace('b-w').raw().toBuffer())).to.equal(true);
  });
});
