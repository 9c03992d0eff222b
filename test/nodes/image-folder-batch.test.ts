// A scan's Slices batch from decoded slices: the pixels column, gathered when read, holds exactly
// the scan's int16 values (a buffer sized in bytes as int16 elements once made every JPEG scan take
// twice its memory); until then the lung chain reads the slices where decoding put them. Once the
// batch's step has ended, slices still in the lung pool's slabs (shared, written again) are not
// read: a late read is an error naming the scan; a column gathered before stays readable.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { sliceBatch } from '../../nodes/kernels/slab-batch.js';
import { decodeSlices, type HuSlice } from '../../nodes/kernels/image-folder/decode.js';
import { giveBack, sharedPool } from '../../nodes/kernels/lung/shared-pool.js';
import { byteToHuTable, DEFAULT_WINDOW, greyToHu } from '../../nodes/kernels/image-folder/hu.js';
import type { DecodedSlice } from '../../nodes/kernels/image-folder/scan.js';
import { knownImages } from '../../nodes/kernels/lung/known-images.js';
import { stepEnded } from '../../engine/step-end.js';

describe('image-folder slice batch', () => {
  const table = byteToHuTable(DEFAULT_WINDOW);
  const slice = (index: number, side: number): DecodedSlice => {
    const grey = new Uint8Array(side * side).map((_, i) => (i * 7 + index * 13) & 255), hu = new Int16Array(side * side);
    greyToHu(grey, table, hu);
    return { file: `${index}.jpg`, index, width: side, height: side, hu };
  };

  for (const side of [64, 512]) {
    it(`${side}²: the pixels column is the slices' HU, and its buffer holds no more than the scan`, () => {
      const slices = [slice(1, side), slice(2, side), slice(3, side)];
      const batch = sliceBatch({ source: 'image-folder', scanId: 'train/covid/ct_scan_1', split: 'train', label: 1 }, slices);
      const known = knownImages(batch)!;
      expect(known.map((im) => im.data), 'before the column is read: the slices as decoded').to.deep.equal(slices.map((s) => s.hu));
      expect(known[0].data.buffer).to.equal(slices[0].hu.buffer);
      const data = batch.getChild('pixels')!.data[0];
      const values = data.values as Uint8Array;
      expect(data.valueOffsets[3]).to.equal(2 * 3 * side * side);
      expect(values.byteLength).to.equal(2 * 3 * side * side);
      slices.forEach((s, i) => {
        const got = new Int16Array(values.buffer.slice(values.byteOffset + data.valueOffsets[i], values.byteOffset + data.valueOffsets[i + 1]));
        expect(Buffer.from(got.buffer).equals(Buffer.from(s.hu.buffer)), `slice ${s.index}`).to.equal(true);
      });
      // once gathered, the chain's images are views of the column (the decoded buffers can go)
      expect(known.every((im) => im.data.buffer === values.buffer)).to.equal(true);
      expect(known.map((im) => Array.from(im.data))).to.deep.equal(slices.map((s) => Array.from(s.hu)));
      // Under 4 MiB the buffer is exactly the scan; from there up a mapping of its own (scan-pixels.ts).
      if (2 * 3 * side * side < 4 * 2 ** 20) expect(values.buffer.byteLength).to.equal(2 * 3 * side * side);
    });
  }

  it('after its step ended, a slice still in a slab is not read: the error names the scan; a gathered column stays', () => {
    const inSlab = (s: DecodedSlice): DecodedSlice => {
      const hu = new Int16Array(new SharedArrayBuffer(2 * s.hu.length));
      hu.set(s.hu);
      return { ...s, hu };
    };
    const scan = { source: 'image-folder', scanId: 'train/covid/ct_scan_7', split: 'train', label: 1 as const };
    const late = sliceBatch(scan, [inSlab(slice(1, 16)), inSlab(slice(2, 16))]);
    stepEnded(late);
    expect(() => knownImages(late)![0].data).to.throw(/scan train\/covid\/ct_scan_7: its pixels were read after its step ended/);
    expect(() => late.getChild('pixels')!.data[0].values).to.throw(/ct_scan_7/);
    const read = sliceBatch(scan, [inSlab(slice(1, 16))]);
    const values = read.getChild('pixels')!.data[0].values as Uint8Array;   // gathered within its step
    stepEnded(read);
    expect(knownImages(read)![0].data.buffer).to.equal(values.buffer);
    expect(Array.from(knownImages(read)![0].data)).to.deep.equal(Array.from(slice(1, 16).hu));
  });

  it('decodeSlices gives a slab back at once when none of its slices is returned (blank ones), the others when told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctflow-slabs-'));
    const jpeg = async (name: string, grey: (i: number) => number) => {
      const file = join(dir, name);
      writeFileSync(file, await sharp(Uint8Array.from({ length: 32 * 32 }, (_, i) => grey(i)), { raw: { width: 32, height: 32, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer());
      return file;
    };
    const blank = await Promise.all([1, 2, 3].map((k) => jpeg(`blank-${k}.jpg`, () => 80)));
    const good = await Promise.all([1, 2, 3].map((k) => jpeg(`good-${k}.jpg`, (i) => (i * 7 + k * 13) & 255)));
    const pool = sharedPool(), before = pool.slabs.lent;
    const none = await decodeSlices(blank, table);
    expect(none.map((o) => ('reason' in o ? o.reason : 'decoded'))).to.deep.equal(['blank: every pixel is 80', 'blank: every pixel is 80', 'blank: every pixel is 80']);
    expect(pool.slabs.lent, 'a chunk of blank slices only: given back').to.equal(before);
    const decoded = (await decodeSlices(good, table)) as HuSlice[];
    expect(decoded.every((o) => o.hu.buffer instanceof SharedArrayBuffer), 'decoded into a slab').to.equal(true);
    expect(pool.slabs.lent, 'held while its slices may be read').to.equal(before + 1);
    giveBack(decoded.map((o) => o.hu.buffer));
    expect(pool.slabs.lent).to.equal(before);
    // a batch whose column is gathered gives its slabs back then, not at its step's end
    const again = (await decodeSlices(good, table)) as HuSlice[], want = again.map((o) => Array.from(o.hu));
    const batch = sliceBatch({ source: 'image-folder', scanId: 'train/covid/ct_scan_8', split: 'train', label: 1 }, again.map((o, i) => ({ ...o, file: good[i], index: i })), again.map((o) => o.hu.buffer));
    expect(pool.slabs.lent).to.equal(before + 1);
    expect(batch.getChild('pixels')!.data[0].values.byteLength).to.equal(3 * 32 * 32 * 2);
    expect(pool.slabs.lent, 'given back once gathered').to.equal(before);
    expect(knownImages(batch)!.map((im) => Array.from(im.data)), 'the slices, viewed in the column').to.deep.equal(want);
  });
});
