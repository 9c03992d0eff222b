// Stream: per scan, `draws` random slice draws for the sequence models (paper §3.1, Table 1's
// "Mean 10"): LSTM mode keeps `length` random slices in slice order (all when fewer), Swin mode
// fills exactly `length` (all slices plus random repeats when fewer). A scan's draws depend only on
// the node's key and the scan, never on the other scans.
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { scansOf } from './kernels/seq/data.js';
import { DEFAULT_LENGTH, draw, SEQ_MODES, type SeqMode } from './kernels/seq/sampling.js';
import { Embeddings, Sequences } from './tables.js';

export interface SequenceSamplerParams {
  /** 'lstm': random subset in slice order; 'swin': exactly `length` slices, repeats when fewer. */
  mode: SeqMode;
  /** Slices per draw; null: the paper's 120 (lstm) or 224 (swin). */
  length: number | null;
  /** Draws per scan (the models' predictions are averaged over them). */
  draws: number;
}

export default defineNode<SequenceSamplerParams>(import.meta.url, {
  kind: 'sequence-sampler',
  version: 1,
  description: 'Per scan, random slice draws for the LSTM (random subset, slice order) or Swin (exactly length slices) sequence models.',
  mode: 'stream',
  random: true,
  params: {
    mode: { type: 'string', enum: [...SEQ_MODES], default: 'lstm', description: "'lstm': up to length random slices in order; 'swin': exactly length (all slices plus random repeats when fewer)" },
    length: { type: ['integer', 'null'], minimum: 1, default: null, description: 'slices per draw; null: 120 for lstm, 224 for swin (paper §3.1)' },
    draws: { type: 'integer', minimum: 1, default: 10, description: 'draws per scan (Mean-k evaluation)' },
  },
  example: { mode: 'swin', length: 8, draws: 3 },
  inputs: { embeddings: Embeddings },
  outputs: { sequences: Sequences },
  run(ctx, { embeddings }) {
    const { mode, draws } = ctx.params;
    const length = ctx.params.length ?? DEFAULT_LENGTH[mode];
    const rows = scansOf(embeddings, `sequence-sampler node "${ctx.id}"`).flatMap((s) => {
      const rng = ctx.rngFor(s.scan);
      return Array.from({ length: draws }, (_, k) => ({ ...s, draw: k, picked: draw(mode, s.slices, length, rng) }));
    });
    return {
      sequences: makeBatch(Sequences, {
        scan_id: rows.map((r) => r.scan),
        split: rows.map((r) => r.split),
        label: rows.map((r) => r.label),
        draw: rows.map((r) => r.draw),
        slices: rows.map((r) => r.picked),
      }),
    };
  },
});
