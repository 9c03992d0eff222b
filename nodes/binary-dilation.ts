// Stream: the paper's filling step ("binary dilation", fig. 1e–f): fill the holes of each mask
// (background 4-connected, flooded from the border) and measure the lung area = filled − mask.
import { lazyExport } from '../engine/lazy.js';
import { defineNode } from '../engine/types.js';
import { fillStep } from './kernels/lung/chain.js';
import { Areas, Masks } from './tables.js';

export default defineNode<Record<string, never>>(import.meta.url, {
  kind: 'binary-dilation',
  version: 1,
  description: 'Fill the holes of each mask (background 4-connected from the border); emits the filled masks and the lung area (filled − mask) per slice.',
  mode: 'stream',
  params: {},
  example: {},
  inputs: { masks: Masks },
  outputs: { masks: Masks, areas: Areas },
  report: { panel: { through: 'masks', draw: lazyExport(import.meta.url, './kernels/lung/panels.js', 'fillPanels') } },
  // masks from threshold ← median-filter ← cropper run as one fused pass on every core (kernels/lung/chain.ts)
  run: (ctx, { masks }) => fillStep(masks, `binary-dilation node "${ctx.id}"`),
});
