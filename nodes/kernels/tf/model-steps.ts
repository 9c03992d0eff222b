// A training step and an inference pass of each model kind (CNN, LSTM, Swin) on random inputs of a
// given size, as the nodes run them (cnn/model.ts trainStepOnDevice/predict; for the sequence
// models seq/train.ts stepLoss over the whole batch in one pass; seq/predict.ts predictLogits), the
// loss left on the device and the step's work submitted at its end (tf/on-device.ts endDeviceStep),
// as train/fit.ts runs a step: what the WebGPU structural test counts and bench/train/gpu.ts times
// (reading the loss every N steps).
import type * as TFJS from '@tensorflow/tfjs';
import type { Rng } from '../../../engine/rng.js';
import { initialWeights, paramSpecs, architecture, PRESETS, type Backbone } from '../cnn/architecture.js';
import { createModel, disposeModel, predict, trainStepOnDevice as cnnTrainStep } from '../cnn/model.js';
import { initialEntries } from '../seq/init.js';
import { lstmNet, type LstmConfig } from '../seq/lstm-model.js';
import type { SeqNet } from '../seq/net.js';
import { predictLogits } from '../seq/predict.js';
import { swinNet, type SwinConfig } from '../seq/swin-model.js';
import { stepLoss } from '../seq/train.js';
import { adamState, flatAdamState } from '../train/adam.js';
import type { TF } from './backend.js';
import { endDeviceStep } from './on-device.js';

export interface ModelStep {
  name: string;
  tf: TF;
  /** Samples per step (the batch). */
  batch: number;
  /** One Adam step; resolves to the loss, still on the device (the caller reads and disposes it). */
  step(): Promise<TFJS.Scalar>;
  /** One inference pass over the batch (outputs read back). */
  infer(): Promise<void>;
  dispose(): void;
}

const OPT = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
type RngFor = (label: string) => Rng;
const random = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng());

/** The CNN of `backbone` (width and depth of its preset) at `resolution`² with a 224-unit embedding, as cnn-trainer trains it. */
export function cnnModelStep(tf: TF, rngFor: RngFor, backbone: Backbone, resolution: number, batch: number, embedding = 224): ModelStep {
  const cfg = { backbone, ...PRESETS[backbone], resolution, embedding, hu: [-1150, 350] as [number, number], fit: 'stretch' as const };
  const m = createModel(tf, cfg, initialWeights(paramSpecs(architecture(cfg)), rngFor('cnn-weights')));
  const state = flatAdamState();
  const x = random(rngFor('cnn-x'), batch * resolution ** 2);
  const y = Float32Array.from({ length: batch }, (_, i) => i % 2);
  return {
    name: `cnn ${backbone} ${resolution}²`, tf, batch,
    step: async () => {
      const loss = await cnnTrainStep(tf, m, OPT, state, x, y);
      endDeviceStep(tf);
      return loss;
    },
    infer: async () => { await predict(tf, m, x, batch); },
    dispose: () => {
      disposeModel(m);
      tf.dispose([state.m, state.v].filter((t): t is TFJS.Tensor1D => t !== null));
    },
  };
}

/** A sequence model (the lstm or swin node's network) over batches of [length, width] embeddings. */
function seqModelStep(tf: TF, rngFor: RngFor, name: string, net: SeqNet, length: number, width: number, batch: number): ModelStep {
  const params = new Map(initialEntries(net.specs, (l) => rngFor(`seq:${l}`)).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32') as TFJS.Tensor]));
  const rng = rngFor('seq-x');
  const inputs = { x: Float32Array.from({ length: batch * length * width }, () => 2 * rng() - 1), shape: [batch, length, width] as [number, number, number], lengths: Array(batch).fill(length) };
  const y = Float32Array.from({ length: batch }, (_, i) => i % 2);
  const adam = adamState();
  return {
    name, tf, batch,
    step: async () => {
      const loss = await stepLoss(tf, net, params, adam, OPT, inputs, y);
      endDeviceStep(tf);
      return typeof loss === 'number' ? tf.scalar(loss) : loss;
    },
    infer: async () => { await predictLogits(tf, net, params, inputs); },
    dispose: () => {
      tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
      net.dispose();
    },
  };
}

export const lstmModelStep = (tf: TF, rngFor: RngFor, c: LstmConfig, length: number, batch: number): ModelStep =>
  seqModelStep(tf, rngFor, `lstm ${c.layers}×bi-${c.hidden} over ${length}×${c.input}`, lstmNet(c, length), length, c.input, batch);

export const swinModelStep = (tf: TF, rngFor: RngFor, c: SwinConfig, batch: number): ModelStep =>
  seqModelStep(tf, rngFor, `swin C${c.dim} ${c.depths.join('-')} over ${c.height}×${c.width}`, swinNet(tf, c), c.height, c.width, batch);
