// Test-only heavy barrier (runs in a child process): re-emits scan stats with progress, a log
// line and a note; can crash on demand.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineNode } from '../../engine/types.js';
import { ScanStats } from '../../nodes/tables.js';

export default defineNode<{ crash: 'none' | 'exit' | 'throw' | 'once' }>(import.meta.url, {
  kind: 'child-total',
  version: 1,
  description: 'heavy barrier for child-process tests',
  mode: 'barrier',
  heavy: true,
  params: { crash: { type: 'string', enum: ['none', 'exit', 'throw', 'once'], default: 'none', description: 'once: die the first time, leaving a checkpoint; succeed when it finds it' } },
  example: {},
  inputs: { stats: ScanStats },
  outputs: { stats: ScanStats },
  async *run(ctx, { stats }) {
    ctx.note('pid', process.pid);
    const marker = join(ctx.checkpoints, 'epoch-1');
    if (ctx.params.crash === 'once') {
      if (!existsSync(marker)) {
        mkdirSync(ctx.checkpoints, { recursive: true });
        writeFileSync(marker, 'checkpoint');
        process.exit(4);
      }
      ctx.note('resumed', true);
    }
    ctx.log(`reading ${stats.numBatches} scans`);
    for (let i = 0; i < stats.numBatches; i++) {
      if (i === 1 && ctx.params.crash === 'exit') process.exit(3);
      if (i === 1 && ctx.params.crash === 'throw') throw new Error('child asked to throw');
      yield { stats: await stats.batch(i) };
      ctx.progress(i + 1, stats.numBatches);
    }
  },
});
