// The CNN as the training loop (train/fit.ts) trains it: an epoch's batches sampled from training
// scans' windows (`scansPerBatch` scans a batch, drawn by the epoch's generator, their slices
// drawn from the same generator), the flat Adam state, and validation after each epoch (scan =
// mean probability of `batch` slices sampled from its window by its own generator, threshold 0.5,
// macro-F1 over scans; slice accuracy and loss). Epochs, early stopping, checkpoints: fit.ts.
import type * as TFJS from '@tensorflow/tfjs';
import type { Rng } from '../../../engine/rng.js';
import { binaryMetrics } from '../eval/binary-metrics.js';
import { drawPositions } from '../eval/draws.js';
import type { TF } from '../tf/backend.js';
import { flatAdamEntries, flatAdamState, restoreFlatAdam, type AdamOptions } from '../train/adam.js';
import { fit, type FitHooks, type FitResult, type Validation } from '../train/fit.js';
import { predict, type Model } from './model.js';
import { passesStep } from './passes.js';
import { batchPositions, epochBatches, shares, type ScanMeta, type SliceSource } from './sampling.js';
import type { TrainReplicas } from './train-replicas.js';

export interface TrainOptions {
  /** Slices per training batch (and per validation scan). */
  batch: number;
  /** Training scans each batch's slices come from (the paper: 1). */
  scansPerBatch: number;
  epochs: number;
  /** Stop after this many epochs without a better validation F1 (ties: lower validation loss). */
  patience: number;
  /** Batches per epoch; null: enough for every training scan once. */
  stepsPerEpoch: number | null;
  adam: AdamOptions;
  /** Slices per forward/backward pass (passes.ts); null: the whole batch. */
  microbatch?: number | null;
}

export interface TrainData { source: SliceSource; train: ScanMeta[]; validation: ScanMeta[] }

export interface TrainHooks extends FitHooks {
  rngFor: (label: string) => Rng;
  /** Worker-thread replicas that take passes of each step (passes.ts). */
  replicas?: TrainReplicas;
}

/** Validation loss, macro-F1 over scans and slice accuracy, each scan's slices drawn by its own seeded generator. */
async function validate(tf: TF, m: Model, data: TrainData, batch: number, rngFor: (label: string) => Rng): Promise<Validation> {
  let loss = 0, correct = 0, slices = 0;
  const scans: { label: number; prob: number }[] = [];
  for (const scan of data.validation) {
    const positions = drawPositions(rngFor(`validation:${scan.scanId}`), scan.start, scan.end, batch);
    const { prob } = await predict(tf, m, await data.source.images(scan, positions), positions.length);
    const y = scan.label!;
    for (const p of prob) {
      const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
      loss -= y ? Math.log(q) : Math.log(1 - q);
      correct += Number((p >= 0.5) === (y === 1));
    }
    slices += prob.length;
    scans.push({ label: y, prob: prob.reduce((a, b) => a + b, 0) / prob.length });
  }
  return { loss: loss / slices, f1: binaryMetrics(scans).macro_f1, accuracy: correct / slices };
}

export async function train(tf: TF, m: Model, data: TrainData, o: TrainOptions, h: TrainHooks): Promise<FitResult> {
  const adam = flatAdamState();
  const perBatch = Math.min(o.scansPerBatch, o.batch);
  const steps = o.stepsPerEpoch ?? Math.ceil(data.train.length / perBatch);
  const share = shares(o.batch, perBatch);
  const pixels = m.cfg.resolution ** 2;
  try {
    return await fit(tf, {
      params: m.params,
      optimizer: { step: () => adam.step, entries: () => flatAdamEntries(adam), restore: (entries, step) => restoreFlatAdam(tf, adam, m.params, entries, step) },
      *steps(epoch) {
        const rng = h.rngFor(`epoch:${epoch}`);
        for (const group of epochBatches(rng, data.train, steps, perBatch)) {
          yield async () => {
            const x = new Float32Array(o.batch * pixels);
            const y = new Float32Array(o.batch);
            let at = 0;
            for (const [i, scan] of group.entries()) {
              x.set(await data.source.images(scan, batchPositions(rng, scan.start, scan.end, share[i])), at * pixels);
              y.fill(scan.label!, at, at + share[i]);
              at += share[i];
            }
            // one pass leaves its loss a tensor: fit reads it (every step on wasm/cpu, every few on webgpu)
            return { loss: await passesStep(tf, m, o.adam, adam, x, y, o.microbatch ?? o.batch, h.replicas), weight: 1 };
          };
        }
      },
      validate: data.validation.length ? () => validate(tf, m, data, o.batch, h.rngFor) : null,
    }, o, h);
  } finally {
    tf.dispose([adam.m, adam.v].filter((t): t is TFJS.Tensor1D => t !== null));
  }
}
