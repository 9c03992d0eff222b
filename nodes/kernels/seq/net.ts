// The contract of a sequence model (lstm-model.ts, swin-model.ts) with the code that trains it
// (train.ts) and predicts with it (predict.ts, the sequence-predictor node). Model files implement
// it and import nothing of their callers; the callers know a model only through it.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import type { ParamSpec } from './init.js';
import type { SeqMode } from './sampling.js';

/** A sequence model as training and prediction need it. */
export interface SeqNet {
  /** 'lstm' | 'swin': the training draws' rule and the model table's config row. */
  kind: SeqMode;
  /** Slices per training draw. */
  length: number;
  /** Whether every draw must have exactly `length` slices (the Swin image) rather than at most (the LSTM pads and masks). */
  fixed: boolean;
  specs: ParamSpec[];
  /** Everything that fixes the network's shape (stored in the model table). */
  config: object;
  /** Logits [B] of x [B, T, E], rows past lengths[b] being padding (call inside tf.tidy). */
  logits(tf: TF, params: Map<string, TFJS.Tensor>, x: TFJS.Tensor, lengths: number[]): TFJS.Tensor1D;
  dispose(): void;
}
