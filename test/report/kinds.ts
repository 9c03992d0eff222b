// Test-only sources for the report's model sections: a training history and seeded scan
// predictions whose separation of the labels grows with `skill`.
import { makeBatch } from '../../engine/ports.js';
import { rngFrom } from '../../engine/rng.js';
import { defineNode } from '../../engine/types.js';
import { History, Predictions } from '../../nodes/tables.js';
import { testRegistry } from '../helpers/engine.js';

const toyHistory = defineNode<{ epochs: number }>(import.meta.url, {
  kind: 'toy-history',
  version: 1,
  description: 'a decreasing loss and rising validation scores, best epoch = the one with the lowest validation loss',
  mode: 'source',
  params: { epochs: { type: 'integer', minimum: 1, default: 5 } },
  example: { epochs: 3 },
  outputs: { history: History },
  async *run(ctx) {
    const epochs = Array.from({ length: ctx.params.epochs }, (_, i) => i + 1);
    const val = epochs.map((e) => 0.7 / e + 0.02 * e);
    const best = val.indexOf(Math.min(...val));
    yield {
      history: makeBatch(History, {
        epoch: epochs, train_loss: epochs.map((e) => 0.7 / e), val_loss: val,
        val_f1: epochs.map((e) => 1 - 0.5 / e), val_accuracy: epochs.map((e) => 1 - 0.4 / e),
        seconds: epochs.map(() => 0.1), best: epochs.map((_, i) => (i === best ? 1 : 0)),
      }),
    };
  },
});

const toyPredictions = defineNode<{ model: string; skill: number; scans: number; draws: number }>(import.meta.url, {
  kind: 'toy-predictions',
  version: 1,
  description: 'scan probabilities: label·skill + (1 − skill)·noise, on the validation split',
  mode: 'source',
  random: true,
  params: {
    model: { type: 'string', default: 'toy' },
    skill: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    scans: { type: 'integer', minimum: 2, default: 20 },
    draws: { type: 'integer', minimum: 1, default: 2 },
  },
  example: { skill: 0.8 },
  outputs: { predictions: Predictions },
  async *run(ctx) {
    const { model, skill, scans, draws } = ctx.params;
    const rng = rngFrom(`${ctx.seed}:${model}`);
    const rows = Array.from({ length: scans * draws }, (_, i) => ({ scan: Math.floor(i / draws), draw: i % draws }));
    yield {
      predictions: makeBatch(Predictions, {
        model: rows.map(() => model), scan_id: rows.map((r) => `s${r.scan}`), split: rows.map(() => 'validation'),
        label: rows.map((r) => r.scan % 2), draw: rows.map((r) => r.draw), prob: rows.map((r) => (r.scan % 2) * skill + (1 - skill) * rng()),
      }),
    };
  },
});

export const reportRegistry = testRegistry.with([toyHistory, toyPredictions]);
