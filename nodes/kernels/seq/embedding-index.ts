// The sequence models' inputs: an index of the embeddings table (scan → its slices and batch), the
// scans' embedding matrices kept up to a byte budget, and the padded [B, L, E] input of a batch of
// draws. Shared by training (train.ts) and prediction (predict.ts).
import type { TableReader } from '../../../engine/types.js';
import { embeddingMatrix, scansOf, type ScanSlices } from './data.js';
import type { SeqNet } from './net.js';

export interface ScanEntry { ref: ScanSlices; batch: number }

/** Every scan of the embeddings table with the batch that holds it; a scan in two batches is an error. */
export async function indexEmbeddings(reader: TableReader, who: string): Promise<Map<string, ScanEntry>> {
  const scans = new Map<string, ScanEntry>();
  for (let i = 0; i < reader.numBatches; i++) {
    for (const ref of scansOf(await reader.batch(i), who)) {
      if (scans.has(ref.scan)) throw new Error(`${who}: scan "${ref.scan}" appears in two batches of the embeddings; each scan must come once`);
      scans.set(ref.scan, { ref, batch: i });
    }
  }
  return scans;
}

/** Embedding matrices of scans (rows in slice order), read through the table reader and kept up to a byte budget. */
export class EmbeddingCache {
  private readonly cache = new Map<string, Float32Array>();
  private bytes = 0;
  dim = 0;
  constructor(private readonly reader: TableReader, private readonly who: string, private readonly budget = 1 << 30) {}

  async matrix(e: ScanEntry): Promise<Float32Array> {
    const hit = this.cache.get(e.ref.scan);
    if (hit) return hit;
    const { dim, values } = embeddingMatrix(await this.reader.batch(e.batch), e.ref, this.who);
    if (this.dim && dim !== this.dim) throw new Error(`${this.who}: scan "${e.ref.scan}" has ${dim}-value embeddings, others ${this.dim}; all embeddings must have one size`);
    this.dim = dim;
    for (const [scan, m] of this.cache) {
      if (this.bytes + values.byteLength <= this.budget) break;
      this.cache.delete(scan);
      this.bytes -= m.byteLength;
    }
    this.cache.set(e.ref.scan, values);
    this.bytes += values.byteLength;
    return values;
  }
}

export interface Item { entry: ScanEntry; slices: Int32Array }
/** x [B, L, E] (a batch of draws' embeddings, zero rows after each draw's `lengths[b]` slices). */
export interface Inputs { x: Float32Array; shape: [number, number, number]; lengths: number[] }

/** The items' slices' embeddings in order, padded to the longest draw. */
export async function assemble(items: Item[], emb: EmbeddingCache, net: SeqNet, who: string): Promise<Inputs> {
  const matrices = await Promise.all(items.map((it) => emb.matrix(it.entry)));
  const E = emb.dim;
  const L = Math.max(...items.map((it) => it.slices.length));
  const x = new Float32Array(items.length * L * E);
  items.forEach(({ entry, slices }, b) => {
    if (net.fixed && slices.length !== net.length) {
      throw new Error(`${who}: a draw of scan "${entry.ref.scan}" has ${slices.length} slices but the ${net.kind} model takes exactly ${net.length}: sample with a sequence-sampler in mode ${net.kind} and length ${net.length}`);
    }
    slices.forEach((s, k) => {
      const at = binarySearch(entry.ref.slices, s);
      if (at < 0) throw new Error(`${who}: a draw of scan "${entry.ref.scan}" lists slice ${s}, which has no embedding; sample from the same embeddings table`);
      x.set(matrices[b].subarray(at * E, (at + 1) * E), (b * L + k) * E);
    });
  });
  return { x, shape: [items.length, L, E], lengths: items.map((it) => it.slices.length) };
}

function binarySearch(sorted: Int32Array, v: number): number {
  let lo = 0, hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === v) return mid;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
