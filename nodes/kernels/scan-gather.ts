// A stored source's scan, gathered as the lung pool's workers answer (ctx.stored: image-folder,
// dicom-series): each chunk's slices copied into the scan's one buffer at their files' places and
// the chunk's slab given back at once; once the scan's slices are known, they are moved to the
// front of that buffer in the scan's order, in place, and the buffer is the pixels column as it is
// (slab-batch.ts). Left in the slabs until a stored column was gathered at the end, a scan was
// resident twice, and the workers kept a scan's worth of slabs besides: 3 DICOM series of 700
// slices, every node stored, 1,989 MiB of peak RSS against 1,411 gathered so. A graph that stores
// no pixels (the lung chain fused) keeps the slabs' views: no copy at all.
import { scanPixels } from './scan-pixels.js';

export class ScanGather {
  private all: Int16Array | undefined;
  /** Values a slice: the first slice placed's. */
  private size = 0;

  /** `places`: the scan's files, a place each. */
  constructor(private readonly places: number) {}

  /**
   * `hu` copied to place `place` of the scan's buffer: its view there; undefined when its size is
   * not the first slice's (a scan of mixed sizes: the caller keeps a copy of its own).
   */
  place(place: number, hu: Int16Array): Int16Array | undefined {
    if (!this.all) this.all = scanPixels(this.places * (this.size = hu.length));
    if (hu.length !== this.size) return undefined;
    const at = place * this.size;
    this.all.set(hu, at);
    return this.all.subarray(at, at + this.size);
  }

  /**
   * The slices `hus` (views of places, in ascending place order) moved to the front of the buffer so
   * that the result's slice j is `hus[order[j]]`: first moved down to close the gaps (a file that
   * gave no slice), then permuted by cycles with one slice of room. Undefined, nothing moved, when a
   * slice is not in this buffer (a scan of mixed sizes, a slice decoded elsewhere).
   */
  inOrder(hus: readonly Int16Array[], order: readonly number[] = hus.map((_, i) => i)): Int16Array[] | undefined {
    const all = this.all, size = this.size;
    if (!all || hus.some((h) => h.buffer !== all.buffer || h.length !== size)) return undefined;
    hus.forEach((h, i) => { if (h.byteOffset !== 2 * i * size) all.copyWithin(i * size, h.byteOffset / 2, h.byteOffset / 2 + size); });
    const placed = new Uint8Array(order.length), room = new Int16Array(size);
    for (let start = 0; start < order.length; start++) {
      if (placed[start]) continue;
      placed[start] = 1;
      if (order[start] === start) continue;
      room.set(all.subarray(start * size, (start + 1) * size));
      for (let j = start; ;) {
        const k = order[j];
        placed[j] = 1;
        if (k === start) {
          all.set(room, j * size);
          break;
        }
        all.copyWithin(j * size, k * size, (k + 1) * size);
        j = k;
      }
    }
    return order.map((_, j) => all.subarray(j * size, (j + 1) * size));
  }
}
