// The one training loop of the model nodes (cnn-trainer, lstm, swin): epochs of the trainee's
// steps, validation after each epoch, early stopping on validation macro-F1 (ties: lower
// validation loss) after `patience` epochs without a better one, the best epoch's parameters as the
// result (the last epoch's without validation data), epoch records, a progress line per epoch and
// a checkpoint per epoch that a rerun resumes from (checkpoint.ts).
// Rules: the loop knows no model and no data: batches, steps and validation come from the trainee
// (cnn/train.ts, seq/train.ts). It never disposes what it is given; it reads the parameters and the
// optimizer's moments, and replaces them only when it resumes from a checkpoint. A resumed training
// gives the same bytes as an uninterrupted one: nothing but the checkpoint carries state between
// epochs (every random draw comes from a generator seeded by its epoch).
// On a backend that keeps tensors on a device (WebGPU) nothing in a step waits for it: a step may
// leave its loss there (a scalar tensor), read with the next ones every `readLossEvery` steps
// (epoch-loss.ts), and each step's queued work is submitted at its end (webgpu/pool.ts endStep).
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { endDeviceStep, keepsOnDevice } from '../tf/on-device.js';
import { tensorEntries, type WeightEntry } from '../tf/weights.js';
import { isAdamEntry } from './adam.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { EpochLoss, type StepResult } from './epoch-loss.js';
import type { EpochRecord } from './history.js';

export type { StepResult };

/** Validation after an epoch: mean loss, macro-F1 over scans, accuracy. */
export interface Validation { loss: number; f1: number; accuracy: number }

/** What the loop trains. */
export interface Trainee {
  /** The parameters, name → tensor, in a fixed order; steps replace tensors in this map. */
  params: Map<string, TFJS.Tensor>;
  /** The optimizer's state as checkpoints keep it (Adam: adam.ts). */
  optimizer: {
    /** Steps taken so far. */
    step(): number;
    entries(): Promise<WeightEntry[]>;
    /** Take back the state `entries` (a whole checkpoint's state table) hold after `step` steps. */
    restore(entries: WeightEntry[], step: number): void;
  };
  /**
   * Epoch `epoch`'s steps in order, each one batch; the loop runs a step before it asks for the
   * next, so a step may draw from the generator its batches come from.
   */
  steps(epoch: number): Iterable<() => Promise<StepResult>>;
  /** Validation after each epoch; null: no validation data (no early stopping, the last epoch is the result). */
  validate: (() => Promise<Validation>) | null;
}

export interface FitOptions {
  epochs: number;
  /** Stop after this many epochs without a better validation F1 (ties: lower validation loss). */
  patience: number;
}

export interface FitHooks {
  /** Directory for per-epoch checkpoints, and what they must have been made for (config, optimizer, data); null: none. */
  checkpoints: { dir: string; fingerprint: string } | null;
  signal: AbortSignal;
  progress: (epoch: number, epochs: number, info: string) => void;
  log: (message: string) => void;
  /** Called after each epoch's checkpoint and progress line (tests count live tensors here). */
  afterEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Steps per readback of the losses steps leave on the device; default READ_LOSS_EVERY where the backend keeps tensors on a device, else 1. */
  readLossEvery?: number;
}

/** Steps per loss readback on a device backend (WebGPU): the one wait for the GPU in that many steps. */
export const READ_LOSS_EVERY = 16;

export interface FitResult {
  /** Every epoch, the resumed ones included (historyBatch in history.ts makes the History table). */
  history: EpochRecord[];
  /** Parameters of the best epoch. */
  best: WeightEntry[];
  bestEpoch: number;
  /** Epochs restored from a checkpoint (0: none). */
  resumed: number;
  stoppedEarly: boolean;
}

const better = (a: Validation, b: EpochRecord | undefined) => !b || a.f1 > b.val_f1! || (a.f1 === b.val_f1 && a.loss < b.val_loss!);

/** Put a checkpoint's state back: the parameters into `t.params`, the rest to the optimizer. */
function restore(tf: TF, t: Trainee, state: WeightEntry[], step: number, dir: string): void {
  for (const e of state) {
    if (isAdamEntry(e.name)) continue;
    const old = t.params.get(e.name);
    if (!old) throw new Error(`checkpoint tensor "${e.name}" is not in the model; delete ${dir} and rerun`);
    old.dispose();
    t.params.set(e.name, tf.tensor(e.data, e.shape, 'float32'));
  }
  t.optimizer.restore(state, step);
}

/**
 * Train `t` for at most `o.epochs` epochs, first resuming from `h.checkpoints` when they hold a
 * checkpoint for the same fingerprint; the trainee's tensors are left as the last epoch made them.
 */
export async function fit(tf: TF, t: Trainee, o: FitOptions, h: FitHooks): Promise<FitResult> {
  let history: EpochRecord[] = [];
  let best: WeightEntry[] = [];
  let bestEpoch = 0, since = 0;
  let saved: CheckpointMeta | null = null;
  const ckpt = h.checkpoints && (await loadCheckpoint(h.checkpoints.dir, h.checkpoints.fingerprint, h.log));
  if (ckpt) {
    restore(tf, t, ckpt.state, ckpt.meta.adamStep, h.checkpoints!.dir);
    ({ history, bestEpoch, since } = ckpt.meta);
    best = ckpt.best;
    saved = ckpt.meta;
    h.log(`resuming after epoch ${history.length} from ${h.checkpoints!.dir}`);
  }
  const resumed = history.length;
  const every = h.readLossEvery ?? (keepsOnDevice(tf) ? READ_LOSS_EVERY : 1);
  for (let epoch = history.length + 1; epoch <= o.epochs && !(t.validate && since >= o.patience); epoch++) {
    const t0 = performance.now();
    const losses = new EpochLoss(tf, every);
    let trainLoss: number;
    try {
      for (const step of t.steps(epoch)) {
        if (h.signal.aborted) throw h.signal.reason ?? new Error('training aborted');
        const r = await step();
        endDeviceStep(tf);
        await losses.add(r);
      }
      trainLoss = await losses.mean();
    } finally {
      losses.dispose();
    }
    const val = t.validate && (await t.validate());
    const record: EpochRecord = {
      epoch, train_loss: trainLoss, val_loss: val?.loss ?? null, val_f1: val?.f1 ?? null, val_accuracy: val?.accuracy ?? null,
      seconds: (performance.now() - t0) / 1000,
    };
    const improved = !val || better(val, history[bestEpoch - 1]);
    history.push(record);
    if (improved) [best, bestEpoch, since] = [await tensorEntries(t.params), epoch, 0];
    else since++;
    if (h.checkpoints) {
      saved = await saveCheckpoint(h.checkpoints.dir, { fingerprint: h.checkpoints.fingerprint, epoch, history, bestEpoch, since, adamStep: t.optimizer.step() },
        [...(await tensorEntries(t.params)), ...(await t.optimizer.entries())], improved ? best : null, saved);
    }
    const info = `loss ${record.train_loss.toFixed(4)}${val ? ` val loss ${val.loss.toFixed(4)} val F1 ${val.f1.toFixed(3)} val acc ${val.accuracy.toFixed(3)}` : ''}`;
    h.progress(epoch, o.epochs, info);
    h.log(`epoch ${epoch}/${o.epochs}: ${info} (${record.seconds.toFixed(1)} s)`);
    await h.afterEpoch?.(record);
  }
  return { history, best, bestEpoch, resumed, stoppedEarly: history.length < o.epochs };
}
