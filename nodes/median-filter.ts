// Stream: denoise each slice (paper eq. 1) with a k×k median filter, or with the minimum filter
// that the authors' public code applies where the paper says median.
import { lazyExport } from '../engine/lazy.js';
import { defineNode } from '../engine/types.js';
import type { Edge } from './kernels/lung/bits.js';
import { filterStep } from './kernels/lung/chain.js';
import type { Rank } from './kernels/lung/rank-filter.js';
import { Slices } from './tables.js';

export interface MedianFilterParams {
  /** Window side in pixels (1 = no filtering). */
  size: 1 | 3 | 5 | 7;
  /** Border rule: scipy's 'reflect' (d c b a | a b c d) or 'replicate' (a a | a b). */
  edge: Edge;
  /** 'median' (the paper) or 'minimum' (the authors' code). */
  filter: Rank;
}

export default defineNode<MedianFilterParams>(import.meta.url, {
  kind: 'median-filter',
  version: 1,
  description: 'k×k median (or minimum) filter of each slice, borders padded by reflection or replication.',
  mode: 'stream',
  params: {
    size: { type: 'integer', enum: [1, 3, 5, 7], default: 3, description: 'window side in pixels; 1 leaves slices unchanged' },
    edge: { type: 'string', enum: ['reflect', 'replicate'], default: 'reflect', description: "border rule: scipy 'reflect' (d c b a | a b c d) or 'replicate'" },
    filter: { type: 'string', enum: ['median', 'minimum'], default: 'median', description: "'median' as in the paper, 'minimum' as in the authors' code" },
  },
  example: { size: 5, edge: 'replicate' },
  inputs: { slices: Slices },
  outputs: { slices: Slices },
  report: { panel: { through: 'slices', draw: lazyExport(import.meta.url, './kernels/lung/panels.js', 'filterPanels') } },
  // the filtered pixels are computed when read: not at all when the lung chain runs fused (kernels/lung/chain.ts)
  run: (ctx, { slices }) => ({ slices: filterStep(slices, ctx.params, `median-filter node "${ctx.id}"`) }),
});
