// Test-only training (heavy: a child process): one "weight" per scan, updated for `epochs` epochs
// of `epochMs` each from the scan means and a per-epoch generator; after every epoch the state is
// checkpointed (temp file + rename) in ctx.checkpoints, and a rerun resumes after the last
// checkpointed epoch. The output (the weights as scan stats) equals an uninterrupted run's.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBatch } from '../../engine/ports.js';
import { defineNode } from '../../engine/types.js';
import { ScanStats } from '../../nodes/tables.js';

interface State { epoch: number; weights: number[] }

export default defineNode<{ epochs: number; epochMs: number; pidFile: string | null }>(import.meta.url, {
  kind: 'toy-train',
  version: 1,
  description: 'heavy barrier: checkpointed toy training for crash tests',
  mode: 'barrier',
  heavy: true,
  params: {
    epochs: { type: 'integer', minimum: 1, default: 8, description: 'epochs' },
    epochMs: { type: 'integer', minimum: 0, default: 30, description: 'sleep per epoch' },
    pidFile: { type: ['string', 'null'], default: null, description: 'append the process id here (crash tests look for orphans)' },
  },
  example: { epochs: 2, epochMs: 0 },
  inputs: { stats: ScanStats },
  outputs: { stats: ScanStats },
  async *run(ctx, { stats }) {
    if (ctx.params.pidFile) appendFileSync(ctx.params.pidFile, `${process.pid}\n`);
    type Row = { scan_id: string; split: string; label: number | null; n_slices: number; mean: number };
    const scans: Row[] = [];
    for (let i = 0; i < stats.numBatches; i++) scans.push((await stats.batch(i)).toArray()[0].toJSON() as Row);
    const file = join(ctx.checkpoints, 'state.json');
    let state: State = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { epoch: 0, weights: scans.map(() => 0) };
    if (state.epoch > 0) ctx.note('resumed_after', state.epoch);
    mkdirSync(ctx.checkpoints, { recursive: true });
    for (let epoch = state.epoch + 1; epoch <= ctx.params.epochs; epoch++) {
      const rng = ctx.rngFor(`epoch:${epoch}`);
      await sleep(ctx.params.epochMs);
      state = { epoch, weights: state.weights.map((w, i) => 0.9 * w + 0.1 * scans[i].mean + rng() * 1e-3) };
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
      ctx.progress(epoch, ctx.params.epochs);
    }
    yield {
      stats: makeBatch(ScanStats, {
        scan_id: scans.map((s) => s.scan_id), split: scans.map((s) => s.split), label: scans.map((s) => s.label),
        n_slices: scans.map((s) => s.n_slices), mean: state.weights,
      }),
    };
  },
});
