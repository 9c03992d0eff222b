// Tile routing for the WebAssembly backend. The shipped kernel is a scalar C loop that allocates
// index vectors per element (~40× slower than a copy). For float32, tiling is a broadcast: x as
// [.., 1, d, ..] times ones [.., r, 1, ..] gives [.., r, d, ..], i.e. reps r of axis d, computed by
// the backend's XNNPACK multiply (exact: x·1 = x, NaN and −0 included).
import type { KernelArgs, Kernel, TF } from './compose.js';
import { composed } from './compose.js';

/** Largest rank XNNPACK's broadcasting multiply accepts. */
const MAX_BROADCAST_RANK = 6;

export function tile(tf: TF, shipped: Kernel): Kernel {
  return composed(tf, (s, { inputs, attrs }: KernelArgs) => {
    const { x } = inputs;
    const reps = attrs.reps as number[];
    // (x dim, ones dim) pairs, merging neighbours that repeat nothing or hold no data.
    const dims: [number, number][] = [];
    const push = (d: number, r: number) => {
      if (d === 1 && r === 1) return;
      const last = dims.at(-1);
      if (last && r === 1 && last[1] === 1) last[0] *= d;
      else if (last && d === 1 && last[0] === 1) last[1] *= r;
      else dims.push([d, r]);
    };
    x.shape.forEach((d, i) => {
      if (reps[i] > 1) push(1, reps[i]);
      push(d, 1);
    });
    if (x.dtype !== 'float32' || dims.length > MAX_BROADCAST_RANK || !reps.some((r) => r > 1)) return s.run(shipped, inputs, attrs);
    const ones = s.run('Fill', {}, { shape: dims.map(([, r]) => r), value: 1, dtype: 'float32' });
    const product = s.run('Multiply', { a: s.reshape(x, dims.map(([d]) => d)), b: ones });
    return s.reshape(product, x.shape.map((d, i) => d * reps[i]));
  });
}
