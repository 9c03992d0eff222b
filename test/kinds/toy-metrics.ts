// Test-only barrier: a metrics table from scan stats (the mean of the scan means, and a count).
import { defineNode } from '../../engine/types.js';
import { makeBatch } from '../../engine/ports.js';
import { Metrics, ScanStats } from '../../nodes/tables.js';

export default defineNode<{ scale: number }>(import.meta.url, {
  kind: 'toy-metrics',
  version: 1,
  description: 'metrics from scan stats for engine tests',
  mode: 'barrier',
  params: { scale: { type: 'number', default: 1 } },
  example: {},
  inputs: { stats: ScanStats },
  outputs: { metrics: Metrics },
  async *run(ctx, { stats }) {
    let sum = 0;
    for await (const b of stats) sum += Number(b.getChild('mean')!.get(0));
    yield {
      metrics: makeBatch(Metrics, {
        model: ['toy', 'toy'], split: ['validation', 'validation'], metric: ['mean', 'loss'],
        value: [(sum / Math.max(1, stats.numBatches)) * ctx.params.scale, 1 / ctx.params.scale],
      }),
    };
  },
});
