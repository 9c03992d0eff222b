// Adam as torch.optim.Adam computes it, weight decay included in its coupled (L2) form: the decay
// term wd·θ is added to the gradient before the moments, as in PyTorch's Adam(weight_decay=…) that
// the paper's setting names, not decoupled as in AdamW. Applied to every trainable tensor
// (BatchNorm scales and biases too), as torch does for model.parameters().
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';

export interface AdamOptions { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

export interface AdamState {
  /** Steps taken so far. */
  step: number;
  m: Map<string, TFJS.Tensor>;
  v: Map<string, TFJS.Tensor>;
}

export function adamState(): AdamState {
  return { step: 0, m: new Map(), v: new Map() };
}

/**
 * One update of `params` (replaced in the map; old tensors disposed) from `grads`:
 * g ← g + wd·θ; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
 */
export function adamUpdate(tf: TF, o: AdamOptions, s: AdamState, params: Map<string, TFJS.Tensor>, grads: ReadonlyMap<string, TFJS.Tensor>): void {
  s.step += 1;
  const bc1 = 1 - o.beta1 ** s.step;
  const bc2 = Math.sqrt(1 - o.beta2 ** s.step);
  for (const [name, g0] of grads) {
    const theta = params.get(name)!;
    const [theta1, m1, v1] = tf.tidy(() => {
      const g = o.weightDecay ? tf.add(g0, tf.mul(theta, o.weightDecay)) : g0;
      const m = s.m.has(name) ? tf.add(tf.mul(s.m.get(name)!, o.beta1), tf.mul(g, 1 - o.beta1)) : tf.mul(g, 1 - o.beta1);
      const v = s.v.has(name) ? tf.add(tf.mul(s.v.get(name)!, o.beta2), tf.mul(tf.square(g), 1 - o.beta2)) : tf.mul(tf.square(g), 1 - o.beta2);
      const update = tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2), o.eps));
      return [tf.sub(theta, tf.mul(update, o.lr / bc1)), m, v];
    });
    for (const [map, t] of [[params, theta1], [s.m, m1], [s.v, v1]] as const) {
      map.get(name)?.dispose();
      map.set(name, t);
    }
  }
}
