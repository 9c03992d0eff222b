// The EfficientNet forward pass (MBConv blocks with squeeze-excitation, swish activations) on
// TensorFlow.js, over parameters held as a name → tensor map (names and layouts: architecture.ts).
// With a Tape it trains (BatchNorm on batch statistics, backward steps recorded); without, it infers.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { BN_EPS, type Architecture, type Block } from './architecture.js';
import { batchNorm, conv, depthwise, excite, globalPool, linear, pointwise, residual, swish, type BatchStats, type Handoff, type Source } from './ops.js';
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
  // Layers and blocks run in tidies: their temporaries go as soon as they return (what a backward
  // step needs is kept by the tape), so a training pass holds the saved activations and little else.
  const bn = (h: T4, name: string, act: boolean, next?: Handoff): T4 => tf.tidy(() => batchNorm(tf, tape, h, {
    gamma: get(`${name}.weight`), beta: get(`${name}.bias`), mean: get(`${name}.running_mean`), variance: get(`${name}.running_var`), eps: BN_EPS,
  }, name, act, stats, next));
  const pw = (h: T4, name: string, input?: Source) => pointwise(tf, tape, h, get(`${name}.weight`), `${name}.weight`, input);
  const dense = (v: T2, name: string) => tf.tidy(() => linear(tf, tape, v, get(`${name}.weight`), get(`${name}.bias`), name));
  // The stem's or the expansion's output reaches the depthwise convolution as a Source (recomputed
  // in backward, not kept), and so do the depthwise BatchNorm's output the gate and the gated
  // result the projection: a block keeps its BatchNorm inputs, not five block-wide tensors.
  // Intermediate activations are disposed as soon as the next layer has them (unless a backward
  // step holds them): a block's peak is then two of them, not all six.
  const then = (t: T4, f: (t: T4) => T4): T4 => {
    const out = f(t);
    if (!tape?.holds(t)) t.dispose();
    return out;
  };
  const body = (b: Block, input?: Source) => (h: T4): T4 => {
    const expanded: Handoff = {}, activated: Handoff = {}, gated: Handoff = {};
    let n = 1;
    let y = b.expand ? then(pw(h, `${b.name}.conv_pw`), (t) => bn(t, `${b.name}.bn${n++}`, true, expanded)) : h;
    const dw = (t: T4) => depthwise(tf, tape, t, get(`${b.name}.conv_dw.weight`), `${b.name}.conv_dw.weight`, b.stride, b.expand ? expanded.output : input);
    y = b.expand ? then(y, dw) : dw(y);
    y = then(y, (t) => bn(t, `${b.name}.bn${n++}`, true, activated));
    y = then(y, (t) => excite(tf, tape, t, (pooled) => dense(swish(tf, tape, dense(pooled, `${b.name}.se.conv_reduce`)) as T2, `${b.name}.se.conv_expand`), activated.output, gated));
    y = then(y, (t) => pw(t, `${b.name}.${b.expand ? 'conv_pwl' : 'conv_pw'}`, gated.output));
    return then(y, (t) => bn(t, `${b.name}.bn${n}`, false));
  };
  const stem: Handoff = {};
  let h = tf.tidy(() => bn(conv(tf, tape, tape ? tf.clone(x) : x, get('conv_stem.weight'), 'conv_stem.weight', 2, false), 'bn1', true, stem));
  for (const [i, b] of arch.blocks.entries()) {
    // The first block's depthwise convolution reads the stem's activation.
    const f = body(b, i === 0 && !b.expand ? stem.output : undefined);
    h = tf.tidy(() => (b.residual ? residual(tf, tape, h, f) : f(h)));
  }
  h = tf.tidy(() => bn(pw(h, 'conv_head'), 'bn2', true));
  const embedding = dense(globalPool(tf, tape, h), 'embedding');
  const logit = tf.reshape(dense(embedding, 'head'), [-1]) as TFJS.Tensor1D;
  return { embedding, logit };
}
