// One pass of a sequence model's training step: the loss and the parameters' gradients of a
// contiguous part of the batch, the loss scaled by the part's share of the batch so that the passes'
// gradients sum to the whole batch's. trainStep (train.ts) runs passes itself and in its replicas
// (replica-worker.ts), so both compute them with the same code.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import type { SeqNet } from './net.js';

/** Draws `at`…`at + x.length / (L·E)` of a batch of `batch` draws. */
export interface PassJob { x: Float32Array; y: Float32Array; lengths: number[]; L: number; E: number; batch: number }

/** Mean binary cross-entropy of sigmoid(z) against y: max(z, 0) − z·y + log(1 + e^−|z|). */
export const bce = (tf: TF, z: TFJS.Tensor, y: TFJS.Tensor) => tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as TFJS.Scalar;

/** The pass's scaled loss and gradients in spec order (the caller disposes them). */
export function passGrads(tf: TF, net: SeqNet, params: Map<string, TFJS.Tensor>, j: PassJob): { value: TFJS.Scalar; grads: TFJS.Tensor[] } {
  const n = j.y.length;
  return tf.tidy(() => {
    const x = tf.tensor3d(j.x, [n, j.L, j.E]);
    const labels = tf.tensor1d(j.y);
    const f = () => bce(tf, net.logits(tf, params, x, j.lengths), labels);
    return tf.valueAndGrads(n === j.batch ? f : () => tf.mul(f(), n / j.batch) as TFJS.Scalar)(net.specs.map((s) => params.get(s.name)!));
  });
}
