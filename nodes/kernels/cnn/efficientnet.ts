// The EfficientNet forward pass (MBConv blocks with squeeze-excitation, swish activations) on
// TensorFlow.js, over parameters held as a name → tensor map (names and layouts: architecture.ts).
// With a Tape it trains (BatchNorm on batch statistics, backward steps recorded); without, it infers.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { BN_EPS, type Architecture, type Block } from './architecture.js';
import { batchNorm, conv, depthwise, excite, globalPool, linear, pointwise, residual, swish, type BatchStats } from './ops.js';
import type { Tape } from './tape.js';

type T4 = TFJS.Tensor4D;
type T2 = TFJS.Tensor2D;
export type Params = ReadonlyMap<string, TFJS.Tensor>;

export interface Outputs {
  /** [N, embedding] */
  embedding: T2;
  /** [N] pre-sigmoid slice scores */
  logit: TFJS.Tensor1D;
}

/**
 * Run the network on `x` [N, R, R, 1] in [0, 1]. With `tape`, BatchNorm uses batch statistics
 * (appended to `stats`) and every layer records its backward step.
 */
export function forward(tf: TF, arch: Architecture, p: Params, x: T4, tape: Tape | null = null, stats: BatchStats[] = []): Outputs {
  const get = <R extends TFJS.Tensor = T4>(name: string) => {
    const t = p.get(name);
    if (!t) throw new Error(`the CNN parameters have no tensor "${name}"`);
    return t as R;
  };
  const bn = (h: T4, name: string, act: boolean): T4 => batchNorm(tf, tape, h, {
    gamma: get(`${name}.weight`), beta: get(`${name}.bias`), mean: get(`${name}.running_mean`), variance: get(`${name}.running_var`), eps: BN_EPS,
  }, name, act, stats);
  const pw = (h: T4, name: string) => pointwise(tf, tape, h, get(`${name}.weight`), `${name}.weight`);
  const dense = (v: T2, name: string) => {
    const w = get(`${name}.weight`);
    const w2 = w.rank === 4 ? tf.reshape(w, [w.shape[2]!, w.shape[3]!]) as T2 : w as unknown as T2;
    return linear(tf, tape, v, w2, get(`${name}.bias`), name, w.shape);
  };
  const body = (b: Block) => (h: T4): T4 => {
    let y = h;
    let n = 1;
    if (b.expand) y = bn(pw(y, `${b.name}.conv_pw`), `${b.name}.bn${n++}`, true);
    y = depthwise(tf, tape, y, get(`${b.name}.conv_dw.weight`), `${b.name}.conv_dw.weight`, b.stride);
    y = bn(y, `${b.name}.bn${n++}`, true);
    y = excite(tf, tape, y, (pooled) => dense(swish(tf, tape, dense(pooled, `${b.name}.se.conv_reduce`)) as T2, `${b.name}.se.conv_expand`));
    return bn(pw(y, `${b.name}.${b.expand ? 'conv_pwl' : 'conv_pw'}`), `${b.name}.bn${n}`, false);
  };
  let h = bn(conv(tf, tape, x, get('conv_stem.weight'), 'conv_stem.weight', 2, false), 'bn1', true);
  for (const b of arch.blocks) h = b.residual ? residual(tf, tape, h, body(b)) : body(b)(h);
  h = bn(pw(h, 'conv_head'), 'bn2', true);
  const embedding = dense(globalPool(tf, tape, h), 'embedding');
  const logit = tf.reshape(dense(embedding, 'head'), [-1]) as TFJS.Tensor1D;
  return { embedding, logit };
}
