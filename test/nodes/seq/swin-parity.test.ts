// The Swin model against the PyTorch reference of test/fixtures/seq/make-parity.py (the original
// code's window_partition, torch.roll shift, −100 mask, relative_position_bias_table indexing,
// PatchMerging x0..x3 → LayerNorm → Linear) with the same weights: every part's output, the logits
// and every gradient, for a square image (the original Swin) and a rectangular one (224 × E).
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { swinForward, swinPlan, swinSpecs, swinStages, swinTorchMap, type SwinConfig } from '../../../nodes/kernels/seq/swin-model.js';
import { fixture, relErr } from './fixtures.js';

// Every element of every output and gradient: max |ours − torch| over a tensor, relative to its
// largest |torch| value (helpers/numeric.ts relErr). Measured worst over all of them: 7.1e-7 (grad.patch_embed.norm.weight on cpu), 6.4e-7 on wasm;
// the bound leaves float32 summation order a factor of 14, and nothing is excluded.
const TOL = 1e-5;
type Cfg = Omit<SwinConfig, 'mlpRatio'> & { batch: number };

let tf: TF;

async function check(name: string, backend: 'wasm' | 'cpu'): Promise<{ errs: Record<string, number>; parts: string[]; kernels: string[] }> {
  await tf.setBackend(backend);
  // a gradient takes its parameter's layout
  const fx = fixture<Cfg>(name, (n, shape) => {
    const m = swinTorchMap(n.replace(/^grad\./, ''), shape);
    return m && { name: n, layout: m.layout };
  });
  const config: SwinConfig = { ...fx.config, mlpRatio: 4 };
  const tensor = (n: string) => {
    const e = fx.tensors.get(n);
    if (!e) throw new Error(`${name} has no tensor "${n}"`);
    return tf.tensor(e.data, e.shape, 'float32');
  };
  const names = swinSpecs(config).map((s) => s.name);
  const params = new Map(names.map((n) => [n, tensor(n)]));
  const plan = swinPlan(tf, config);
  const x = tensor('x');
  const errs: Record<string, number> = {};
  let out: Record<string, TFJS.Tensor> = {};
  const profile = await tf.profile(() => {
    out = tf.tidy(() => {
      const { parts, logits } = swinForward(tf, plan, params, x);
      return { ...parts, logits };
    });
  });
  for (const [key, t] of Object.entries(out)) errs[key] = relErr(await t.data(), fx.tensors.get(key)!.data);
  tf.dispose(Object.values(out));
  const grads = tf.tidy(() => tf.grads((xx: TFJS.Tensor, ...ws: TFJS.Tensor[]) => tf.sum(swinForward(tf, plan, new Map(names.map((n, i) => [n, ws[i]])), xx).logits))([x, ...names.map((n) => params.get(n)!)]));
  for (const [i, n] of ['x', ...names].entries()) errs[`grad.${n}`] = relErr(await grads[i].data(), fx.tensors.get(`grad.${n}`)!.data);
  tf.dispose([...grads, x, ...params.values()]);
  plan.dispose();
  return { errs, parts: Object.keys(out), kernels: profile.kernelNames };
}

describe('swin: parity with the PyTorch reference (shifted windows, mask, relative bias, patch merging)', function () {
  this.timeout(60_000);
  before(async () => {
    ({ tf } = await useBackend('wasm'));
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    const how = backend === 'wasm' ? 'fused SIMD attention on wasm' : 'TensorFlow.js-ops attention on cpu';
    it(`${how}: square 16×16 image, patch 2, window 4: shift 2 in stage 0, none where the window covers the 4×4 grid`, async () => {
      const before = tf.memory().numTensors;
      const { errs, parts, kernels } = await check('swin-parity-square', backend);
      expect(parts).to.deep.equal(['out.embed', 'out.stage0', 'out.merge0', 'out.stage1', 'logits']);
      expect(kernels.includes('CtflowWindowAttention')).to.equal(backend === 'wasm');
      const worst = Object.entries(errs).sort((a, b) => b[1] - a[1]);
      expect(worst[0][1], `worst: ${worst.slice(0, 3).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`).to.be.below(TOL);
      expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
    });

    it(`${how}: rectangular 32×16 image: shifts on both axes in stage 0, along the rows only in stage 1`, async () => {
      const { errs } = await check('swin-parity-rect', backend);
      const worst = Object.entries(errs).sort((a, b) => b[1] - a[1]);
      expect(worst[0][1], `worst: ${worst.slice(0, 3).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`).to.be.below(TOL);
    });
  }

  it('derives the per-axis windows and shifts of a 224 × E image, and refuses grids that do not tile', () => {
    const tiny = { patch: 4, dim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 7, mlpRatio: 4 };
    const s224 = swinStages({ ...tiny, height: 224, width: 224 });
    expect(s224.map((s) => [s.h, s.w, s.wh, s.sh, s.dim])).to.deep.equal([[56, 56, 7, 3, 96], [28, 28, 7, 3, 192], [14, 14, 7, 3, 384], [7, 7, 7, 0, 768]]);
    const rect = swinStages({ ...tiny, depths: [2, 2], heads: [3, 6], height: 224, width: 16 });
    expect(rect.map((s) => [s.h, s.w, s.wh, s.ww, s.sh, s.sw])).to.deep.equal([[56, 4, 7, 4, 3, 0], [28, 2, 7, 2, 3, 0]]);
    expect(() => swinStages({ ...tiny, height: 224, width: 16 })).to.throw(/cannot halve: use fewer stages/);
    expect(() => swinStages({ ...tiny, height: 224, width: 30 })).to.throw(/not divisible into 4 × 4 patches/);
    expect(() => swinStages({ ...tiny, depths: [2], heads: [3], height: 200, width: 200 })).to.throw(/do not tile/);
  });
});
