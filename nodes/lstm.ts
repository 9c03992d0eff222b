// Barrier: the two-step LSTM (paper §3.1): 4 bidirectional LSTM layers of 128 over up to 120
// slice embeddings drawn at random and kept in slice order, the final states of both directions
// concatenated, Linear(256 → 64) → ReLU → Linear(64 → 1) → sigmoid. Trains on the training scans
// with a fresh draw per epoch, selects the epoch by validation macro-F1 over the sequences input's
// validation draws, and predicts every draw of the sequences input. See docs/sequence-models.md.
import { defineNode } from '../engine/types.js';
import { TRAIN_PARAMS, type SeqTrainParams } from './kernels/seq/params.js';
import { Embeddings, History, Predictions, Sequences, Weights } from './tables.js';

export interface LstmParams extends SeqTrainParams {
  /** Slices per training draw (at most: shorter scans give all their slices, padded and masked). */
  length: number;
  /** Hidden units per direction. */
  hidden: number;
  /** Bidirectional layers. */
  layers: number;
  /** Units of the Linear layer before the output. */
  head: number;
}

export default defineNode<LstmParams>(import.meta.url, {
  kind: 'lstm',
  version: 1,
  description: 'Train the two-step bidirectional LSTM on slice-embedding draws; outputs the best epoch\'s weights, the history and per-draw predictions.',
  mode: 'barrier',
  heavy: true,
  threads: true,
  random: true,
  params: {
    length: { type: 'integer', minimum: 1, default: 120, description: 'slices per training draw (paper: 120)' },
    hidden: { type: 'integer', minimum: 1, maximum: 4096, default: 128, description: 'hidden units per direction (paper: 128)' },
    layers: { type: 'integer', minimum: 1, maximum: 16, default: 4, description: 'bidirectional layers (paper: 4)' },
    head: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'units of the Linear layer before the output (paper: 64)' },
    ...TRAIN_PARAMS,
    microbatch: { ...TRAIN_PARAMS.microbatch, default: 4, description: 'draws per forward/backward pass, gradients summed over the batch in pass order; the passes of a step run on up to --threads threads at once, with the same results on any count (4: batch 8 trains on 2 threads, at the one-thread speed of whole batches; lower it for more cores); null: the whole batch' },
  },
  example: { length: 4, hidden: 4, layers: 1, head: 4, batch: 2, epochs: 1 },
  inputs: { embeddings: Embeddings, sequences: Sequences },
  outputs: { model: Weights, history: History, predictions: Predictions },
  async *run(ctx, inputs) {
    const { trainSequenceModel } = await import('./kernels/seq/train.js');
    const { lstmNet } = await import('./kernels/seq/lstm-model.js');
    const { length, hidden, layers, head } = ctx.params;
    yield* trainSequenceModel(ctx, inputs, (_tf, input) => lstmNet({ input, hidden, layers, head }, length), `lstm node "${ctx.id}"`, 'lstm');
  },
});
