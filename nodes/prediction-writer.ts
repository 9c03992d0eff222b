// Barrier: per-scan predictions for people — one row per scan with each model's probability (the
// mean over its draws: Mean-k with every draw) and the predicted class of one model at a threshold
// — written as predictions.csv in the node's artifacts and printed in the run's log. Needs no
// labels: the end of a predict-only graph (graphs/predict.yaml, docs/predict.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { csvRow } from './kernels/eval/csv.js';
import { byModelAndScan, readPredictions } from './kernels/eval/predictions.js';
import { Predictions } from './tables.js';

export interface PredictionWriterParams {
  /** Model whose probability decides the predicted class (null: the last model of the input). */
  decide: string | null;
  threshold: number;
  /** Rows printed in the run's log (0: none); the CSV has them all. */
  show: number;
}

export default defineNode<PredictionWriterParams>(import.meta.url, {
  kind: 'prediction-writer',
  version: 1,
  description: 'Per-scan predictions as CSV (scan id, each model\'s mean probability over its draws, predicted class of one model), printed in the log; labels not needed.',
  mode: 'barrier',
  params: {
    decide: { type: ['string', 'null'], minLength: 1, default: null, description: 'model whose probability gives the predicted class (null: the last model listed in the input)' },
    threshold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'predicted class 1 (covid) when the probability is at least this' },
    show: { type: 'integer', minimum: 0, default: 20, description: 'rows printed in the run log (the CSV holds every scan)' },
  },
  example: { decide: 'a', show: 2 },
  inputs: { predictions: Predictions },
  variadic: ['predictions'],
  outputs: { scans: Predictions },
  async *run(ctx, { predictions }) {
    const who = `prediction-writer node "${ctx.id}"`;
    const { threshold, show } = ctx.params;
    const models = byModelAndScan(await readPredictions(predictions));
    const names = [...models.keys()];
    if (!names.length) throw new Error(`${who}: the predictions input is empty; connect the predictions of at least one model`);
    const decide = ctx.params.decide ?? names[names.length - 1];
    if (!models.has(decide)) throw new Error(`${who}: params.decide is "${decide}" but the input has models ${names.map((n) => `"${n}"`).join(', ')}; name one of them`);
    const scans = new Map<string, { split: string; label: number | null; prob: Map<string, number> }>();
    for (const [model, rows] of models) {
      for (const [scan, rs] of rows) {
        const s = scans.get(scan) ?? scans.set(scan, { split: rs[0].split, label: rs[0].label, prob: new Map() }).get(scan)!;
        s.prob.set(model, rs.reduce((a, r) => a + r.prob, 0) / rs.length);
      }
    }
    const labeled = [...scans.values()].some((s) => s.label !== null);
    const header = ['scan_id', 'split', ...(labeled ? ['label'] : []), ...names, 'predicted'];
    const table = [...scans].map(([id, s]) => {
      const p = s.prob.get(decide);
      return [id, s.split, ...(labeled ? [s.label] : []), ...names.map((m) => s.prob.get(m)?.toFixed(6) ?? null), p === undefined ? null : p >= threshold ? 1 : 0];
    });
    mkdirSync(ctx.artifacts, { recursive: true });
    writeFileSync(join(ctx.artifacts, 'predictions.csv'), [header, ...table].map(csvRow).join('\n') + '\n');
    const positive = table.filter((r) => r[r.length - 1] === 1).length;
    ctx.note('scans', scans.size);
    ctx.note('predicted_positive', positive);
    ctx.log(`${scans.size} scans, ${positive} predicted positive by ${decide} at ${threshold}; predictions.csv in the node's artifacts`);
    if (show > 0) {
      for (const line of aligned([header, ...table.slice(0, show)])) ctx.log(line);
      if (table.length > show) ctx.log(`… ${table.length - show} more scans in predictions.csv`);
    }
    const rows = [...scans].flatMap(([id, s]) => [...s.prob].map(([model, prob]) => ({ model, id, s, prob })));
    yield {
      scans: makeBatch(Predictions, {
        model: rows.map((r) => r.model), scan_id: rows.map((r) => r.id), split: rows.map((r) => r.s.split), label: rows.map((r) => r.s.label),
        draw: rows.map(() => 0), prob: rows.map((r) => r.prob),
      }),
    };
  },
});

/** Rows as text columns: the first left-aligned, the others right-aligned; empty cells as "—". */
function aligned(rows: unknown[][]): string[] {
  const text = rows.map((r) => r.map((v) => (v === null || v === undefined ? '—' : String(v))));
  const w = text[0].map((_, i) => Math.max(...text.map((r) => r[i].length)));
  return text.map((r) => r.map((v, i) => (i === 0 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  '));
}
