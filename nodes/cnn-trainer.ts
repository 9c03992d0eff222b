// Barrier: trains the paper's 2D CNN (section 3.1): an EfficientNet backbone, a fully connected
// embedding layer and a sigmoid head, on batches of slices sampled from each training scan's
// lung-area window; binary cross-entropy, Adam with coupled weight decay; early stopping on
// validation macro-F1; the best epoch's weights as the output. See docs/cnn.md.
import { createHash } from 'node:crypto';
import { defineNode } from '../engine/types.js';
import { BACKBONES, PRESETS, architecture, initialWeights, paramSpecs, type Backbone, type CnnConfig } from './kernels/cnn/architecture.js';
import { modelBatch } from './kernels/cnn/model-table.js';
import { History, Slices, Weights, Windows } from './tables.js';

export interface CnnTrainerParams {
  backbone: Backbone;
  /** Overrides of the backbone's width multiplier, depth multiplier and input resolution (null: the preset's). */
  width: number | null;
  depth: number | null;
  resolution: number | null;
  embedding: number;
  hu: [number, number];
  fit: 'stretch' | 'pad';
  batch: number;
  scansPerBatch: number;
  epochs: number;
  patience: number;
  stepsPerEpoch: number | null;
  /** Slices per forward/backward pass, each with its own BatchNorm statistics (null: the whole batch). */
  microbatch?: number | null;
  lr: number;
  weightDecay: number;
  /** A timm EfficientNet state dict saved as safetensors, or null to start from seeded random weights. */
  warmStart: string | null;
}

/** The network and input config the params describe. */
export function cnnConfig(p: CnnTrainerParams): CnnConfig {
  const preset = PRESETS[p.backbone];
  return {
    backbone: p.backbone, width: p.width ?? preset.width, depth: p.depth ?? preset.depth, resolution: p.resolution ?? preset.resolution,
    embedding: p.embedding, hu: p.hu, fit: p.fit,
  };
}

/** Forward/backward passes per training step. */
const passesOf = (p: CnnTrainerParams) => Math.ceil(p.batch / Math.min(p.microbatch ?? p.batch, p.batch));

