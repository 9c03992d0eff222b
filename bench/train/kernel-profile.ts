// Where a training step's time goes: TensorFlow.js's per-kernel times of one step (tf.profile),
// summed by kernel name, largest first, as lines to print. Kernel times are wall times, so on a
// loaded machine they grow with the load; their shares are what compares across runs.
import type { TF } from '../../nodes/kernels/tf/backend.js';

export async function kernelProfile(tf: TF, step: () => Promise<unknown>, top = 16): Promise<string[]> {
  const p = await tf.profile(async () => { await step(); });
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of p.kernels) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.n++;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
  return [
    `kernel time of one step (tf.profile): ${total.toFixed(0)} ms, ${p.kernels.length} kernel calls, peak ${(p.peakBytes / 2 ** 20).toFixed(0)} MiB`,
    ...[...by].sort((p1, p2) => p2[1].ms - p1[1].ms).slice(0, top)
      .map(([name, e]) => `  ${name.padEnd(38)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.n).padStart(5)} calls`),
  ];
}
