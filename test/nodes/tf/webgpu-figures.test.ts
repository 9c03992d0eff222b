// Structural figures of one steady-state training step of each model on the WebGPU backend:
// compute dispatches, readbacks and their bytes, GPU buffers newly created. They depend on the
// graph of ops, not on the device, so they hold on lavapipe as on an H100; the bounds are today's
// figures (docs/backends.md, docs/gpu.md), so a change that adds dispatches or allocations fails
// here. No readback at all inside a step: weights and Adam moments stay on the GPU, and the loss is
// read every N steps (LossReader), one readback of N floats. No GPU buffer created in a steady-state
// step (webgpu/pool.ts): counted after a whole first interval, whose pending losses the pool has
// since taken back.
import { expect } from 'chai';
import { rngFrom } from '../../../engine/rng.js';
import { LossReader } from '../../../nodes/kernels/tf/loss-reader.js';
import { countWebgpu, type WebgpuFigures } from '../../../nodes/kernels/tf/webgpu-counters.js';
import { cnnModelStep, lstmModelStep, swinModelStep, type ModelStep } from '../../../nodes/kernels/tf/model-steps.js';
import { SWIN_PRESETS } from '../../../nodes/kernels/seq/swin-model.js';
import type { TF } from '../../../nodes/kernels/tf/backend.js';
import { webgpuOrSkip } from './webgpu-env.js';

/** The models at tiny sizes: dispatches and readbacks per step follow the depth, bytes follow the parameter count. */
const MODELS: Record<string, (tf: TF) => ModelStep> = {
  cnn: (tf) => cnnModelStep(tf, rngFrom, 'small', 32, 2, 8),
  lstm: (tf) => lstmModelStep(tf, rngFrom, { input: 8, hidden: 8, layers: 4, head: 4 }, 6, 2),
  swin: (tf) => swinModelStep(tf, rngFrom, { ...SWIN_PRESETS['small-cpu'], patch: 2, dim: 16, window: 4, height: 32, width: 32 }, 2),
};

/** Steps per loss readback. */
const EVERY = 4;

/** Upper bounds (ctflowDispatches: a lower bound): today's figures of the 3rd step of the 2nd interval. */
const BOUNDS: Record<string, WebgpuFigures> = {
  cnn: { dispatches: 2039, ctflowDispatches: 181, readbacks: 0, readbackBytes: 0, buffersCreated: 0, bytesCreated: 0 },
  lstm: { dispatches: 320, ctflowDispatches: 249, readbacks: 0, readbackBytes: 0, buffersCreated: 0, bytesCreated: 0 },
  swin: { dispatches: 1025, ctflowDispatches: 390, readbacks: 0, readbackBytes: 0, buffersCreated: 0, bytesCreated: 0 },
};

/** Readbacks of an inference pass: the CNN's embedding and probability, the sequence models' logits. */
const READS: Record<string, number> = { cnn: 2, lstm: 1, swin: 1 };

describe('webgpu: dispatches, readbacks and allocations per training step (upper bounds)', function () {
  this.timeout(600_000);
  let tf: TF;
  before(async function () { tf = await webgpuOrSkip(this); });

  for (const name of Object.keys(BOUNDS)) {
    it(`${name}: one steady-state step`, async () => {
      const f = MODELS[name](tf);
      const reader = new LossReader(tf, EVERY);
      for (let i = 0; i < 2 * EVERY - 2; i++) await reader.add(await f.step());
      const counter = countWebgpu(f.tf);
      const read = await reader.add(await f.step());
      const got = counter.read();
      const last = await reader.add(await f.step());
      const span = counter.stop();
      console.log(`      ${name}: one step ${JSON.stringify(got)}; losses read after the 4th ${JSON.stringify(last)}`);
      reader.dispose();
      // inference (what embedder, slice-scorer's model and sequence-predictor run): after two warm-up passes, nothing created either
      await f.infer();
      await f.infer();
      const inferCounter = countWebgpu(f.tf);
      await f.infer();
      const infer = inferCounter.stop();
      console.log(`      ${name}: one inference pass ${JSON.stringify(infer)}`);
      f.dispose();
      expect([infer.buffersCreated, infer.readbacks], `${name}: an inference pass creates no buffer and reads its outputs only`).to.deep.equal([0, READS[name]]);
      expect(read, 'no loss read in the 3rd step of 4').to.deep.equal([]);
      expect(got.dispatches, 'a step dispatches GPU programs').to.be.above(0);
      expect([got.readbacks, got.readbackBytes], 'nothing read back inside a step').to.deep.equal([0, 0]);
      expect([got.buffersCreated, got.bytesCreated], 'no GPU buffer created in a steady-state step').to.deep.equal([0, 0]);
      for (const k of Object.keys(got) as (keyof WebgpuFigures)[]) {
        if (k === 'ctflowDispatches') expect(got[k], `${name}: ctflow's kernels ran`).to.be.at.least(BOUNDS[name][k]);
        else expect(got[k], `${name} ${k}`).to.be.at.most(BOUNDS[name][k]);
      }
      // The 4th step ends the interval: the four losses are read in one readback of 4 floats.
      expect(last.length).to.equal(EVERY);
      expect(last.every(Number.isFinite), 'finite losses').to.equal(true);
      expect([span.readbacks, span.readbackBytes], 'one readback per interval').to.deep.equal([1, 4 * EVERY]);
    });
  }
});
