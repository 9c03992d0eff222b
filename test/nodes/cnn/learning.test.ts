// The CNN learns on synthetic-ct scans, end to end: synthetic-ct → lung-area chain → cnn-trainer →
// embedder, with the paper's optimiser settings (Adam 1e-4, weight decay 5e-4, 16 slices a batch).
// Here: the trained model (inference BatchNorm, the embedder's probabilities) classifies its
// training scans' window slices far above chance. Held-out learning, on the synthetic set with
// larger ground glass (extent 3), is checked on graphs/quick.yaml in test/engine/pipeline.test.ts.
import { expect } from 'chai';
import type { Outputs } from '../../../engine/types.js';
import trainer, { type CnnTrainerParams } from '../../../nodes/cnn-trainer.js';
import embedder from '../../../nodes/embedder.js';
import { testContext } from '../../helpers/context.js';
import { memoryReader } from '../../helpers/samples.js';
import { syntheticScans } from './data.js';

describe('cnn: learning on synthetic CT', function () {
  this.timeout(120_000);

  it('fits its training scans: the trained model classifies their window slices far above chance', async () => {
    // No validation scans, so the output is the last epoch (not the best on a chance-level validation set).
    const data = await syntheticScans({ scans: 30, slices: [10, 14], size: 64, positive: 0.5, splits: { train: 1, validation: 0, test: 0 } }, 11);
    const params: CnnTrainerParams = {
      backbone: 'small', width: null, depth: null, resolution: 64, embedding: 32, hu: [-1000, -200], fit: 'stretch',
      batch: 16, scansPerBatch: 16, epochs: 8, patience: 8, stepsPerEpoch: 12, lr: 1e-4, weightDecay: 5e-4, warmStart: null,
    };
    if (trainer.mode !== 'barrier' || embedder.mode !== 'barrier') throw new Error('cnn-trainer and embedder are barrier kinds');
    const trained: Outputs[] = [];
    for await (const o of trainer.run(testContext(params, { seed: 1 }), { slices: memoryReader(data.slices), windows: memoryReader(data.windows) })) trained.push(o);
    const history = trained[0].history.toArray().map((r) => r.toJSON());
    expect(history.at(-1)!.train_loss, 'training loss falls').to.be.below(0.5 * history[0].train_loss);
    let right = 0, total = 0, k = 0;
    for await (const { embeddings } of embedder.run(testContext({ batch: 32 }), { slices: memoryReader(data.slices), model: memoryReader([trained[0].model]) })) {
      const w = data.windows[k++].toArray()[0].toJSON();
      const probs = Array.from(embeddings.getChild('prob')!) as number[];
      const bySlice = (Array.from(embeddings.getChild('slice_index')!) as number[]).map((s, r) => [s, r]).sort((a, b) => a[0] - b[0]).map(([, r]) => probs[r]);
      for (let p = w.start; p < w.end; p++, total++) right += Number((bySlice[p] >= 0.5) === (w.label === 1));
    }
    expect(right / total, `slice accuracy on ${total} training window slices (chance 0.5)`).to.be.above(0.9);
  });
});
