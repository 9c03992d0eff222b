// Stream: the segmentation map of each slice (paper eq. 2): 1 where the pixel is above t.
import { lazyExport } from '../engine/lazy.js';
import { defineNode } from '../engine/types.js';
import { thresholdStep } from './kernels/lung/chain.js';
import type { ThresholdOp } from './kernels/lung/threshold.js';
import { Masks, Slices } from './tables.js';

export interface ThresholdParams {
  /** Threshold in HU. */
  t: number;
  /** 'gt': pixel > t (the scipy reference); 'ge': pixel ≥ t (the paper's eq. 2). */
  op: ThresholdOp;
}

export default defineNode<ThresholdParams>(import.meta.url, {
  kind: 'threshold',
  version: 1,
  description: 'Binary tissue mask of each slice: pixel > t (or ≥ t).',
  mode: 'stream',
  params: {
    t: { type: 'integer', minimum: -32767, maximum: 32767, default: -400, description: 'threshold in HU' },
    op: { type: 'string', enum: ['gt', 'ge'], default: 'gt', description: "'gt' (> t, scipy reference) or 'ge' (≥ t, paper eq. 2)" },
  },
  example: { t: -300, op: 'ge' },
  inputs: { slices: Slices },
  outputs: { masks: Masks },
  report: { panel: { through: 'slices', draw: lazyExport(import.meta.url, './kernels/lung/panels.js', 'thresholdPanels') } },
  // the mask is computed when read: not at all when the lung chain runs fused (kernels/lung/chain.ts)
  run: (ctx, { slices }) => ({ masks: thresholdStep(slices, ctx.params, `threshold node "${ctx.id}"`) }),
});
