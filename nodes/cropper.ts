// Stream: crop every slice to its body (paper 2.1, fig. 1b): the bounding box of the largest
// 4-connected component of pixels above an air threshold, widened by a margin.
import { lazyExport } from '../engine/lazy.js';
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { bytesOf, column, images, scanColumns } from './kernels/lung/batch.js';
import { cropBox, cropPixels } from './kernels/lung/crop.js';
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
  run(ctx, { slices }) {
    const who = `cropper node "${ctx.id}"`;
    const boxes = images(slices, 'pixels', who).map(({ h, w, data }) => {
      const box = cropBox(data, h, w, ctx.params.air, ctx.params.margin);
      return { box, pixels: cropPixels(data, w, box) };
    });
    const scan = scanColumns(slices, who);
    const b = boxes.map((x) => x.box);
    return {
      slices: makeBatch(Slices, {
        ...scan,
        height: b.map((x) => x.r1 - x.r0),
        width: b.map((x) => x.c1 - x.c0),
        pixels: boxes.map((x) => bytesOf(x.pixels)),
        position_mm: column(slices, 'position_mm', who),
        pixel_mm: column(slices, 'pixel_mm', who),
      }),
      boxes: makeBatch(Boxes, {
        ...scan, r0: b.map((x) => x.r0), r1: b.map((x) => x.r1), c0: b.map((x) => x.c0), c1: b.map((x) => x.c1),
      }),
    };
  },
});
