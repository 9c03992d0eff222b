// Params the lstm and swin nodes share (JSON Schema), kept free of TensorFlow.js imports so that
// loading the node registry stays cheap.

export interface SeqTrainParams {
  /**
   * The predictions' model name (null: the kind, lstm or swin). Not the node id: the id is not in
   * the cache key, so two graphs sharing the entry would disagree about the name.
   */
  name: string | null;
  /** Draws per batch. */
  batch: number;
  /**
   * Draws per forward/backward pass, gradients summed over the batch in pass order; a step's passes
   * run on up to ctx.threads threads at once (the same passes and bytes on any count). null: the whole batch.
   */
  microbatch: number | null;
  /** Most epochs (each: one fresh random draw of every training scan). */
  epochs: number;
  /** Stop after this many epochs without a better validation F1. */
  patience: number;
  lr: number;
  weightDecay: number;
}

export const TRAIN_PARAMS = {
  name: { type: ['string', 'null'], minLength: 1, default: null, description: "the predictions' model name (null: the kind, lstm or swin)" },
  batch: { type: 'integer', minimum: 1, maximum: 1024, default: 8, description: 'draws per batch' },
  microbatch: { type: ['integer', 'null'], minimum: 1, default: null as number | null, description: 'draws per forward/backward pass, gradients summed over the batch (memory, not results: equal up to rounding); the passes of a step run on up to --threads threads, with the same results on any count; null: the whole batch' },
  epochs: { type: 'integer', minimum: 1, default: 20, description: 'most epochs (each: one fresh random draw of every training scan)' },
  patience: { type: 'integer', minimum: 1, default: 5, description: 'stop after this many epochs without a better validation F1' },
  lr: { type: 'number', exclusiveMinimum: 0, default: 1e-4, description: "Adam learning rate (β 0.9, 0.999; the paper's CNN setting)" },
  weightDecay: { type: 'number', minimum: 0, default: 5e-4, description: "L2 added to the gradient (torch.optim.Adam's weight_decay)" },
};
