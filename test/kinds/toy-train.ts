// Test-only training (heavy: a child process): one "weight" per scan, updated for `epochs` epochs
// of `epochMs` each from the scan means and a per-epoch generator; after every epoch the state is
// checkpointed (temp file + rename) in ctx.checkpoints, and a rerun resumes after the last
// checkpointed epoch. The output (the weights as scan stats) equals an uninterrupted run's.
// With `trace`, it appends a line per event to that file, for crash tests: `start PID` when it
// begins, `checkpoint PID EPOCH` after each checkpoint, and `orphan PID EPOCH` when it is about to
// train an epoch although its parent process is gone (the engine must have stopped it by then).
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBatch } from '../../engine/ports.js';
import { defineNode } from '../../engine/types.js';
import { ScanStats } from '../../nodes/tables.js';

interface State { epoch: number; weights: number[] }

/**
 * Whether the process that started this one is gone: re-parented, or its IPC channel closed (which
 * also covers a parent that died before `parent` was read). A killed multi-threaded parent can be
 * re-parented away a moment before its last thread closes the channel (measured here: up to 1 ms
 * after the new ppid shows), so the channel's end is awaited (up to 5 s) before two turns of the
 * event loop let the engine's disconnect handler end this process: surviving them makes an orphan.
 */
async function orphaned(parent: number): Promise<boolean> {
  if (process.ppid === parent && process.connected !== false) return false;
  const until = Date.now() + 5000;
  while (process.connected !== false && Date.now() < until) await sleep(5);
  for (let turn = 0; turn < 2; turn++) await new Promise((r) => setImmediate(r));
  return true;
}

export default defineNode<{ epochs: number; epochMs: number; trace: string | null }>(import.meta.url, {
  kind: 'toy-train',
  version: 1,
  description: 'heavy barrier: checkpointed toy training for crash tests',
  mode: 'barrier',
  heavy: true,
  params: {
    epochs: { type: 'integer', minimum: 1, default: 8, description: 'epochs' },
    epochMs: { type: 'integer', minimum: 0, default: 30, description: 'sleep per epoch' },
    trace: { type: ['string', 'null'], default: null, description: 'append start, checkpoint and orphan events here (crash tests)' },
  },
  example: { epochs: 2, epochMs: 0 },
  inputs: { stats: ScanStats },
  outputs: { stats: ScanStats },
  async *run(ctx, { stats }) {
    const { trace } = ctx.params;
    const parent = process.ppid;
    if (trace) appendFileSync(trace, `start ${process.pid}\n`);
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
      if (trace && await orphaned(parent)) appendFileSync(trace, `orphan ${process.pid} ${epoch}\n`);
      state = { epoch, weights: state.weights.map((w, i) => 0.9 * w + 0.1 * scans[i].mean + rng() * 1e-3) };
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
      if (trace) appendFileSync(trace, `checkpoint ${process.pid} ${epoch}\n`);
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
