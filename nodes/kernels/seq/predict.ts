// Prediction with a sequence model (lstm or swin): logits of batches of draws, and the Predictions
// batches for every row of a sequences table. The training loop (train.ts) predicts with these
// after training; the sequence-predictor node with weights read from a model table.
import type * as TFJS from '@tensorflow/tfjs';
import { makeBatch } from '../../../engine/ports.js';
import type { Outputs, TableReader } from '../../../engine/types.js';
import { Predictions } from '../../tables.js';
import type { TF } from '../tf/backend.js';
import { drawsOf, type Draw } from './data.js';
import { assemble, type EmbeddingCache, type Inputs, type Item, type ScanEntry } from './embedding-index.js';
import type { SeqNet } from './net.js';

export async function predictLogits(tf: TF, net: SeqNet, params: Map<string, TFJS.Tensor>, inputs: Inputs): Promise<Float32Array> {
  const z = tf.tidy(() => net.logits(tf, params, tf.tensor3d(inputs.x, inputs.shape), inputs.lengths));
  const out = (await z.data()) as Float32Array;
  z.dispose();
  return out;
}

/** The logits of any number of draws, `batch` draws per forward pass. */
export function drawScorer(tf: TF, net: SeqNet, params: Map<string, TFJS.Tensor>, emb: EmbeddingCache, batch: number, who: string) {
  return async (items: Item[]): Promise<number[]> => {
    const out: number[] = [];
    for (let at = 0; at < items.length; at += batch) out.push(...(await predictLogits(tf, net, params, await assemble(items.slice(at, at + batch), emb, net, who))));
    return out;
  };
}

/** The embeddings entry of a draw's scan; a scan the embeddings lack is an error. */
export function entryFinder(scans: Map<string, ScanEntry>, who: string) {
  return (d: Draw): ScanEntry => {
    const e = scans.get(d.scan);
    if (!e) throw new Error(`${who}: the sequences input has draws of scan "${d.scan}", which the embeddings input lacks; sample from the same embeddings table`);
    return e;
  };
}

/** One Predictions batch per non-empty sequences batch: the probability (sigmoid of the logit) of every draw, named `model`. */
export async function* predictionBatches(sequences: TableReader, score: (items: Item[]) => Promise<number[]>, entryOf: (d: Draw) => ScanEntry, model: string, who: string): AsyncGenerator<Outputs> {
  for await (const b of sequences) {
    const draws = drawsOf(b, who);
    if (!draws.length) continue;
    const z = await score(draws.map((d) => ({ entry: entryOf(d), slices: d.slices })));
    yield {
      predictions: makeBatch(Predictions, {
        model: draws.map(() => model), scan_id: draws.map((d) => d.scan), split: draws.map((d) => d.split), label: draws.map((d) => d.label),
        draw: draws.map((d) => d.draw), prob: Float32Array.from(z, (v) => 1 / (1 + Math.exp(-v))),
      }),
    };
  }
}