export default defineNode<CnnTrainerParams>(import.meta.url, {
  kind: 'cnn-trainer',
  version: 1,
  description: 'Train the 2D CNN (EfficientNet + embedding + sigmoid head) on slices sampled from each scan\'s window; early stopping on validation macro-F1; outputs the best epoch\'s weights and the history.',
  mode: 'barrier',
  heavy: true,
  // one thread per pass of a step: a whole-batch step (microbatch null) holds one core of the budget
  threads: (p) => passesOf(p),
  random: true,
  // unset, microbatch is absent from the params: graphs written before it keep their keys and seeds (same bytes, same entries)
  unsetByDefault: ['microbatch'],
  params: {
    backbone: { type: 'string', enum: [...BACKBONES], default: 'b3', description: "EfficientNet b0–b3 (the paper: timm's b3a) or 'small' (b0 at width 0.5, depth 0.5, 128²: a CPU preset)" },
    width: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 4, default: null, description: 'width multiplier (null: the backbone\'s)' },
    depth: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 4, default: null, description: 'depth multiplier (null: the backbone\'s)' },
    resolution: { type: ['integer', 'null'], minimum: 32, maximum: 1024, default: null, description: 'input side in pixels (null: the backbone\'s: 224, 240, 260, 300, small 128)' },
    embedding: { type: 'integer', minimum: 1, maximum: 4096, default: 224, description: 'units of the embedding layer' },
    hu: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, default: [-1150, 350], description: 'HU window [low, high] mapped to [0, 1]' },
    fit: { type: 'string', enum: ['stretch', 'pad'], default: 'stretch', description: "'stretch' the cropped slice to a square, or 'pad' it to one with air first" },
    batch: { type: 'integer', minimum: 2, maximum: 1024, default: 16, description: 'slices per batch, sampled from training scans\' windows; also slices per validation scan' },
    scansPerBatch: { type: 'integer', minimum: 1, maximum: 1024, default: 1, description: 'training scans a batch\'s slices come from (the paper: 1; more mixes labels within a batch, see docs/cnn.md)' },
    epochs: { type: 'integer', minimum: 1, default: 20, description: 'most epochs' },
    patience: { type: 'integer', minimum: 1, default: 5, description: 'stop after this many epochs without a better validation F1' },
    stepsPerEpoch: { type: ['integer', 'null'], minimum: 1, default: null, description: 'batches per epoch (null: every training scan once)' },
    microbatch: { type: ['integer', 'null'], minimum: 1, description: 'slices per forward/backward pass, each normalised by its own BatchNorm statistics (as PyTorch DDP without SyncBatchNorm), gradients summed in pass order; the passes of a step run on up to --threads threads with the same results on any count (8: batch 16 trains on 2 threads); unset or null: the whole batch in one pass on one thread' },
    lr: { type: 'number', exclusiveMinimum: 0, default: 1e-4, description: 'Adam learning rate (β 0.9, 0.999)' },
    weightDecay: { type: 'number', minimum: 0, default: 5e-4, description: "L2 added to the gradient (torch.optim.Adam's weight_decay, not AdamW)" },
    warmStart: { type: ['string', 'null'], minLength: 1, default: null, description: 'timm EfficientNet safetensors to start from (null: seeded random weights)' },
  },
  example: { backbone: 'small', resolution: 32, embedding: 8, batch: 4, epochs: 1 },
  inputs: { slices: Slices, windows: Windows },
  outputs: { model: Weights, history: History },
  async *run(ctx, { slices, windows }) {
    const who = `cnn-trainer node "${ctx.id}"`;
    const p = ctx.params;
    if (!(p.hu[0] < p.hu[1])) throw new Error(`${who}: params.hu [${p.hu}] must be [low, high] with low < high, e.g. [-1150, 350]`);
    const cfg = cnnConfig(p);
    const { scanIndex, SliceSource } = await import('./kernels/cnn/sampling.js');
    const scans = await scanIndex(windows, slices, who);
    const usable = (split: string) => scans.filter((s) => s.split === split && s.end > s.start).map((s) => {
      if (s.label !== 0 && s.label !== 1) throw new Error(`${who}: ${split} scan "${s.scanId}" has label ${s.label}; training and validation scans need labels 0 or 1`);
      return s;
    });
    const train = usable('train'), validation = usable('validation');
    if (!train.length) throw new Error(`${who}: no training scan with a non-empty window among ${scans.length} scans; give some scans split "train" upstream`);
    const skipped = scans.filter((s) => s.split !== 'test' && s.end <= s.start).map((s) => s.scanId);
    if (skipped.length) ctx.note('scans_without_window', skipped);
    if (!validation.length) ctx.log('no validation scans: no early stopping, the last epoch is the output');

    const { useBackend } = await import('./kernels/tf/backend.js');
    const { tf, backend } = await useBackend(ctx.backend);
    ctx.note('backend', backend);
    const specs = paramSpecs(architecture(cfg));
    let initial = initialWeights(specs, ctx.rngFor('init'));
    if (p.warmStart) {
      const { warmStart } = await import('./kernels/cnn/warm-start.js');
      const w = await warmStart(p.warmStart, specs, initial, who);
      initial = w.entries;
      ctx.note('warm_start', { file: p.warmStart, tensors: w.loaded });
    }
    const { createModel, disposeModel } = await import('./kernels/cnn/model.js');
    const { train: trainCnn } = await import('./kernels/cnn/train.js');
    const { historyBatch } = await import('./kernels/train/history.js');
    const model = createModel(tf, cfg, initial);
    const { HOST_BACKENDS } = await import('./kernels/seq/host.js');
    // passes run on threads only where the backend computes in this thread (wasm, cpu); native and GPU backends have their own
    const threads = (HOST_BACKENDS as readonly string[]).includes(backend) ? Math.min(ctx.threads, passesOf(p)) : 1;
    ctx.note('threads', threads);
    const { TrainReplicas } = await import('./kernels/cnn/train-replicas.js');
    const replicas = threads > 1 ? await TrainReplicas.start(cfg, backend, threads) : undefined;
    try {
      const fingerprint = createHash('sha256').update(JSON.stringify({
        cfg, batch: p.batch, microbatch: p.microbatch ?? undefined, scansPerBatch: p.scansPerBatch, stepsPerEpoch: p.stepsPerEpoch, lr: p.lr, weightDecay: p.weightDecay, warmStart: p.warmStart, backend,
        train: train.map((s) => [s.scanId, s.start, s.end]), validation: validation.map((s) => [s.scanId, s.start, s.end]),
      })).digest('hex');
      const result = await trainCnn(tf, model, { source: new SliceSource(slices, cfg, who), train, validation }, {
        batch: p.batch, microbatch: p.microbatch, scansPerBatch: p.scansPerBatch, epochs: p.epochs, patience: p.patience, stepsPerEpoch: p.stepsPerEpoch,
        adam: { lr: p.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: p.weightDecay },
      }, {
        rngFor: ctx.rngFor, replicas, checkpoints: { dir: ctx.checkpoints, fingerprint }, signal: ctx.signal, progress: ctx.progress, log: ctx.log,
      });
      ctx.note('best_epoch', result.bestEpoch);
      if (result.resumed) ctx.note('resumed_after_epoch', result.resumed);
      if (result.stoppedEarly) ctx.note('stopped_early', true);
      yield { model: modelBatch(cfg, result.best), history: historyBatch(result.history, result.bestEpoch) };
    } finally {
      await replicas?.close();
      disposeModel(model);
    }
  },
});
