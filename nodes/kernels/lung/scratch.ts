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

  /**
   * Room in the run and count buffers for any box of an h×w slice filtered with a window of radius
   * r (≤ 31), so they are allocated once per slice size (≈ 5 MiB at 512², pages written only as
   * far as the boxes reach). Grown box by box, every larger crop box the cropper handed a lung
   * worker replaced nine arrays of up to 0.36 MiB (40 times over the bench's 300 synthetic-ct
   * scans: 28 in the first 16, 12 around scan 100), and the replaced ones, freed whenever the
   * worker's isolate collected them, stayed in its malloc arena as holes: at 300 scans each
   * worker's arena was 29–33 MiB, 23–27 of it free (issue 23).
   */
  reserve(h: number, w: number, r: number): void {
    // windowCount's widest output row: from the word before column 0 to the word after column w + r − 1
    const qw = ((w + r - 1) >> 5) + 2;
    this.count.ensure(h, qw + 2, qw, r);
    this.runs.ensure(h, 32 * qw);
  }

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
