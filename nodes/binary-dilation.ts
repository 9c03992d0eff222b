// Stream: the paper's filling step ("binary dilation", fig. 1e–f): fill the holes of each mask
// (background 4-connected, flooded from the border) and measure the lung area = filled − mask.
import { lazyExport } from '../engine/lazy.js';
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { images, scanColumns } from './kernels/lung/batch.js';
import { fillHoles } from './kernels/lung/fill.js';
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
  run(ctx, { masks }) {
    const who = `binary-dilation node "${ctx.id}"`;
    const imgs = images(masks, 'mask', who);
    const filled = imgs.map(({ h, w, data }) => fillHoles(data, h, w));
    const scan = scanColumns(masks, who);
    return {
      masks: makeBatch(Masks, {
        ...scan, height: imgs.map((i) => i.h), width: imgs.map((i) => i.w), mask: filled.map((f) => f.filled),
      }),
      areas: makeBatch(Areas, { ...scan, area: filled.map((f) => f.area) }),
    };
  },
});
