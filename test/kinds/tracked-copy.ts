// Test-only stream node: its input with the pixel bytes copied into a new TrackedBuffer, so the
// batches a stored node of a fused chain writes are counted too (see tracked-scans).
import { defineNode } from '../../engine/types.js';
import { Slices } from '../../nodes/tables.js';
import { tracked } from './tracked-scans.js';

export default defineNode<Record<string, never>>(import.meta.url, {
  kind: 'tracked-copy',
  version: 1,
  description: 'copy slices into counted buffers, for memory tests',
  mode: 'stream',
  params: {},
  example: {},
  inputs: { slices: Slices },
  outputs: { slices: Slices },
  run: (_ctx, { slices }) => ({ slices: tracked(slices) }),
});
