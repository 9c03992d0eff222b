// The training loop: epochs of batches sampled from training scans' windows, validation after each
// epoch (scan = mean probability of `batch` slices sampled from its window, threshold 0.5,
// macro-F1 over scans; slice accuracy and loss), early stopping on validation F1, the best epoch's
// weights as the result, and a checkpoint per epoch that a rerun resumes from.
import type * as TFJS from '@tensorflow/tfjs';
import type { Rng } from '../../../engine/rng.js';
import { binaryMetrics } from '../eval/binary-metrics.js';
import { drawPositions } from '../eval/draws.js';
import type { TF } from '../tf/backend.js';
import type { WeightEntry } from '../tf/weights.js';
import { flatAdamEntries, flatAdamState, restoreFlatAdam, type AdamOptions, type FlatAdamState } from './adam.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta, type EpochRecord } from './checkpoint.js';
import { modelEntries, predict, trainStep, type Model } from './model.js';
import { batchPositions, epochBatches, shares, type ScanMeta, type SliceSource } from './sampling.js';

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
}

export interface TrainData { source: SliceSource; train: ScanMeta[]; validation: ScanMeta[] }

export interface TrainHooks {
  rngFor: (label: string) => Rng;
  /** Directory for per-epoch checkpoints, and what they must have been made for. */
  checkpoints: { dir: string; fingerprint: string } | null;
  signal: AbortSignal;
  progress: (epoch: number, epochs: number, info: string) => void;
  log: (message: string) => void;
  /** Called after each epoch's checkpoint (tests count live tensors here). */
  afterEpoch?: (record: EpochRecord) => void | Promise<void>;
}

export interface TrainResult {
  history: (EpochRecord & { best: boolean })[];
  /** Parameters of the best epoch (the last one without validation scans). */
  best: WeightEntry[];
  bestEpoch: number;
  /** Epochs restored from a checkpoint (0: none). */
  resumed: number;
  stoppedEarly: boolean;
}

interface Validation { loss: number; f1: number; accuracy: number }

/** Validation loss, macro-F1 over scans and slice accuracy, each scan's slices drawn by its own seeded generator. */
export async function validate(tf: TF, m: Model, data: TrainData, batch: number, rngFor: (label: string) => Rng): Promise<Validation> {
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

const better = (a: Validation, b: EpochRecord) => a.f1 > b.val_f1! || (a.f1 === b.val_f1 && a.loss < b.val_loss!);

function restore(tf: TF, m: Model, s: FlatAdamState, entries: WeightEntry[], step: number): void {
  for (const e of entries) {
    if (e.name.startsWith('adam.')) continue;
    if (!m.params.has(e.name)) throw new Error(`checkpoint tensor "${e.name}" is not in the model`);
    m.params.get(e.name)!.dispose();
    m.params.set(e.name, tf.tensor(e.data, e.shape, 'float32'));
  }
  restoreFlatAdam(tf, s, m.params, entries, step);
}

export async function train(tf: TF, m: Model, data: TrainData, o: TrainOptions, h: TrainHooks): Promise<TrainResult> {
  const adam = flatAdamState();
  let history: EpochRecord[] = [];
  let best: WeightEntry[] = [];
  let bestEpoch = 0, since = 0;
  let saved: CheckpointMeta | null = null;
  const ckpt = h.checkpoints && (await loadCheckpoint(h.checkpoints.dir, h.checkpoints.fingerprint, h.log));
  try {
    if (ckpt) {
      restore(tf, m, adam, ckpt.state, ckpt.meta.adamStep);
      ({ history, bestEpoch, since } = ckpt.meta);
      best = ckpt.best;
      saved = ckpt.meta;
      h.log(`resuming after epoch ${history.length} from ${h.checkpoints!.dir}`);
    }
    const resumed = history.length;
    const perBatch = Math.min(o.scansPerBatch, o.batch);
    const steps = o.stepsPerEpoch ?? Math.ceil(data.train.length / perBatch);
    const share = shares(o.batch, perBatch);
    const validating = data.validation.length > 0;
    for (let epoch = history.length + 1; epoch <= o.epochs && !(validating && since >= o.patience); epoch++) {
      const t0 = performance.now();
      const rng = h.rngFor(`epoch:${epoch}`);
      let loss = 0;
      for (const group of epochBatches(rng, data.train, steps, perBatch)) {
        if (h.signal.aborted) throw h.signal.reason ?? new Error('training aborted');
        const x = new Float32Array(o.batch * m.cfg.resolution ** 2);
        const y = new Float32Array(o.batch);
        let at = 0;
        for (const [i, scan] of group.entries()) {
          x.set(await data.source.images(scan, batchPositions(rng, scan.start, scan.end, share[i])), at * m.cfg.resolution ** 2);
          y.fill(scan.label!, at, at + share[i]);
          at += share[i];
        }
        loss += await trainStep(tf, m, o.adam, adam, x, y);
      }
      const val = validating ? await validate(tf, m, data, o.batch, h.rngFor) : null;
      const record: EpochRecord = {
        epoch, train_loss: loss / steps, val_loss: val?.loss ?? null, val_f1: val?.f1 ?? null, val_accuracy: val?.accuracy ?? null,
        seconds: (performance.now() - t0) / 1000,
      };
      const improved = !val || bestEpoch === 0 || better(val, history[bestEpoch - 1]);
      history.push(record);
      if (improved) {
        best = await modelEntries(m);
        bestEpoch = epoch;
        since = 0;
      } else {
        since++;
      }
      if (h.checkpoints) {
        saved = await saveCheckpoint(h.checkpoints.dir, { fingerprint: h.checkpoints.fingerprint, epoch, history, bestEpoch, since, adamStep: adam.step },
          [...(await modelEntries(m)), ...(await flatAdamEntries(adam))], improved ? best : null, saved);
      }
      const info = `loss ${record.train_loss.toFixed(4)}${val ? ` val loss ${val.loss.toFixed(4)} val F1 ${val.f1.toFixed(3)} val acc ${val.accuracy.toFixed(3)}` : ''}`;
      h.progress(epoch, o.epochs, info);
      h.log(`epoch ${epoch}/${o.epochs}: ${info} (${record.seconds.toFixed(1)} s)`);
      await h.afterEpoch?.(record);
    }
    return {
      history: history.map((r) => ({ ...r, best: r.epoch === bestEpoch })),
      best, bestEpoch, resumed, stoppedEarly: history.length < o.epochs,
    };
  } finally {
    tf.dispose([adam.m, adam.v].filter((t): t is TFJS.Tensor1D => t !== null));
  }
}
