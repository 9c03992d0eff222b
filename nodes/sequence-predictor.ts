// Barrier: predictions of a trained lstm or swin model without training: the model table (an lstm
// or swin node's model output, or a weights-file of one) carries its config, so the network is
// rebuilt from it; every draw of the sequences input gets a probability, as the training node's own
// predictions output. See docs/predict.md.
import { portType } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { Embeddings, Predictions, Sequences, Weights } from './tables.js';

/** A Weights table holding an lstm or swin model (its `ctflow.lstm.config` or `ctflow.swin.config` row). */
const SequenceModel = portType('sequence-model', Weights.columns, 'an lstm or swin model table: the tensors and a ctflow.<kind>.config row');

export interface SequencePredictorParams {
  /** The predictions' model name (null: the model table's kind, lstm or swin). */
  name: string | null;
  /** Draws per forward pass. */
  batch: number;
}

export default defineNode<SequencePredictorParams>(import.meta.url, {
  kind: 'sequence-predictor',
  version: 1,
  description: 'Per-draw predictions of a trained lstm or swin model (its model table), without training: the predictions output of the training node, for other scans.',
  mode: 'barrier',
  heavy: true,
  params: {
    name: { type: ['string', 'null'], minLength: 1, default: null, description: "the predictions' model name (null: the model table's kind, lstm or swin)" },
    batch: { type: 'integer', minimum: 1, maximum: 1024, default: 8, description: 'draws per forward pass (memory, not results)' },
  },
  example: { name: 'lstm', batch: 2 },
  inputs: { embeddings: Embeddings, sequences: Sequences, model: SequenceModel },
  outputs: { predictions: Predictions },
  async *run(ctx, { embeddings, sequences, model: table }) {
    const who = `sequence-predictor node "${ctx.id}"`;
    const { readSeqModel } = await import('./kernels/seq/model-table.js');
    const { EmbeddingCache, indexEmbeddings } = await import('./kernels/seq/embedding-index.js');
    const { drawScorer, entryFinder, predictionBatches } = await import('./kernels/seq/predict.js');
    const model = await readSeqModel(table, who);
    const scans = await indexEmbeddings(embeddings, who);
    const emb = new EmbeddingCache(embeddings, who);
    const first = [...scans.values()].find((e) => e.ref.slices.length > 0);
    if (!first) throw new Error(`${who}: the embeddings input has no scan with slices; check the source and the embedder upstream`);
    await emb.matrix(first);
    const trainedOn = model.kind === 'lstm' ? model.config.input : model.config.width;
    if (emb.dim !== trainedOn) {
      throw new Error(`${who}: the ${model.kind} model takes ${trainedOn}-value embeddings but the embeddings input has ${emb.dim}; embed with the cnn model of the run that trained this ${model.kind} model`);
    }
    const { useBackend } = await import('./kernels/tf/backend.js');
    const { tf, backend } = await useBackend(ctx.backend);
    ctx.note('backend', backend);
    const net = model.kind === 'lstm'
      ? (await import('./kernels/seq/lstm-model.js')).lstmNet(model.config, model.config.length)
      : (await import('./kernels/seq/swin-model.js')).swinNet(tf, model.config);
    const given = new Map(model.entries.map((e) => [e.name, e]));
    const problems = net.specs.flatMap((s) => {
      const e = given.get(s.name);
      given.delete(s.name);
      return !e ? [`"${s.name}" missing`] : String(e.shape) !== String(s.shape) ? [`"${s.name}" has shape [${e.shape}], the config needs [${s.shape}]`] : [];
    });
    problems.push(...[...given.keys()].map((n) => `"${n}" is not in the ${model.kind} network`));
    if (problems.length) {
      net.dispose();
      throw new Error(`${who}: the model table does not fit its own ${model.kind} config: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}; the table is corrupt or was edited`);
    }
    const params = new Map(model.entries.map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32')]));
    try {
      yield* predictionBatches(sequences, drawScorer(tf, net, params, emb, ctx.params.batch, who), entryFinder(scans, who), ctx.params.name ?? model.kind, who);
    } finally {
      tf.dispose([...params.values()]);
      net.dispose();
    }
  },
});
