// Test-only barrier node: reads every scan's stats through the random-access reader (last to
// first, to prove random access) and emits them in input order; `stats` takes a list of nodes.
import { defineNode } from '../../engine/types.js';
import { ScanStats } from '../../nodes/tables.js';

export default defineNode<{ failAt: number }>(import.meta.url, {
  kind: 'stats-total',
  version: 1,
  description: 'barrier: re-emit all scan stats, read in reverse',
  mode: 'barrier',
  params: { failAt: { type: 'integer', default: -1, description: 'throw when reading this batch (tests)' } },
  example: {},
  inputs: { stats: ScanStats },
  variadic: ['stats'],
  outputs: { stats: ScanStats },
  async *run(ctx, { stats }) {
    const batches = [];
    for (let i = stats.numBatches - 1; i >= 0; i--) {
      if (i === ctx.params.failAt) throw new Error(`asked to fail at batch ${i}`);
      batches.unshift(await stats.batch(i));
    }
    for (const b of batches) yield { stats: b };
  },
});
