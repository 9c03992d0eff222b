// Worker thread of LungPool: computes crop boxes and lung areas of a run of slices.
import { parentPort } from 'node:worker_threads';
import { lungArea, type LungOptions } from './lung-area.js';

export interface LungTask {
  id: number;
  /** Slices back to back: shared (read in place) or a copy made for this task. */
  buffer: SharedArrayBuffer | ArrayBuffer;
  /** Offset of the first slice in int16 elements. */
  offset: number;
  count: number;
  h: number;
  w: number;
  options: Partial<LungOptions>;
}

/** Per slice: r0, r1, c0, c1, area. */
export type LungReply = { id: number; results: Int32Array } | { id: number; error: string };

parentPort!.on('message', (t: LungTask) => {
  try {
    const results = new Int32Array(5 * t.count), n = t.h * t.w;
    const all = new Int16Array(t.buffer, t.offset * 2, t.count * n);
    for (let i = 0; i < t.count; i++) {
      const r = lungArea(all.subarray(i * n, (i + 1) * n), t.h, t.w, t.options);
      results.set([r.r0, r.r1, r.c0, r.c1, r.area], 5 * i);
    }
    parentPort!.postMessage({ id: t.id, results } satisfies LungReply, [results.buffer]);
  } catch (e) {
    parentPort!.postMessage({ id: t.id, error: (e as Error).stack ?? String(e) } satisfies LungReply);
  }
});
