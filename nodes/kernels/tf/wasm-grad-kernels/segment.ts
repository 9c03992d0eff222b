// UnsortedSegmentSum for the WebAssembly backend (missing from it; the gradient of Gather needs it):
// a ScatterNd (which sums duplicate indices) into numSegments + 1 rows, where ids outside
// [0, numSegments) are sent to the extra last row, which is then dropped.
import type { KernelArgs, Kernel, TF } from './compose.js';
import { composed } from './compose.js';

/** inputs {x, segmentIds}; attrs {numSegments}. Output [numSegments, ...x.shape after segmentIds' dims]. */
export function unsortedSegmentSum(tf: TF): Kernel {
  return composed(tf, (s, { inputs: { x, segmentIds }, attrs }: KernelArgs) => {
    const segments = attrs.numSegments as number;
    const n = segmentIds.shape.reduce((a, b) => a * b, 1);
    const rest = x.shape.slice(segmentIds.shape.length);
    const ids = s.reshape(segmentIds, [n]);
    const fill = (value: number) => s.run('Fill', {}, { shape: [n], value, dtype: 'int32' });
    const outside = s.run('LogicalOr', {
      a: s.run('Less', { a: ids, b: fill(0) }),
      b: s.run('GreaterEqual', { a: ids, b: fill(segments) }),
    });
    const target = s.run('Select', { condition: outside, t: fill(segments), e: ids });
    const summed = s.run('ScatterNd', { indices: s.reshape(target, [n, 1]), updates: s.reshape(x, [n, ...rest]) }, { shape: [segments + 1, ...rest] });
    return s.run('Slice', { x: summed }, { begin: summed.shape.map(() => 0), size: [segments, ...rest] });
  });
}
