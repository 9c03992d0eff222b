// Test-only heavy barrier (runs in a child process): re-emits scan stats with progress, a log
// line and a note; can crash on demand.
import { defineNode } from '../../engine/types.js';
import { ScanStats } from '../../nodes/tables.js';

export default defineNode<{ crash: 'none' | 'exit' | 'throw' }>(import.meta.url, {
  kind: 'child-total',
  version: 1,
  description: 'heavy barrier for child-process tests',
  mode: 'barrier',
  heavy: true,
  params: { crash: { type: 'string', enum: ['none', 'exit', 'throw'], default: 'none' } },
  example: {},
  inputs: { stats: ScanStats },
  outputs: { stats: ScanStats },
  async *run(ctx, { stats }) {
    ctx.note('pid', process.pid);
    ctx.log(`reading ${stats.numBatches} scans`);
    for (let i = 0; i < stats.numBatches; i++) {
      if (i === 1 && ctx.params.crash === 'exit') process.exit(3);
      if (i === 1 && ctx.params.crash === 'throw') throw new Error('child asked to throw');
      yield { stats: await stats.batch(i) };
      ctx.progress(i + 1, stats.numBatches);
    }
  },
});
