// Structural figures of one steady-state training step of each model on the stock WebGPU backend
// (tfjs-backend-webgpu 4.22, no ctflow kernels yet): compute dispatches, readbacks and their bytes,
// GPU buffers newly created. They depend on the graph of ops, not on the device, so they hold on
// lavapipe as on an H100; the bounds are today's figures (docs/backends.md), so a change that adds
// dispatches, readbacks or allocations fails here. Issue 18's goal is far below them: fused
// kernels, no readback inside a step, zero buffers created per step (a pool).
import { expect } from 'chai';
import { rngFrom } from '../../../engine/rng.js';
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

/** Upper bounds: today's figures of one step after two warm-up steps. */
const BOUNDS: Record<string, WebgpuFigures> = {
  cnn: { dispatches: 1894, readbacks: 2, readbackBytes: 2_647_880, buffersCreated: 447, bytesCreated: 2_657_308 },
  lstm: { dispatches: 3448, readbacks: 1, readbackBytes: 4, buffersCreated: 670, bytesCreated: 5144 },
  swin: { dispatches: 2245, readbacks: 1, readbackBytes: 4, buffersCreated: 825, bytesCreated: 37_000 },
};

describe('webgpu: dispatches, readbacks and allocations per training step (upper bounds)', function () {
  this.timeout(600_000);
  let tf: TF;
  before(async function () { tf = await webgpuOrSkip(this); });

  for (const name of Object.keys(BOUNDS)) {
    it(`${name}: one steady-state step`, async () => {
      const f = MODELS[name](tf);
      await f.step();
      await f.step();
      const counter = countWebgpu(f.tf);
      await f.step();
      const got = counter.stop();
      console.log(`      ${name}: ${JSON.stringify(got)}`);
      f.dispose();
      expect(got.dispatches, 'a step dispatches GPU programs').to.be.above(0);
      expect(got.readbacks, 'the loss is read back once per step').to.be.at.least(1);
      for (const k of Object.keys(got) as (keyof WebgpuFigures)[]) expect(got[k], `${name} ${k}`).to.be.at.most(BOUNDS[name][k]);
    });
  }
});
