// One scan's slices, read by the lung pool's workers → its Slices batch (image-folder, dicom-series).
// The slices' HU are where the workers put them (a slab a task of 8: image-folder/chunk-reader.ts,
// dicom/chunk-reader.ts), in the scan's order (a series' slices by position); the lung chain reads them there
// (known-images.ts), so a graph that stores no pixels (lung-window.yaml) never gathers a scan. The
// `pixels` column is gathered when something reads it (a stored scans node, another kind: lazy.ts)
// into one little-endian int16 buffer from scanPixels, like the other sources' scans (a mapping of
// its own from 4 MiB up: scan-pixels.ts), and the slices are then viewed there, so that the task
// buffers can go. It is a plain ArrayBuffer, not shared memory: V8 counts it as external memory,
// so a dead scan is collected soon (a dead SharedArrayBuffer waited for a full collection that its
// size did not hasten: 30 scans, peak RSS 1.7 GB against 1.2). Slices that already lie so, in
// order (a stored scan gathered as it was read: scan-gather.ts), are the column as they are.
import type { RecordBatch } from 'apache-arrow';
import { endianness } from 'node:os';
import { onStepEnd } from '../../engine/step-end.js';
import { Slices } from '../tables.js';
import { bytesOf } from './lung/batch.js';
import { setKnownImages } from './lung/known-images.js';
import { copyRows, lazyBatch } from './lung/lazy.js';
import { giveBack } from './lung/shared-pool.js';
import { scanPixels } from './scan-pixels.js';

const bigEndian = endianness() === 'BE';

/** The scan a batch is of, and the source kind that read it (for messages). */
export interface SliceScan { source: string; scanId: string; split: string; label: 0 | 1 | null }

/** A slice read: its place in the scan (`index`), its size and its HU. */
export interface SlabSlice { index: number; width: number; height: number; hu: Int16Array }

/** Per slice, where it lies (mm along the slice normal) and its pixel spacing (mm), when known. */
export interface SliceGeometry { position_mm: (number | null)[]; pixel_mm: (number | null)[] }

/**
 * The scan's batch. `lent`: the buffers its slices were decoded into (the lung pool's slabs among
 * them), given back once its column is gathered (the slices are then viewed there), else when the
 * batch's step ends (engine/step-end.ts): an image still viewing a slab then throws if read,
 * naming the scan, instead of reading a slab the worker writes again. (Held to the step's end, a
 * stored scan's slabs and its gathered column were both resident: 3 scans of 700 slices, 2,004 MiB.)
 */
export function sliceBatch(scan: SliceScan, slices: readonly SlabSlice[], lent: Iterable<ArrayBufferLike> = [], geometry?: SliceGeometry): RecordBatch {
  const n = slices.length;
  const images = slices.map((s) => ({ h: s.height, w: s.width, data: s.hu }));
  const columns: Record<string, unknown[]> = {
    scan_id: Array(n).fill(scan.scanId),
    split: Array(n).fill(scan.split),
    label: Array(n).fill(scan.label),
    slice_index: slices.map((s) => s.index),
    height: slices.map((s) => s.height),
    width: slices.map((s) => s.width),
    position_mm: geometry?.position_mm ?? Array(n).fill(null),
    pixel_mm: geometry?.pixel_mm ?? Array(n).fill(null),
  };
  const column = inPlace(slices);
  const fill = column ? () => {} : (rows: Uint8Array[]) => copyRows(rows, images.map((im) => bytesOf(im.data)), `${scan.scanId}: pixels`);
  const batch = lazyBatch(Slices, columns, 'pixels', slices.map((s) => 2 * s.hu.length), fill, {
    alloc: (bytes) => column ?? bytesOf(scanPixels(bytes / 2)),
    filled: (values, offsets) => {
      if (bigEndian) return void Buffer.from(values.buffer, values.byteOffset, values.byteLength).swap16();
      images.forEach((im, i) => { im.data = new Int16Array(values.buffer, values.byteOffset + offsets[i], im.data.length); });
      giveBack(lent);                                // nothing views the slabs now: the next chunks reuse them
    },
  });
  setKnownImages(batch, images);
  onStepEnd(batch, () => {
    const late = () => {
      throw new Error(`${scan.source}: scan ${scan.scanId}: its pixels were read after its step ended (a node kept its batch past its scan); ` +
        'store the source node (cache: true) for them to be read later');
    };
    for (const im of images) if (im.data.buffer instanceof SharedArrayBuffer) Object.defineProperty(im, 'data', { get: late, configurable: true });
    giveBack(lent);
  });
  return batch;
}

/**
 * The slices' bytes as the column itself, where they lie in order from the start of one buffer of
 * their own, not shared (a stored scan gathered as it was read: scan-gather.ts).
 */
function inPlace(slices: readonly SlabSlice[]): Uint8Array | undefined {
  const buffer = slices[0]?.hu.buffer;
  if (bigEndian || !buffer || buffer instanceof SharedArrayBuffer) return undefined;
  let at = 0;
  for (const { hu } of slices) {
    if (hu.buffer !== buffer || hu.byteOffset !== at) return undefined;
    at += hu.byteLength;
  }
  return new Uint8Array(buffer, 0, at);
}
