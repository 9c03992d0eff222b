// Stream: a scan-level probability for the 2D CNN (paper section 3.1): the mean of the slice
// probabilities of 16 slices sampled from the scan's window (or from the whole scan), `draws`
// times per scan, so the evaluator can score one draw and Mean-k (the paper's Mean 10 / Mean 50).
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { drawPositions } from './kernels/eval/draws.js';
import { column } from './kernels/lung/batch.js';
import { Embeddings, Predictions, Windows } from './tables.js';

export interface SliceScorerParams {
  /** Sample from the selected window or from every slice of the scan. */
  from: 'window' | 'scan';
  /** Slices averaged per draw (all of them when the scan or window has fewer). */
  slices: number;
  /** Draws per scan. */
  draws: number;
  /** Model name in the predictions table. */
  name: string;
}

export default defineNode<SliceScorerParams>(import.meta.url, {
  kind: 'slice-scorer',
  version: 1,
  description: 'Scan probabilities of the 2D CNN: mean slice probability of sampled slices from the window or the scan, several draws per scan.',
  mode: 'stream',
  random: true,
  params: {
    from: { type: 'string', enum: ['window', 'scan'], default: 'window', description: 'sample from the lung-area window or the whole scan' },
    slices: { type: 'integer', minimum: 1, default: 16, description: 'slices averaged per draw' },
    draws: { type: 'integer', minimum: 1, maximum: 1000, default: 50, description: 'draws per scan (Mean-k uses the first k)' },
    name: { type: 'string', minLength: 1, default: 'cnn', description: 'model name in the predictions' },
  },
  example: { from: 'scan', slices: 4, draws: 3 },
  inputs: { embeddings: Embeddings, windows: Windows },
  outputs: { predictions: Predictions },
  run(ctx, { embeddings, windows }) {
    const who = `slice-scorer node "${ctx.id}"`;
    const scan = String(column(embeddings, 'scan_id', who)[0]);
    const wScan = String(column(windows, 'scan_id', who)[0]);
    if (scan !== wScan) throw new Error(`${who}: embeddings of scan "${scan}" met the window of scan "${wScan}"; both inputs must list scans in the same order (feed them from the same source)`);
    const order = (column(embeddings, 'slice_index', who) as number[]).map((s, i) => [s, i]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    const probs = column(embeddings, 'prob', who) as number[];
    const [from, to] = ctx.params.from === 'window' ? [Number(windows.getChild('start')!.get(0)), Number(windows.getChild('end')!.get(0))] : [0, order.length];
    const rng = ctx.rngFor(scan);
    const prob = Array.from({ length: ctx.params.draws }, () => {
      const at = drawPositions(rng, from, Math.min(to, order.length), ctx.params.slices);
      return at.length ? at.reduce((a, p) => a + probs[order[p]], 0) / at.length : 0.5;
    });
    const n = prob.length;
    return {
      predictions: makeBatch(Predictions, {
        model: Array(n).fill(ctx.params.name), scan_id: Array(n).fill(scan),
        split: Array(n).fill(column(embeddings, 'split', who)[0]), label: Array(n).fill(column(embeddings, 'label', who)[0]),
        draw: prob.map((_, d) => d), prob,
      }),
    };
  },
});
