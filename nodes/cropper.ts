// Stream: crop every slice to its body (paper 2.1, fig. 1b): the bounding box of the largest
// 4-connected component of pixels above an air threshold, widened by a margin.
import { lazyExport } from '../engine/lazy.js';
import { defineNode } from '../engine/types.js';
import { cropStep } from './kernels/lung/chain.js';
import { Boxes, Slices } from './tables.js';

export interface CropperParams {
  /** Body = pixels above this HU value (air is about −1000). */
  air: number;
  /** Pixels added on each side of the box, clamped to the slice. */
  margin: number;
}

export default defineNode<CropperParams>(import.meta.url, {
  kind: 'cropper',
  version: 1,
  description: 'Crop each slice to the bounding box of its largest body component (pixels > air, 4-connected), plus a margin; also emits the boxes.',
  mode: 'stream',
  params: {
    air: { type: 'integer', minimum: -32768, maximum: 32767, default: -500, description: 'body = pixels > air (HU)' },
    margin: { type: 'integer', minimum: 0, default: 0, description: 'pixels added on each side of the box' },
  },
  example: { margin: 2 },
  inputs: { slices: Slices },
  outputs: { slices: Slices, boxes: Boxes },
  report: { panel: { through: 'slices', draw: lazyExport(import.meta.url, './kernels/lung/panels.js', 'cropPanels') } },
  // the cropped pixels are computed when read: not at all when the lung chain runs fused (kernels/lung/chain.ts)
  run: (ctx, { slices }) => cropStep(slices, ctx.params, `cropper node "${ctx.id}"`),
});
