// Test-only kind for the run browser: per-scan predictions over a window output, so predictions,
// lung areas, windows and slices share scan ids. prob = label·skill + (1 − skill)·noise, seeded
// per model and scan; `draws` rows per scan.
import { makeBatch } from '../../engine/ports.js';
import { rngFrom } from '../../engine/rng.js';
import { defineNode } from '../../engine/types.js';
import { Predictions, Windows } from '../../nodes/tables.js';
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

export const uiRegistry = reportRegistry.with([scanPredictions]);
