// The JPEG decoders image-folder's workers run (native/jpeg-gray: the Node-API addon where it loads,
// native-jpeg.ts, else jpeg-gray.wasm, wasm-jpeg.ts): the committed files are the ones their build
// record names, the addon loads on x86-64 Linux, and on undamaged grey JPEGs of every kind an
// encoder makes (sizes off the 8-pixel grid, quality 1 to 100, restart intervals, progressive,
// 12 to 1024 pixels a side) each gives the bytes of sharp (native libjpeg-turbo with x86 SIMD) and
// of libjpeg-turbo's plain C decoder as WebAssembly (TurboJPEG 2.0.4, @cwasm/jpeg-turbo), and HU
// through the window's table. Damaged files: test/nodes/fuzz/jpeg.test.ts.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { rngFrom } from '../../engine/rng.js';
import { jpegFrame } from '../../nodes/kernels/image-folder/sniff.js';
import { byteToHuTable, DEFAULT_WINDOW, greyToHu } from '../../nodes/kernels/image-folder/hu.js';
import { nativeAddon, nativeJpeg, nativeJpegPath } from '../../nodes/kernels/image-folder/native-jpeg.js';
import { jpegGrayBuild, wasmJpeg, wasmJpegPath, type GreyDecoder } from '../../nodes/kernels/image-folder/wasm-jpeg.js';
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

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** x86-64 Linux with SSE4.2 (what build.sh compiles the addon for): there it must load. */
const addonHost = process.platform === 'linux' && process.arch === 'x64' && /^flags\s*:.*\bsse4_2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

describe('image-folder: the JPEG decoders (native/jpeg-gray)', function () {
  this.timeout(120_000);

  it('are the files their build record names (sha256 of jpeg-gray.wasm and of the addon)', () => {
    const record = jpegGrayBuild();
    expect(sha256(wasmJpegPath())).to.equal(record.sha256);
    expect(record.source).to.match(/^libjpeg-turbo 2\.1\.5/);
    expect(record.flags).to.include('-msimd128');
    expect(sha256(nativeJpegPath())).to.equal(record.addon.sha256);
    expect(nativeJpegPath().endsWith(record.addon.file)).to.equal(true);
  });

  it('the addon loads where it was built for, and checks its arguments', function () {
    if (!addonHost) this.skip();
    const addon = nativeAddon();
    if ('unavailable' in addon) throw new Error(`the addon did not load: ${addon.unavailable}`);
    const grey = new Uint8Array(16);
    expect(() => addon.decode('x' as unknown as Uint8Array, 4, 4, grey)).to.throw(TypeError, /decode\(src: Uint8Array/);
    expect(() => addon.decode(new Uint8Array(4), 8, 8, grey)).to.throw(RangeError, /width × height/);
    expect(() => addon.decode(new Uint8Array(4), 4, 4, grey, new Int16Array(255), new Int16Array(16))).to.throw(RangeError, /256 entries/);
    expect(() => addon.decode(new Uint8Array(4), 4, 4, grey, new Int16Array(256), new Int16Array(16), new Int32Array(2))).to.throw(RangeError, /affine 3/);
    expect(addon.decode(new Uint8Array(4), 4, 4, grey), 'not a JPEG: libjpeg stops, the call returns').to.equal(4);
  });

  const decoders: [string, () => GreyDecoder | null][] = [['WebAssembly', wasmJpeg], ['native addon', nativeJpeg]];
  for (const [name, make] of decoders) describe(name, () => {
    const made = function (this: Mocha.Context): GreyDecoder {
      const d = make();
      if (!d) this.skip();                             // the addon where it does not load (the test above fails where it should)
      return d!;
    };

    it('gives every undamaged grey JPEG the bytes of sharp and of libjpeg-turbo\'s C decoder, and their HU', async function () {
      const decode = made.call(this), reference = turboJpegGrey()!, table = byteToHuTable([...DEFAULT_WINDOW]);
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
        const hu = new Int16Array(w * h), want = new Int16Array(w * h);
        const grey = decode(bytes, w, h, { table, out: hu });
        greyToHu(native, table, want);
        expect(grey && Buffer.from(grey).equals(native), `${what}: grey with HU`).to.equal(true);
        expect(Buffer.from(hu.buffer).equals(Buffer.from(want.buffer)), `${what}: HU`).to.equal(true);
      }
    });

    it('refuses a JPEG without its quantization tables right after one that has them (each slice is decoded on its own, as sharp does)', async function () {
      const decode = made.call(this);
      const bytes = await sharp(phantom(48, 40, 'tables'), { raw: { width: 48, height: 40, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer();
      let at = 2;                                    // the DQT segment (FF DB, its length), cut out
      while (!(bytes[at] === 0xff && bytes[at + 1] === 0xdb)) at += 2 + bytes.readUInt16BE(at + 2);
      const cut = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 2 + bytes.readUInt16BE(at + 2))]);
      await sharp(cut, { failOn: 'none' }).raw().toBuffer().then(() => expect.fail('sharp decoded it'), (e: Error) => expect(e.message).to.match(/Quantization table/));
      expect(decode(bytes, 48, 40), 'the whole file').to.not.equal(null);
      expect(decode(cut, 48, 40), 'the same file without its DQT segment, next').to.equal(null);
    });

    it('refuses a JPEG of another size than asked, and decodes the next one after a fatal error', async function () {
      const decode = made.call(this);
      const bytes = await sharp(phantom(40, 30, 'x'), { raw: { width: 40, height: 30, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer();
      expect(jpegFrame(bytes)?.components).to.equal(1);
      expect(decode(bytes, 30, 40), 'another size').to.equal(null);
      expect(decode(bytes.subarray(0, 20), 40, 30), 'cut inside its tables: a fatal error').to.equal(null);
      expect(decode(new Uint8Array(0), 40, 30), 'no bytes').to.equal(null);
      const again = decode(bytes, 40, 30);
      expect(again && Buffer.from(again).equals(await sharp(bytes).toColourspace('b-w').raw().toBuffer())).to.equal(true);
    });
  });
});
