// Test-only stream node: passes slices through and throws on scan number `at`.
import { defineNode } from '../../engine/types.js';
import { Slices } from '../../nodes/tables.js';

export default defineNode<{ at: number }>(import.meta.url, {
  kind: 'fail-at',
  version: 1,
  description: 'pass-through that fails at one scan',
  mode: 'stream',
  params: { at: { type: 'integer', default: 1 } },
  example: { at: 100 },
  inputs: { slices: Slices },
  outputs: { slices: Slices },
  run: (ctx, { slices }) => {
    const scan = String(slices.getChild('scan_id')!.get(0));
    if (scan === `scan-${ctx.params.at}`) throw new Error(`refusing ${scan}`);
    return { slices };
  },
});
