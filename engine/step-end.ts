// The end of a source's batch's step: a source that reuses its batches' buffers (image-folder's
// and dicom-series' reading slabs: nodes/kernels/lung/slabs.ts) says what to do once every member of its group has
// computed and written that scan (onStepEnd); the groups call stepEnded for each batch a source
// gave them, after the step's last write (stream-group.ts, partition-group.ts). By then nothing in
// the group reads the batch (a barrier reads the stored entries; a stream member is given one step
// at a time). A batch whose step never ends (a failed pass) keeps its buffers.
import type { RecordBatch } from 'apache-arrow';

const ends = new WeakMap<RecordBatch, () => void>();

export function onStepEnd(batch: RecordBatch, end: () => void): void {
  ends.set(batch, end);
}

export function stepEnded(batch: RecordBatch): void {
  const end = ends.get(batch);
  ends.delete(batch);
  end?.();
}
