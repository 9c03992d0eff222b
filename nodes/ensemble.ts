// Barrier: an ensemble of models as the weighted mean of their scan probabilities (the paper
// recommends an ensemble of the LSTM and Swin models but never evaluates one: our extension).
// Draw d of the ensemble averages draw d of each model when all have the same number of draws;
// otherwise each model's mean over its draws is averaged into a single draw.
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { byModelAndScan, readPredictions, type Prediction } from './kernels/eval/predictions.js';
import { Predictions } from './tables.js';

export interface EnsembleParams {
  /** Weight per model name; models not listed weigh 1. */
  weights: Record<string, number>;
  name: string;
}

export default defineNode<EnsembleParams>(import.meta.url, {
  kind: 'ensemble',
  version: 1,
  description: 'Weighted mean of several models\' scan probabilities, scored by the evaluator like any model.',
  mode: 'barrier',
  params: {
    weights: { type: 'object', additionalProperties: { type: 'number', minimum: 0 }, default: {}, description: 'weight per model name (default 1 each)' },
    name: { type: 'string', minLength: 1, default: 'ensemble', description: 'model name of the ensemble' },
  },
  example: { weights: { lstm: 2 } },
  inputs: { predictions: Predictions },
  variadic: ['predictions'],
  outputs: { predictions: Predictions },
  async *run(ctx, { predictions }) {
    const models = byModelAndScan(await readPredictions(predictions));
    if (models.size < 2) throw new Error(`ensemble node "${ctx.id}": needs predictions of at least two models, got ${[...models.keys()].join(', ') || 'none'}; list them as in: { predictions: [a, b] }`);
    const weight = (m: string) => ctx.params.weights[m] ?? 1;
    const total = [...models.keys()].reduce((a, m) => a + weight(m), 0);
    if (!(total > 0)) throw new Error(`ensemble node "${ctx.id}": the weights sum to 0`);
    const draws = new Set([...models.values()].flatMap((scans) => [...scans.values()].map((rs) => rs.length)));
    const perDraw = draws.size === 1;
    const first = [...models.values()][0];
    const rows: Prediction[] = [];
    const missing: string[] = [];
    for (const [scan, rs0] of first) {
      const each = [...models].map(([m, scans]) => [m, scans.get(scan)] as const);
      if (each.some(([, rs]) => !rs)) {
        missing.push(scan);
        continue;
      }
      const n = perDraw ? rs0.length : 1;
      for (let d = 0; d < n; d++) {
        let p = 0;
        for (const [m, rs] of each) p += weight(m) * (perDraw ? rs![d].prob : rs!.reduce((a, r) => a + r.prob, 0) / rs!.length);
        rows.push({ ...rs0[0], model: ctx.params.name, draw: d, prob: p / total });
      }
    }
    if (missing.length) {
      ctx.note('scansMissingAModel', missing);
      ctx.log(`${missing.length} scans lack a prediction of some model and are left out`);
    }
    yield {
      predictions: makeBatch(Predictions, {
        model: rows.map((r) => r.model), scan_id: rows.map((r) => r.scan_id), split: rows.map((r) => r.split),
        label: rows.map((r) => r.label), draw: rows.map((r) => r.draw), prob: rows.map((r) => r.prob),
      }),
    };
  },
});
