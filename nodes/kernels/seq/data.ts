// Reading Embeddings and Sequences batches (nodes/tables.ts) for the sequence models: scans with
// their slices in slice order, embedding rows, and draws; a malformed table fails naming the scan.
import type { RecordBatch } from 'apache-arrow';

/** One scan of an Embeddings batch: its slices in slice order and the batch rows that hold them. */
export interface ScanSlices {
  scan: string;
  split: string;
  label: number | null;
  /** Slice indices, ascending. */
  slices: Int32Array;
  /** Row of each slice in the batch, in `slices` order. */
  rows: Int32Array;
}

function col(batch: RecordBatch, name: string, who: string) {
  const v = batch.getChild(name);
  if (!v) throw new Error(`${who}: input has no column "${name}"; connect a table that carries it`);
  return v;
}

/** The scans of an Embeddings batch (normally one), in order of first appearance. */
export function scansOf(batch: RecordBatch, who: string): ScanSlices[] {
  const ids = col(batch, 'scan_id', who), splits = col(batch, 'split', who), labels = col(batch, 'label', who);
  const index = col(batch, 'slice_index', who);
  const byScan = new Map<string, number[]>();
  for (let i = 0; i < batch.numRows; i++) {
    const id = ids.get(i) as string;
    (byScan.get(id) ?? byScan.set(id, []).get(id)!).push(i);
  }
  return [...byScan].map(([scan, at]) => {
    at.sort((a, b) => index.get(a) - index.get(b));
    const slices = Int32Array.from(at, (r) => index.get(r));
    for (let k = 1; k < slices.length; k++) {
      if (slices[k] === slices[k - 1]) throw new Error(`${who}: scan "${scan}" has two embeddings for slice ${slices[k]}; each slice must appear once (check the node upstream)`);
    }
    const label = labels.get(at[0]);
    return { scan, split: splits.get(at[0]) as string, label: label === null ? null : Number(label), slices, rows: Int32Array.from(at) };
  });
}

/** The embedding rows of `scan` in slice order as one slices × dim matrix. */
export function embeddingMatrix(batch: RecordBatch, scan: ScanSlices, who: string): { dim: number; values: Float32Array } {
  const emb = col(batch, 'embedding', who);
  const first = emb.get(scan.rows[0])?.toArray() as Float32Array | undefined;
  const dim = first?.length ?? 0;
  if (!dim) throw new Error(`${who}: scan "${scan.scan}" has an empty embedding at slice ${scan.slices[0]}; the embedding node upstream wrote no values`);
  const values = new Float32Array(scan.rows.length * dim);
  scan.rows.forEach((r, k) => {
    const v = emb.get(r)!.toArray() as Float32Array;
    if (v.length !== dim) throw new Error(`${who}: scan "${scan.scan}" slice ${scan.slices[k]} has a ${v.length}-value embedding, slice ${scan.slices[0]} one of ${dim}; all embeddings must have one size`);
    values.set(v, k * dim);
  });
  return { dim, values };
}

/** One row of a Sequences batch. */
export interface Draw { scan: string; split: string; label: number | null; draw: number; slices: Int32Array }

export function drawsOf(batch: RecordBatch, who: string): Draw[] {
  const ids = col(batch, 'scan_id', who), splits = col(batch, 'split', who), labels = col(batch, 'label', who);
  const draws = col(batch, 'draw', who), slices = col(batch, 'slices', who);
  return Array.from({ length: batch.numRows }, (_, i) => {
    const label = labels.get(i);
    return {
      scan: ids.get(i) as string, split: splits.get(i) as string, label: label === null ? null : Number(label),
      draw: draws.get(i) as number, slices: Int32Array.from(slices.get(i)!.toArray() as Int32Array),
    };
  });
}
