// Test-only stream node: one row per scan with its mean pixel value.
import { defineNode } from '../../engine/types.js';
import { makeBatch } from '../../engine/ports.js';
import { ScanStats, Slices } from '../../nodes/tables.js';

export default defineNode<{ offset: number }>(import.meta.url, {
  kind: 'scan-mean',
  version: 1,
  description: 'mean pixel value per scan',
  mode: 'stream',
  params: { offset: { type: 'number', default: 0 } },
  example: {},
  inputs: { slices: Slices },
  outputs: { stats: ScanStats },
  run: (ctx, { slices }) => {
    let sum = 0;
    let n = 0;
    for (const bytes of slices.getChild('pixels')! as Iterable<Uint8Array>) {
      const px = new Int16Array(bytes.slice().buffer);
      for (const v of px) sum += v;
      n += px.length;
    }
    return {
      stats: makeBatch(ScanStats, {
        scan_id: [slices.getChild('scan_id')!.get(0)], split: [slices.getChild('split')!.get(0)], label: [slices.getChild('label')!.get(0)],
        n_slices: [slices.numRows], mean: [n ? sum / n + ctx.params.offset : 0],
      }),
    };
  },
});
