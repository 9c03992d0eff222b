// Barrier: the two-step Swin (paper §3.1): a Swin Transformer over the single-channel image whose
// rows are 224 slice embeddings drawn per scan (all slices plus random repeats when fewer) in slice
// order, with a one-logit sigmoid head. Same training, selection and outputs as the lstm node.
// See docs/sequence-models.md.
import { defineNode } from '../engine/types.js';
import { TRAIN_PARAMS, type SeqTrainParams } from './kernels/seq/params.js';
import { Embeddings, History, Predictions, Sequences, Weights } from './tables.js';

const PRESETS = ['tiny', 'small-cpu'] as const;

export interface SwinParams extends SeqTrainParams {
  /** Slices per draw: the image's rows (its columns are the embedding size). */
  length: number;
  /** 'tiny': Swin-T (patch 4, C 96, depths 2-2-6-2, heads 3-6-12-24, window 7); 'small-cpu': C 32, depths 2-2-2, heads 2-4-8. */
  preset: (typeof PRESETS)[number];
  /** Overrides of the preset (null: the preset's). */
  patch: number | null;
  dim: number | null;
  depths: number[] | null;
  heads: number[] | null;
  window: number | null;
}

export default defineNode<SwinParams>(import.meta.url, {
  kind: 'swin',
  version: 1,
  description: 'Train a Swin Transformer on images of slice embeddings (draw × embedding); outputs the best epoch\'s weights, the history and per-draw predictions.',
  mode: 'barrier',
  heavy: true,
  threads: true,
  random: true,
  params: {
    length: { type: 'integer', minimum: 1, default: 224, description: 'slices per draw = image rows (paper: 224)' },
    preset: { type: 'string', enum: [...PRESETS], default: 'tiny', description: "'tiny': Swin-T; 'small-cpu': C 32, depths 2-2-2, heads 2-4-8 (not Swin-S)" },
    patch: { type: ['integer', 'null'], minimum: 1, default: null, description: "patch side (null: the preset's 4)" },
    dim: { type: ['integer', 'null'], minimum: 1, default: null, description: "channels of the first stage (null: the preset's)" },
    depths: { type: ['array', 'null'], items: { type: 'integer', minimum: 1 }, minItems: 1, default: null, description: "blocks per stage (null: the preset's)" },
    heads: { type: ['array', 'null'], items: { type: 'integer', minimum: 1 }, minItems: 1, default: null, description: "attention heads per stage (null: the preset's)" },
    window: { type: ['integer', 'null'], minimum: 1, default: null, description: "window side in tokens (null: the preset's 7)" },
    ...TRAIN_PARAMS,
    microbatch: { ...TRAIN_PARAMS.microbatch, default: 4, description: 'draws per forward/backward pass, gradients summed over the batch (memory, not results: Swin-T at 224 × 224 needs about 0.75 GB per draw, the WebAssembly backend has 4 GB); the passes of a step run on up to --threads threads at once, with the same results on any count; null: the whole batch' },
  },
  example: { length: 6, preset: 'small-cpu', patch: 1, dim: 8, depths: [2], heads: [2], window: 2, batch: 2, epochs: 1 },
  inputs: { embeddings: Embeddings, sequences: Sequences },
  outputs: { model: Weights, history: History, predictions: Predictions },
  async *run(ctx, inputs) {
    const who = `swin node "${ctx.id}"`;
    const { trainSequenceModel } = await import('./kernels/seq/train.js');
    const { SWIN_PRESETS, swinNet } = await import('./kernels/seq/swin-model.js');
    const p = ctx.params;
    const preset = SWIN_PRESETS[p.preset];
    const arch = { ...preset, patch: p.patch ?? preset.patch, dim: p.dim ?? preset.dim, depths: p.depths ?? preset.depths, heads: p.heads ?? preset.heads, window: p.window ?? preset.window };
    yield* trainSequenceModel(ctx, inputs, (tf, width) => {
      try {
        return swinNet(tf, { ...arch, height: p.length, width });
      } catch (e) {
        throw new Error(`${who}: ${(e as Error).message} (params length ${p.length}, preset ${p.preset}; embedding size ${width})`);
      }
    }, who, 'swin');
  },
});
