// Barrier: scores models per split — sensitivity, specificity, macro-F1, accuracy, AUC, the
// confusion matrix and ROC points — for one draw (averaged over draws) and as Mean-k (mean
// probability of the first k draws), threshold 0.5. Never the training split unless asked.
// Per-scan decisions are exported as CSV in the node's artifacts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { binaryMetrics, rocPoints, type BinaryMetrics, type Scored } from './kernels/eval/binary-metrics.js';
import { byModelAndScan, readPredictions, type Prediction } from './kernels/eval/predictions.js';
import { Metrics, Predictions, Roc } from './tables.js';
import { csvRow } from './kernels/eval/csv.js';

export interface EvaluatorParams {
  splits: ('train' | 'validation' | 'test')[];
  meanK: number[];
  threshold: number;
}

const REPORTED: (keyof BinaryMetrics)[] = ['sensitivity', 'specificity', 'macro_f1', 'accuracy', 'auc', 'tp', 'fp', 'tn', 'fn', 'n'];

export default defineNode<EvaluatorParams>(import.meta.url, {
  kind: 'evaluator',
  version: 1,
  description: 'Sensitivity, specificity, macro-F1, accuracy, AUC, confusion matrix and ROC per model and split; one draw and Mean-k.',
  mode: 'barrier',
  params: {
    splits: { type: 'array', items: { type: 'string', enum: ['train', 'validation', 'test'] }, minItems: 1, uniqueItems: true, default: ['validation', 'test'], description: 'splits to score (train only when listed)' },
    meanK: { type: 'array', items: { type: 'integer', minimum: 2 }, default: [10, 50], description: 'Mean-k rows: mean probability of the first k draws' },
    threshold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'decision threshold' },
  },
  example: { splits: ['validation', 'train'], meanK: [2] },
  inputs: { predictions: Predictions },
  variadic: ['predictions'],
  outputs: { metrics: Metrics, roc: Roc, scans: Predictions },
  async *run(ctx, { predictions }) {
    const { splits, meanK, threshold } = ctx.params;
    const metrics: { model: string; split: string; metric: string; value: number }[] = [];
    const roc: { model: string; split: string; threshold: number; fpr: number; tpr: number }[] = [];
    const decided: Prediction[] = [];
    const unlabeled = new Set<string>();
    for (const [model, scans] of byModelAndScan(await readPredictions(predictions))) {
      for (const split of splits) {
        const rs = [...scans.values()].filter((r) => r[0].split === split);
        rs.filter((r) => r[0].label === null).forEach((r) => unlabeled.add(r[0].scan_id));
        const labeled = rs.filter((r) => r[0].label !== null);
        if (!labeled.length) continue;
        const draws = Math.min(...labeled.map((r) => r.length));
        // One draw: the metrics of each draw, averaged over the draws (the paper's single-sample row).
        const perDraw = Array.from({ length: draws }, (_, d) => binaryMetrics(labeled.map((r) => ({ label: r[0].label!, prob: r[d].prob })), threshold));
        for (const m of REPORTED) metrics.push({ model, split, metric: m, value: mean(perDraw.map((x) => x[m])) });
        const rows = [{ name: model, k: 1 }, ...meanK.filter((k) => k <= draws).map((k) => ({ name: `${model} (Mean ${k})`, k }))];
        for (const { name, k } of rows) {
          const scored: Scored[] = labeled.map((r) => ({ label: r[0].label!, prob: mean(r.slice(0, k).map((x) => x.prob)) }));
          if (k > 1) {
            const m = binaryMetrics(scored, threshold);
            for (const key of REPORTED) metrics.push({ model: name, split, metric: key, value: m[key] });
          }
          for (const p of rocPoints(scored)) roc.push({ model: name, split, ...p, threshold: Number.isFinite(p.threshold) ? p.threshold : 1 });
          labeled.forEach((r, i) => decided.push({ ...r[0], model: name, draw: 0, prob: scored[i].prob }));
        }
        const skipped = meanK.filter((k) => k > draws);
        if (skipped.length) ctx.log(`${model} ${split}: ${draws} draws per scan, so no Mean ${skipped.join('/')}`);
      }
    }
    if (unlabeled.size) ctx.note('unlabeledScans', unlabeled.size);
    writeCsv(ctx.artifacts, decided, threshold);
    yield {
      metrics: makeBatch(Metrics, columns(metrics, ['model', 'split', 'metric', 'value'])),
      roc: makeBatch(Roc, columns(roc, ['model', 'split', 'threshold', 'fpr', 'tpr'])),
      scans: makeBatch(Predictions, columns(decided, ['model', 'scan_id', 'split', 'label', 'draw', 'prob'])),
    };
  },
});

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function columns<T extends object>(rows: T[], keys: (keyof T & string)[]): Record<string, unknown[]> {
  return Object.fromEntries(keys.map((k) => [k, rows.map((r) => r[k])]));
}

function writeCsv(dir: string, rows: Prediction[], threshold: number) {
  mkdirSync(dir, { recursive: true });
  const lines = ['model,scan_id,split,label,prob,predicted', ...rows.map((r) => csvRow([r.model, r.scan_id, r.split, r.label, r.prob.toFixed(6), r.prob >= threshold ? 1 : 0]))];
  writeFileSync(join(dir, 'predictions.csv'), lines.join('\n') + '\n');
}
