// Buffers one thread reuses from slice to slice (allocated once per slice size, never per pixel).
import { alignRows } from './bits.js';
import { RunScratch } from './components.js';
import { BitPacker } from './pack-bits.js';
import { CountScratch } from './window-count.js';

export class LungScratch {
  readonly packer = new BitPacker();
  readonly runs = new RunScratch();
  readonly count = new CountScratch();
  private alignedA = new Uint32Array(0);
  private alignedB = new Uint32Array(0);
  private spare = new Uint32Array(0);

  /** A reusable word buffer of at least n words (contents undefined). */
  words(n: number): Uint32Array {
    if (this.spare.length < n) this.spare = new Uint32Array(n);
    return this.spare;
  }

  /** Threshold an h×w slice at tA and tB (strict >): two bit images with word-aligned rows. */
  threshold(slice: Int16Array, h: number, w: number, tA: number, tB: number): [Uint32Array, Uint32Array] {
    this.packer.pack(slice, tA, tB);
    if (w % 32 === 0) return [this.packer.a, this.packer.b];
    const words = h * ((w + 31) >> 5) + 1;
    if (this.alignedA.length < words) {
      this.alignedA = new Uint32Array(words);
      this.alignedB = new Uint32Array(words);
    }
    alignRows(this.packer.a, h, w, this.alignedA);
    alignRows(this.packer.b, h, w, this.alignedB);
    return [this.alignedA, this.alignedB];
  }
}

let perThread: LungScratch | undefined;

/** The calling thread's scratch (each worker thread has its own module instance). */
export function threadScratch(): LungScratch {
  return (perThread ??= new LungScratch());
}
