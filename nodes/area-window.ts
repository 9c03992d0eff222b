// Stream: per scan, the window of slices to train on (paper eq. 4): the ⌊fraction·n⌋ contiguous
// slices with the largest summed lung area, or the centred window (the fixed-percentage baseline).
import { lazyExport } from '../engine/lazy.js';
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { column } from './kernels/lung/batch.js';
import { sliceWindow, type WindowStrategy } from './kernels/lung/slice-window.js';
import { Areas, Windows } from './tables.js';

export interface AreaWindowParams {
  /** Window length as a fraction of the scan's slices: max(1, ⌊fraction·n⌋) slices. */
  fraction: number;
  /** 'area': maximise summed lung area (first on ties); 'center': the middle slices. */
  strategy: WindowStrategy;
  /** Slices at both ends that are never chosen. */
  margin: number;
}

export default defineNode<AreaWindowParams>(import.meta.url, {
  kind: 'area-window',
  version: 1,
  description: 'Per scan, the contiguous slice window of max(1, ⌊fraction·n⌋) slices with the largest summed lung area (or the centred one).',
  mode: 'stream',
  params: {
    fraction: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'window length as a fraction of the slices' },
    strategy: { type: 'string', enum: ['area', 'center'], default: 'area', description: "'area' (paper eq. 4) or 'center' (fixed-percentage baseline)" },
    margin: { type: 'integer', minimum: 0, default: 0, description: 'slices at both ends never chosen' },
  },
  example: { fraction: 0.25, strategy: 'center', margin: 1 },
  inputs: { areas: Areas },
  outputs: { windows: Windows },
  report: {
    sections: [lazyExport(import.meta.url, './kernels/lung/area-section.js', 'lungAreaSection'), lazyExport(import.meta.url, './kernels/lung/panels-section.js', 'panelsSection')],
  },
  run(ctx, { areas }) {
    const who = `area-window node "${ctx.id}"`;
    const ids = column(areas, 'scan_id', who) as string[], index = column(areas, 'slice_index', who) as number[];
    const split = column(areas, 'split', who), label = column(areas, 'label', who), area = column(areas, 'area', who) as number[];
    const scans = new Map<string, number[]>();          // scan → its rows, in order of appearance
    ids.forEach((id, i) => (scans.get(id) ?? scans.set(id, []).get(id)!).push(i));
    const rows = [...scans.entries()].map(([id, at]) => {
      at.sort((a, b) => index[a] - index[b]);
      for (let k = 1; k < at.length; k++) {
        if (index[at[k]] === index[at[k - 1]]) {
          throw new Error(`${who}: scan "${id}" has two areas for slice ${index[at[k]]}; each slice must appear once (check the nodes upstream)`);
        }
      }
      const win = sliceWindow(at.map((i) => area[i]), ctx.params.fraction, ctx.params.strategy, ctx.params.margin);
      return { id, first: at[0], n: at.length, ...win };
    });
    return {
      windows: makeBatch(Windows, {
        scan_id: rows.map((r) => r.id),
        split: rows.map((r) => split[r.first]),
        label: rows.map((r) => label[r.first]),
        n_slices: rows.map((r) => r.n),
        start: rows.map((r) => r.start),
        end: rows.map((r) => r.end),
        area_sum: rows.map((r) => r.sum),
      }),
    };
  },
});
