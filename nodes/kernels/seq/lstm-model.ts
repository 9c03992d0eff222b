// The two-step LSTM (paper §3.1): a stack of bidirectional LSTM layers over a sequence of slice
// embeddings, the final states of both directions concatenated, Linear → ReLU → Linear → logit.
// Parameters carry torch's names (nn.LSTM's weight_ih_l{k}[_reverse] …, fc1, fc2) in TensorFlow.js
// layouts (linear weights [in, out]), so a torch state_dict read by readSafetensors fits as is.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import type { ParamSpec } from './init.js';
import type { SeqNet } from './net.js';
import { onHost } from './host.js';
import { fusedRecurrence } from './lstm-kernel.js';

type T = TFJS.Tensor;

export interface LstmConfig {
  /** Embedding size of a slice. */
  input: number;
  /** Hidden units per direction. */
  hidden: number;
  /** Bidirectional layers. */
  layers: number;
  /** Units of the Linear layer before the output. */
  head: number;
}

const DIRS = ['', '_reverse'] as const;

export function lstmSpecs(c: LstmConfig): ParamSpec[] {
  const H = c.hidden;
  const u = (fanIn: number) => ({ uniform: 1 / Math.sqrt(fanIn) });
  const specs: ParamSpec[] = [];
  for (let k = 0; k < c.layers; k++) {
    for (const d of DIRS) {
      specs.push(
        { name: `lstm.weight_ih_l${k}${d}`, shape: [k === 0 ? c.input : 2 * H, 4 * H], init: u(H) },
        { name: `lstm.weight_hh_l${k}${d}`, shape: [H, 4 * H], init: u(H) },
        { name: `lstm.bias_ih_l${k}${d}`, shape: [4 * H], init: u(H) },
        { name: `lstm.bias_hh_l${k}${d}`, shape: [4 * H], init: u(H) },
      );
    }
  }
  specs.push(
    { name: 'fc1.weight', shape: [2 * H, c.head], init: u(2 * H) },
    { name: 'fc1.bias', shape: [c.head], init: u(2 * H) },
    { name: 'fc2.weight', shape: [c.head, 1], init: u(c.head) },
    { name: 'fc2.bias', shape: [1], init: u(c.head) },
  );
  return specs;
}

export type Recurrence = (tf: TF, p: T, bias: T, whhF: T, whhB: T, lengths: number[]) => TFJS.Tensor3D;

/** The recurrence as TensorFlow.js ops (every backend; autodiff): the reference for the fused kernels. */
export const opsRecurrence: Recurrence = (tf, p, bias, whhF, whhB, lengths) => {
  const [B, T] = p.shape;
  const H = whhF.shape[0];
  const steps = tf.unstack(tf.add(p, bias), 1);
  const live = Array.from({ length: T }, (_, t) => tf.tensor2d(lengths.map((n) => (t < n ? 1 : 0)), [B, 1]));
  const out = [whhF, whhB].map((whh, dir) => {
    let h: T = tf.zeros([B, H]);
    let c: T = tf.zeros([B, H]);
    const hs: T[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const t = dir === 0 ? s : T - 1 - s;
      const z = tf.add(tf.slice(steps[t], [0, dir * 4 * H], [B, 4 * H]), tf.matMul(h, whh));
      const [i, f, g, o] = tf.split(z, 4, 1);
      const cn = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      const hn = tf.mul(tf.sigmoid(o), tf.tanh(cn));
      const m = live[t];
      c = tf.add(tf.mul(m, cn), tf.mul(tf.sub(1, m), c));
      h = tf.add(tf.mul(m, hn), tf.mul(tf.sub(1, m), h));
      hs[t] = h;
    }
    return tf.stack(hs, 1);
  });
  return tf.concat(out, 2) as TFJS.Tensor3D;
};

/** The fused kernels where the backend has them (host backends; webgpu: nodes/kernels/webgpu/lstm.ts), else the ops. */
export const recurrence: Recurrence = (tf, ...args) => (onHost(tf) || tf.getBackend() === 'webgpu' ? fusedRecurrence : opsRecurrence)(tf, ...args);

/**
 * Hidden states [B, T, 2H] of the last layer and the final states [B, 2H] (forward at the last
 * real step, backward at the first) for x [B, T, input], rows past lengths[b] being padding.
 */
export function lstmStack(tf: TF, c: LstmConfig, params: Map<string, T>, x: T, lengths: number[], rec: Recurrence = recurrence): { states: TFJS.Tensor3D; final: TFJS.Tensor2D } {
  const [B, T] = x.shape;
  const H = c.hidden;
  let h = x;
  for (let k = 0; k < c.layers; k++) {
    const [f, b] = DIRS.map((d) => (n: string) => params.get(`lstm.${n}_l${k}${d}`)!);
    const wih = tf.concat([f('weight_ih'), b('weight_ih')], 1);
    const bias = tf.concat([tf.add(f('bias_ih'), f('bias_hh')), tf.add(b('bias_ih'), b('bias_hh'))]);
    const p = tf.reshape(tf.matMul(tf.reshape(h, [B * T, h.shape[2]!]), wih), [B, T, 8 * H]);
    h = rec(tf, p, bias, f('weight_hh'), b('weight_hh'), lengths);
  }
  const final = tf.concat([tf.slice(h, [0, T - 1, 0], [B, 1, H]), tf.slice(h, [0, 0, H], [B, 1, H])], 2).reshape([B, 2 * H]) as TFJS.Tensor2D;
  return { states: h as TFJS.Tensor3D, final };
}

/** Logits [B] of the whole model. */
export function lstmLogits(tf: TF, c: LstmConfig, params: Map<string, T>, x: T, lengths: number[]): TFJS.Tensor1D {
  const { final } = lstmStack(tf, c, params, x, lengths);
  const hidden = tf.relu(tf.add(tf.matMul(final, params.get('fc1.weight')!), params.get('fc1.bias')!));
  return tf.reshape(tf.add(tf.matMul(hidden, params.get('fc2.weight')!), params.get('fc2.bias')!), [x.shape[0]]);
}

/** The LSTM for the training loop: training draws of at most `length` slices (padded and masked). */
export function lstmNet(c: LstmConfig, length: number): SeqNet {
  return {
    kind: 'lstm', length, fixed: false, specs: lstmSpecs(c), config: { ...c, length },
    logits: (tf, params, x, lengths) => lstmLogits(tf, c, params, x, lengths),
    dispose: () => {},
  };
}
