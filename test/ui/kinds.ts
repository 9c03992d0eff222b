// Test-only kinds for the run browser, over a window output so that predictions, samples, lung
// areas, windows and slices share scan ids: per-scan predictions, prob = label·skill + (1 −
// skill)·noise seeded per model and scan, `draws` rows per scan; and a sampler drawing `length`
// slice indices of the window per draw, in slice order; and a gate that holds a run until the test
// opens it, step by step, writing a row and reporting its progress at each (for pages that follow
// a run in progress).
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBatch } from '../../engine/ports.js';
import { rngFrom } from '../../engine/rng.js';
import { defineNode } from '../../engine/types.js';
import { History, Predictions, Sequences, Windows } from '../../nodes/tables.js';
import { reportRegistry } from '../report/kinds.js';

const scanPredictions = defineNode<{ model: string; skill: number; draws: number }>(import.meta.url, {
  kind: 'toy-scan-predictions',
  version: 1,
  description: 'seeded scan probabilities for the scans of a windows input',
  mode: 'stream',
  random: true,
  params: {
    model: { type: 'string', default: 'toy' },
    skill: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    draws: { type: 'integer', minimum: 1, default: 2 },
  },
  example: { skill: 0.8 },
  inputs: { windows: Windows },
  outputs: { predictions: Predictions },
  run(ctx, { windows }) {
    const { model, skill, draws } = ctx.params;
    const scan = String(windows.getChild('scan_id')!.get(0));
    const label = Number(windows.getChild('label')!.get(0));
    const split = String(windows.getChild('split')!.get(0));
    const rng = rngFrom(`${ctx.seed}:${model}:${scan}`);
    const d = Array.from({ length: draws }, (_, i) => i);
    return {
      predictions: makeBatch(Predictions, {
        model: d.map(() => model), scan_id: d.map(() => scan), split: d.map(() => split), label: d.map(() => label),
        draw: d, prob: d.map(() => label * skill + (1 - skill) * rng()),
      }),
    };
  },
});

const windowSampler = defineNode<{ draws: number; length: number }>(import.meta.url, {
  kind: 'toy-sampler',
  version: 1,
  description: 'per scan, draws of `length` distinct slice indices inside its window, in slice order',
  mode: 'stream',
  random: true,
  params: { draws: { type: 'integer', minimum: 1, default: 3 }, length: { type: 'integer', minimum: 1, default: 3 } },
  example: { draws: 2 },
  inputs: { windows: Windows },
  outputs: { sequences: Sequences },
  run(ctx, { windows }) {
    const scan = String(windows.getChild('scan_id')!.get(0));
    const start = Number(windows.getChild('start')!.get(0)), end = Number(windows.getChild('end')!.get(0));
    const rng = ctx.rngFor(scan);
    const d = Array.from({ length: ctx.params.draws }, (_, i) => i);
    const picks = d.map(() => {
      const pool = Array.from({ length: end - start }, (_, i) => start + i);
      for (let i = pool.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      return Int32Array.from(pool.slice(0, ctx.params.length).sort((a, b) => a - b));
    });
    return {
      sequences: makeBatch(Sequences, {
        scan_id: d.map(() => scan), split: d.map(() => String(windows.getChild('split')!.get(0))), label: d.map(() => windows.getChild('label')!.get(0)),
        draw: d, slices: picks,
      }),
    };
  },
});

const gate = defineNode<{ gate: string; steps: number }>(import.meta.url, {
  kind: 'toy-gate',
  version: 2,
  description: 'writes one history row per step once the file <gate>.<step> exists (one row at once when gate is empty), reporting each step as progress',
  mode: 'barrier',
  params: { gate: { type: 'string', default: '' }, steps: { type: 'integer', minimum: 1, default: 2 } },
  example: { steps: 1 },
  inputs: { history: History },
  outputs: { history: History },
  async *run(ctx) {
    const { steps } = ctx.params;
    const row = (epoch: number) => ({ history: makeBatch(History, { epoch: [epoch], train_loss: [0.5], val_loss: [0.6], val_f1: [0.7], val_accuracy: [0.7], seconds: [0.1], best: [1] }) });
    for (let step = 1; ctx.params.gate && step <= steps; step++) {
      ctx.progress(step - 1, steps, 'waiting for the gate');
      while (!existsSync(`${ctx.params.gate}.${step}`)) await sleep(25);
      yield row(step);
    }
    ctx.progress(steps, steps, 'open');
    if (!ctx.params.gate) yield row(1);
  },
});

export const uiRegistry = reportRegistry.with([scanPredictions, windowSampler, gate]);
