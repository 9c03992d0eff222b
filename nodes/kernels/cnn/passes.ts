// A CNN training step in passes (params.microbatch), spread over worker-thread replicas
// (train-replicas.ts). Pass p of P takes the batch's slices p, p + P, p + 2P, … (so each pass mixes
// the batch's scans), normalises them with its own BatchNorm statistics (as PyTorch's
// DistributedDataParallel does without SyncBatchNorm), and its gradients are summed with the others'
// in pass order on this thread; one Adam step follows. The passes are set by the batch and
// microbatch alone and every pass runs the same code on the same WebAssembly build wherever it
// runs, so a step has the same bytes on any thread count. One pass (microbatch ≥ batch) is
// trainStepOnDevice itself: whole-batch BatchNorm, today's bytes, its loss left on the device for
// fit to read (every step on wasm/cpu, every few on webgpu).
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { flatAdamGradUpdate, flatGrads, gradNames, type AdamOptions, type FlatAdamState } from '../train/adam.js';
import { disposePass, passGrads, trainStepOnDevice, updateRunningStats, type Model, type Pass } from './model.js';
import type { BatchStats } from './ops.js';
import type { RemotePass, TrainReplicas } from './train-replicas.js';

/** The slices of pass `p` of `passes`: p, p + passes, p + 2·passes, … of the batch. */
export function passIndices(batch: number, passes: number, p: number): number[] {
  return Array.from({ length: Math.ceil((batch - p) / passes) }, (_, i) => p + i * passes);
}

/** Pass `p`'s images and labels, gathered from the batch `x` (n·R·R floats) and `y`. */
function gather(x: Float32Array, y: Float32Array, pixels: number, rows: number[]): { x: Float32Array; y: Float32Array } {
  const out = new Float32Array(rows.length * pixels);
  rows.forEach((r, i) => out.set(x.subarray(r * pixels, (r + 1) * pixels), i * pixels));
  return { x: out, y: Float32Array.from(rows, (r) => y[r]) };
}

/** A pass with its gradients flat (adam.ts's layout): a local pass's concatenated, a remote pass's as sent. */
interface FlatPass { loss: number; grads: TFJS.Tensor1D; stats: BatchStats[] }

const disposeFlat = (tf: TF, p: Pick<FlatPass, 'grads' | 'stats'>) => tf.dispose([p.grads, ...p.stats.flatMap((s) => [s.mean, s.variance])]);

/** A local pass's gradients made flat in the layout `names` (its own tensors disposed). */
async function flatLocal(tf: TF, p: Pass, names: string[]): Promise<FlatPass> {
  try {
    return { loss: (await p.loss.data())[0], grads: flatGrads(tf, names, p.grads), stats: p.stats };
  } finally {
    disposePass(tf, { loss: p.loss, grads: p.grads, stats: [] });
  }
}

/** A remote pass's arrays as tensors, like a local pass's. */
function asPass(tf: TF, r: RemotePass, names: string[]): FlatPass {
  if (r.names.join() !== names.join()) throw new Error('CNN training replica: its gradients are not for the tensors of this thread\'s pass; the replica runs another network');
  return {
    loss: r.loss,
    grads: tf.tensor1d(r.grads, 'float32'),
    stats: r.stats.map((s) => ({ name: s.name, mean: tf.tensor1d(s.mean), variance: tf.tensor1d(s.variance), count: s.count })),
  };
}

/**
 * BatchNorm statistics for the running averages from every pass's: means and (biased) variances
 * averaged with the passes' sizes as weights, the count a pass's (the unbiased correction is a pass's,
 * whose statistics normalised its images).
 */
function meanStats(tf: TF, passes: BatchStats[][]): BatchStats[] {
  return passes[0].map((first, k) => {
    const total = passes.reduce((a, p) => a + p[k].count, 0);
    const avg = (key: 'mean' | 'variance') => tf.tidy(() => passes.slice(1).reduce((acc: TFJS.Tensor, p) => tf.add(acc, tf.mul(p[k][key], p[k].count / total)), tf.mul(first[key], first.count / total))) as TFJS.Tensor1D;
    return { name: first.name, mean: avg('mean'), variance: avg('variance'), count: Math.round(total / passes.length) };
  });
}

/**
 * One Adam step on `x` (n·R·R floats) with labels `y` in passes of at most `micro` slices; pass p
 * runs on thread p mod threads (0: this one) when `replicas` are given. Returns the batch's loss (a
 * tensor left on the device for one pass, a number read from the passes for several).
 */
export async function passesStep(tf: TF, m: Model, opt: AdamOptions, state: FlatAdamState, x: Float32Array, y: Float32Array, micro: number, replicas?: TrainReplicas): Promise<number | TFJS.Scalar> {
  const B = y.length, P = Math.ceil(B / micro);
  if (P === 1) return trainStepOnDevice(tf, m, opt, state, x, y);
  const pixels = m.cfg.resolution ** 2;
  const threads = replicas?.threads ?? 1;
  const job = (p: number) => gather(x, y, pixels, passIndices(B, P, p));
  if (threads > 1) await replicas!.share(m);
  const remote = new Map<number, Promise<RemotePass>>();
  for (let p = 0; p < P; p++) {
    if (!(p % threads)) continue;
    const r = replicas!.pass(p % threads, { ...job(p), batch: B });
    r.catch(() => undefined);   // awaited below, in pass order; a failure before then must not count as unhandled
    remote.set(p, r);
  }
  const passes: FlatPass[] = [];
  let names: string[] = [];
  try {
    for (let p = 0; p < P; p++) {
      const r = remote.get(p);
      if (r) passes.push(asPass(tf, await r, names));
      else {
        const j = job(p);
        const pass = passGrads(tf, m, j.x, j.y, B);
        if (!p) names = gradNames(m.params, pass.grads);
        passes.push(await flatLocal(tf, pass, names));
      }
    }
    const loss = passes.reduce((a, p) => a + p.loss, 0);
    // summed in pass order, elementwise: the bytes of summing tensor by tensor
    const grad = tf.tidy(() => passes.slice(1).reduce((acc: TFJS.Tensor, p) => tf.add(acc, p.grads), passes[0].grads)) as TFJS.Tensor1D;
    const stats = meanStats(tf, passes.map((p) => p.stats));
    try {
      await flatAdamGradUpdate(tf, opt, state, m.params, names, grad);
      updateRunningStats(tf, m, stats);
    } finally {
      disposeFlat(tf, { grads: grad, stats });
    }
    return loss;
  } finally {
    await Promise.allSettled(remote.values());
    for (const p of passes) disposeFlat(tf, p);
  }
}
