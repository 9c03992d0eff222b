// The CNN as parameters in TensorFlow.js tensors: a training step (binary cross-entropy, Adam,
// BatchNorm running averages as torch keeps them) and inference (embeddings and probabilities).
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import type { WeightEntry } from '../tf/weights.js';
import { flatAdamUpdate, type AdamOptions, type FlatAdamState } from '../train/adam.js';
import { architecture, BN_MOMENTUM, paramSpecs, type Architecture, type CnnConfig, type ParamSpec } from './architecture.js';
import { forward } from './efficientnet.js';
import type { BatchStats } from './ops.js';
import { Tape } from './tape.js';

export interface Model {
  cfg: CnnConfig;
  arch: Architecture;
  specs: ParamSpec[];
  /** name → tensor, in spec order; replaced (old one disposed) on every update. */
  params: Map<string, TFJS.Tensor>;
}

/** The network of `cfg` with the tensors of `entries` (`source` names them in errors). */
export function createModel(tf: TF, cfg: CnnConfig, entries: WeightEntry[], source = 'CNN weights'): Model {
  const arch = architecture(cfg);
  const specs = paramSpecs(arch);
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const s of specs) {
    const e = byName.get(s.name);
    if (!e || e.shape.join() !== s.shape.join()) {
      throw new Error(`${source}: tensor "${s.name}" is ${e ? `[${e.shape}]` : 'missing'} but the ${cfg.backbone} network of its config needs [${s.shape}]; connect a model written by cnn-trainer (or retrain it)`);
    }
  }
  const params = new Map(specs.map((s) => [s.name, tf.tensor(byName.get(s.name)!.data, s.shape, 'float32')]));
  return { cfg, arch, specs, params };
}

export function disposeModel(m: Model): void {
  for (const t of m.params.values()) t.dispose();
  m.params.clear();
}

/** Slices [N, R, R] in [0, 1] as the network's input. */
const input = (tf: TF, x: Float32Array, n: number, r: number) => tf.tensor4d(x, [n, r, r, 1]);

/**
 * One optimisation step on `n` images `x` (n·R·R floats) with labels `y`: forward in training mode,
 * mean binary cross-entropy of the sigmoid outputs, backward, Adam, running statistics. Returns the loss.
 */
export async function trainStep(tf: TF, m: Model, opt: AdamOptions, state: FlatAdamState, x: Float32Array, y: Float32Array): Promise<number> {
  const loss = await trainStepOnDevice(tf, m, opt, state, x, y);
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}

/** trainStep leaving the loss where the backend keeps it (on WebGPU nothing waits for the GPU); the caller disposes it. */
export async function trainStepOnDevice(tf: TF, m: Model, opt: AdamOptions, state: FlatAdamState, x: Float32Array, y: Float32Array): Promise<TFJS.Scalar> {
  const pass = passGrads(tf, m, x, y, y.length);
  try {
    await flatAdamUpdate(tf, opt, state, m.params, pass.grads);
    updateRunningStats(tf, m, pass.stats);
    return pass.loss;
  } catch (e) {
    pass.loss.dispose();
    throw e;
  } finally {
    disposePass(tf, { ...pass, loss: null });
  }
}

/** A forward and backward pass in training mode: its loss, the parameters' gradients and the BatchNorm layers' batch statistics. */
export interface Pass { loss: TFJS.Scalar; grads: Map<string, TFJS.Tensor>; stats: BatchStats[] }

/**
 * The pass over `n` images `x` (n·R·R floats) with labels `y` that are part of a batch of `batch`:
 * BatchNorm on these images' statistics, the mean binary cross-entropy of the sigmoid outputs scaled
 * by the part's share n / batch (so that the passes' gradients sum to the batch's), backward. The
 * caller disposes what it returns (disposePass).
 */
export function passGrads(tf: TF, m: Model, x: Float32Array, y: Float32Array, batch: number): Pass {
  const n = y.length;
  const tape = new Tape(tf);
  const stats: BatchStats[] = [];
  try {
    const [loss, dLogit] = tf.tidy(() => {
      const labels = tf.tensor1d(y);
      const { logit } = forward(tf, m.arch, m.params, input(tf, x, n, m.cfg.resolution), tape, stats);
      // BCE from logits: max(z, 0) − z·y + log(1 + e^−|z|); its gradient is (σ(z) − y)/n
      const l = tf.mean(tf.add(tf.sub(tf.relu(logit), tf.mul(logit, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logit))))));
      return [(n === batch ? l : tf.mul(l, n / batch)) as TFJS.Scalar, tf.reshape(tf.div(tf.sub(tf.sigmoid(logit), labels), batch), [n, 1])];
    });
    tape.backward(dLogit);
    const grads = new Map(tape.grads);
    tape.grads.clear();
    return { loss, grads, stats };
  } catch (e) {
    for (const s of stats) tf.dispose([s.mean, s.variance]);
    throw e;
  } finally {
    tape.dispose();
  }
}

export function disposePass(tf: TF, p: { loss: TFJS.Scalar | null; grads: Map<string, TFJS.Tensor>; stats: BatchStats[] }): void {
  tf.dispose([...(p.loss ? [p.loss] : []), ...p.grads.values(), ...p.stats.flatMap((s) => [s.mean, s.variance])]);
}

/** torch BatchNorm: running ← (1 − momentum)·running + momentum·batch, with the unbiased batch variance. */
export function updateRunningStats(tf: TF, m: Model, stats: BatchStats[]): void {
  for (const { name, mean, variance, count } of stats) {
    for (const [key, batch, factor] of [['running_mean', mean, 1], ['running_var', variance, count / Math.max(1, count - 1)]] as const) {
      const old = m.params.get(`${name}.${key}`)!;
      m.params.set(`${name}.${key}`, tf.tidy(() => tf.add(tf.mul(old, 1 - BN_MOMENTUM), tf.mul(batch, BN_MOMENTUM * factor))));
      old.dispose();
    }
  }
}

/** Embeddings [n × embedding] and slice probabilities of `n` images, BatchNorm in inference mode. */
export async function predict(tf: TF, m: Model, x: Float32Array, n: number): Promise<{ embedding: Float32Array; prob: Float32Array }> {
  const [e, p] = tf.tidy(() => {
    const { embedding, logit } = forward(tf, m.arch, m.params, input(tf, x, n, m.cfg.resolution));
    return [embedding, tf.sigmoid(logit)];
  });
  const out = { embedding: (await e.data()) as Float32Array, prob: (await p.data()) as Float32Array };
  tf.dispose([e, p]);
  return out;
}
