// Images of a Slices batch that the node which made it already holds, so that the lung chain reads
// them as they are, without gathering the batch's pixels column (image-folder's is gathered only
// when something else reads it: kernels/slab-batch.ts).
import type { RecordBatch } from 'apache-arrow';
import type { Image } from './batch.js';

const known = new WeakMap<RecordBatch, Image<Int16Array>[]>();

/** Tell the chain the images of `batch` (each h × w, the rows of its pixels column, in order). */
export function setKnownImages(batch: RecordBatch, images: Image<Int16Array>[]): void {
  known.set(batch, images);
}

/** The images of `batch` its maker gave, if any. */
export function knownImages(batch: RecordBatch): Image<Int16Array>[] | undefined {
  return known.get(batch);
}
