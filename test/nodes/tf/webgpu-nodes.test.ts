// A model node end to end on the webgpu backend (lavapipe in CI): cnn-trainer trains a tiny CNN for
// one epoch through its own run(), notes the backend that ran in the run record, and leaves no
// tensor behind. Guards against anything in the training loop that WebGPU cannot do (dataSync).
import { expect } from 'chai';
import trainer, { type CnnTrainerParams } from '../../../nodes/cnn-trainer.js';
import { liveTensors } from '../../../nodes/kernels/tf/backend.js';
import { testContext } from '../../helpers/context.js';
import { memoryReader } from '../../helpers/samples.js';
import { syntheticScans } from '../cnn/data.js';
import { webgpuOrSkip } from './webgpu-env.js';

const params: CnnTrainerParams = {
  backbone: 'small', width: 0.25, depth: null, resolution: 32, embedding: 8, hu: [-1150, 350], fit: 'stretch',
  batch: 4, scansPerBatch: 2, epochs: 1, patience: 5, stepsPerEpoch: 2, lr: 1e-3, weightDecay: 5e-4, warmStart: null,
};

describe('model nodes on webgpu', function () {
  this.timeout(600_000);

  it('cnn-trainer trains one epoch on webgpu and records "webgpu" as its backend', async function () {
    const tf = await webgpuOrSkip(this);
    const data = await syntheticScans({ scans: 6, slices: [6, 8], size: 64, positive: 0.5, splits: { train: 0.5, validation: 0.5, test: 0 } }, 3);
    const ctx = { ...testContext({ ...params }, { seed: 1 }), backend: 'webgpu' };
    const before = liveTensors(tf);
    if (trainer.mode !== 'barrier') throw new Error('cnn-trainer must be a barrier kind');
    const outs = [];
    for await (const o of trainer.run(ctx, { slices: memoryReader(data.slices), windows: memoryReader(data.windows) })) outs.push(o);
    expect(ctx.notes.backend).to.equal('webgpu');
    expect(tf.getBackend()).to.equal('webgpu');
    expect(outs).to.have.length(1);
    const history = outs[0].history.toArray().map((r) => r.toJSON() as Record<string, number>);
    expect(history.map((r) => r.epoch)).to.deep.equal([1]);
    expect(Number.isFinite(history[0].train_loss), JSON.stringify(history[0])).to.equal(true);
    expect(liveTensors(tf), 'tensors left by the node').to.equal(before);
  });
});
