// A scan's Slices batch from decoded slices: the pixels column, gathered when read, holds exactly
// the scan's int16 values (a buffer sized in bytes as int16 elements once made every JPEG scan take
// twice its memory); until then the lung chain reads the slices where decoding put them.
import { expect } from 'chai';
import { sliceBatch } from '../../nodes/kernels/image-folder/batch.js';
import { byteToHuTable, DEFAULT_WINDOW, greyToHu } from '../../nodes/kernels/image-folder/hu.js';
import type { DecodedSlice } from '../../nodes/kernels/image-folder/scan.js';
import { knownImages } from '../../nodes/kernels/lung/known-images.js';

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
      const batch = sliceBatch({ scanId: 'train/covid/ct_scan_1', split: 'train', label: 1, dir: '/nowhere' }, slices);
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
});
