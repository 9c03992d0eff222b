// A stored dicom-series' pixels, gathered as the lung pool's workers answer (ctx.stored): each
// chunk's slices copied into the series' one buffer at their files' places, and the chunk's slab
// given back at once; once the series is ordered, its slices are put in slice order in place, and
// that buffer is the pixels column (slab-batch.ts takes it as it is). Left in the slabs until the
// stored column was gathered at the end, a series was resident twice, and the workers kept a
// series' worth of slabs besides: 3 series of 700 slices, every node stored, 1,989 MiB of peak RSS.
// A graph that stores no pixels (the lung chain fused) keeps the slabs' views: no copy at all.
import { giveBack } from '../lung/shared-pool.js';
import { scanPixels } from '../scan-pixels.js';
import type { DicomChunk } from './chunk-reader.js';

export class SeriesGather {
  private pixels: Int16Array | undefined;
  /** Pixels a slice: the first slice gathered's. */
  private size = 0;

  /** `files`: the series' file count (a place each); `seriesUid`: the slices to gather. */
  constructor(private readonly files: number, private readonly seriesUid: string) {}

  /**
   * The chunk whose first file is the series' file `first`, its slices now in the series' buffer
   * (each read's `at` there), its slab given back. Only this series' slices of the first size are
   * gathered: a file of another series is refused from its header, and a series whose slices differ
   * in size is refused whole (dicom-series.ts), so neither is ever viewed.
   */
  take(first: number, chunk: DicomChunk): DicomChunk {
    const files = chunk.files.map((r, j) => {
      if (!('h' in r) || r.h.seriesUid !== this.seriesUid) return r;
      const n = r.h.rows * r.h.cols;
      if (!this.pixels) this.pixels = scanPixels(this.files * (this.size = n));
      if (n !== this.size) return r;
      const at = (first + j) * n;
      this.pixels.set(chunk.pixels.subarray(r.at, r.at + n), at);
      return { ...r, at };
    });
    giveBack([chunk.pixels.buffer]);
    return { pixels: this.pixels ?? new Int16Array(0), files };
  }
}

/**
 * The slices of `pixels` (`size` values each, slice i from value `from[i]`, in ascending order)
 * moved in place so that slice j of the result is slice `order[j]`: first moved down to close the
 * gaps (a file that was not a slice of it), then permuted by cycles with one slice of room. The
 * result's bytes, `order.length` slices from the buffer's start.
 */
export function inSliceOrder(pixels: Int16Array, from: readonly number[], order: readonly number[], size: number): Int16Array {
  from.forEach((at, i) => { if (at !== i * size) pixels.copyWithin(i * size, at, at + size); });
  const placed = new Uint8Array(order.length), room = new Int16Array(size);
  for (let start = 0; start < order.length; start++) {
    if (placed[start]) continue;
    placed[start] = 1;
    if (order[start] === start) continue;
    room.set(pixels.subarray(start * size, (start + 1) * size));
    for (let j = start; ;) {
      const k = order[j];
      placed[j] = 1;
      if (k === start) {
        pixels.set(room, j * size);
        break;
      }
      pixels.copyWithin(j * size, k * size, (k + 1) * size);
      j = k;
    }
  }
  return pixels.subarray(0, order.length * size);
}
