// A lung worker's reused shared buffers, which it reads the sources' chunks into (image-folder's JPEG, dicom-series' DICOM) and lends
// to the main thread (pool.ts): a chunk's HU in a fresh buffer each time cost the worker the first
// touch of 4 MB of new pages a chunk and the main thread the freeing of them, and a chunk copy for
// the lung tasks that read it, and the main thread the full collections their external memory drove.
// The main thread says which slabs it no longer holds (pool.ts giveBack); only those are lent again.
// All are one size (the largest chunk so far), so a freed slab fits any later chunk: made each at
// its chunk's size, the slab of a scan's shorter last chunk was too small for the next full one,
// dropped and another made, a new allocation every scan or two.
export class Slabs {
  private readonly all = new Map<number, SharedArrayBuffer>();
  private readonly free: number[] = [];
  private bytes = 0;
  private next = 0;
  /** Every slab is made this size: the largest chunk asked for so far (a scan's last, shorter chunk gets a whole one too). */
  private size = 0;

  /** `max`: bytes of slabs this worker keeps at most; past that a chunk gets a buffer of its own. */
  constructor(private readonly max: number) {}

  /** Slabs made so far and kept. */
  get count(): number {
    return this.all.size;
  }

  /** Slabs the main thread no longer holds. */
  returned(slots: readonly number[]): void {
    for (const slot of slots) if (this.all.has(slot)) this.free.push(slot);
  }

  /** A slab of at least `bytes`, or null (nothing free that fits, and no room for another). */
  lend(bytes: number): { slot: number; buffer: SharedArrayBuffer } | null {
    while (this.free.length > 0) {
      const slot = this.free.pop()!, buffer = this.all.get(slot)!;
      if (buffer.byteLength >= bytes) return { slot, buffer };
      this.all.delete(slot);                     // made before the slices grew: let it go
      this.bytes -= buffer.byteLength;
    }
    this.size = Math.max(this.size, bytes);
    if (this.bytes + this.size > this.max) return null;
    const slot = this.next++, buffer = new SharedArrayBuffer(this.size);
    this.all.set(slot, buffer);
    this.bytes += this.size;
    return { slot, buffer };
  }
}
