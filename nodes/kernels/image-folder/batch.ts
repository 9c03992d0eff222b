// One scan's decoded slices → its Slices batch. The slices' HU are where the lung pool's workers put
// them (a buffer a task of 8: kernels/image-folder/chunk-reader.ts); the lung chain reads them there
// (known-images.ts), so a graph that stores no pixels (lung-window.yaml) never gathers a scan. The
// `pixels` column is gathered when something reads it (a stored scans node, another kind: lazy.ts)
// into one little-endian int16 buffer from scanPixels, like the other sources' scans (a mapping of
// its own from 4 MiB up: scan-pixels.ts), and the slices are then viewed there, so that the task
// buffers can go. It is a plain ArrayBuffer, not shared memory: V8 counts it as external memory,
// so a dead scan is collected soon (a dead SharedArrayBuffer waited for a full collection that its
// size did not hasten: 30 scans, peak RSS 1.7 GB against 1.2).
import type { RecordBatch } from 'apache-arrow';
import { endianness } from 'node:os';
import { Slices } from '../../tables.js';
import { bytesOf } from '../lung/batch.js';
import { setKnownImages } from '../lung/known-images.js';
import { copyRows, lazyBatch } from '../lung/lazy.js';
import { scanPixels } from '../scan-pixels.js';
import type { ScanDir } from './layout.js';
import type { DecodedSlice } from './scan.js';

const bigEndian = endianness() === 'BE';

export function sliceBatch(scan: ScanDir, slices: readonly DecodedSlice[]): RecordBatch {
  const n = slices.length;
  const images = slices.map((s) => ({ h: s.height, w: s.width, data: s.hu }));
  const columns: Record<string, unknown[]> = {
    scan_id: Array(n).fill(scan.scanId),
    split: Array(n).fill(scan.split),
    label: Array(n).fill(scan.label),
    slice_index: slices.map((s) => s.index),
    height: slices.map((s) => s.height),
    width: slices.map((s) => s.width),
    position_mm: Array(n).fill(null),
    pixel_mm: Array(n).fill(null),
  };
  const fill = (rows: Uint8Array[]) => copyRows(rows, images.map((im) => bytesOf(im.data)), `${scan.scanId}: pixels`);
  const batch = lazyBatch(Slices, columns, 'pixels', slices.map((s) => 2 * s.hu.length), fill, {
    alloc: (bytes) => bytesOf(scanPixels(bytes / 2)),
    filled: (values, offsets) => {
      if (bigEndian) return void Buffer.from(values.buffer, values.byteOffset, values.byteLength).swap16();
      images.forEach((im, i) => { im.data = new Int16Array(values.buffer, values.byteOffset + offsets[i], im.data.length); });
    },
  });
  setKnownImages(batch, images);
  return batch;
}
