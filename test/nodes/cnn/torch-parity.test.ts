// The CNN against PyTorch (fixture from test/fixtures/cnn/make-fixture.py): a tiny EfficientNet
// with timm's module names, loaded through the warm-start path (fp16 safetensors, 3-channel stem
// summed), gives PyTorch's eval-mode logits, training losses (BatchNorm on batch statistics, BCE)
// and, after two Adam steps with coupled weight decay and the running-average updates, PyTorch's
// eval-mode logits and parameter sums.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type * as TFJS from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { rngFrom } from '../../../engine/rng.js';
import { adamState, adamUpdate, flatAdamState, flatAdamUpdate } from '../../../nodes/kernels/train/adam.js';
import { architecture, initialWeights, paramSpecs, PRESETS, type CnnConfig } from '../../../nodes/kernels/cnn/architecture.js';
import { forward } from '../../../nodes/kernels/cnn/efficientnet.js';
import { createModel, disposeModel, trainStep } from '../../../nodes/kernels/cnn/model.js';
import { warmStart } from '../../../nodes/kernels/cnn/warm-start.js';
import { readSafetensors } from '../../../nodes/kernels/tf/safetensors.js';
import { useBackend } from '../../../nodes/kernels/tf/backend.js';

const dir = new URL('../../../../test/fixtures/cnn/', import.meta.url);
const path = fileURLToPath(new URL('tiny.safetensors', dir));
const expected = JSON.parse(readFileSync(new URL('tiny-expected.json', dir), 'utf8')) as {
  width: number; depth: number; embedding: number; labels: number[]; eval_logits_before: number[];
  steps: { logits: number[]; loss: number }[]; eval_logits_after: number[]; sums_after: Record<string, number>;
};

const adamExpected = JSON.parse(readFileSync(new URL('adam-expected.json', dir), 'utf8')) as {
  initial: number[]; target: number[]; lr: number; weight_decay: number; after: number[][];
};

const close = (got: ArrayLike<number>, want: number[], tol: number, what: string) => {
  const worst = Math.max(...want.map((w, i) => Math.abs(got[i] - w)));
  expect(worst, `${what}: got [${Array.from(got).map((v) => v.toFixed(5))}], PyTorch [${want.map((v) => v.toFixed(5))}]`).to.be.below(tol);
};

for (const backend of ['wasm', 'cpu']) {
  describe(`cnn: PyTorch parity (${backend})`, function () {
    this.timeout(30_000);

    it('loads timm-named fp16 weights and reproduces eval logits, training losses, two Adam steps and the running statistics', async () => {
      const { tf } = await useBackend(backend);
      const cfg: CnnConfig = { backbone: 'small', ...PRESETS.small, width: expected.width, depth: expected.depth, resolution: 32, embedding: expected.embedding, hu: [-1150, 350], fit: 'stretch' };
      const specs = paramSpecs(architecture(cfg));
      const initial = initialWeights(specs, rngFrom('unused'));
      const { entries, loaded } = await warmStart(path, specs, initial, 'parity test');
      expect(loaded, 'every tensor comes from the file (the fixture has the embedding and head too)').to.equal(specs.length);
      const x = readSafetensors(readFileSync(path), { source: path }).find((e) => e.name === 'input.x')!.data as Float32Array;
      const m = createModel(tf, cfg, entries);
      const logits = async () => {
        const t = tf.tidy(() => forward(tf, m.arch, m.params, tf.tensor4d(x, [4, 32, 32, 1])).logit);
        const v = await t.data();
        t.dispose();
        return v;
      };
      close(await logits(), expected.eval_logits_before, 2e-4, 'eval-mode logits before training');
      const state = flatAdamState();
      for (const [i, step] of expected.steps.entries()) {
        const loss = await trainStep(tf, m, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 }, state, x, Float32Array.from(expected.labels));
        // Step 1 is the forward pass alone; step 2 follows one Adam step, in which gradients that are 0 up
        // to rounding (BatchNorm biases before a BatchNorm) move by ±lr in either framework.
        close([loss], [step.loss], i === 0 ? 2e-5 : 1e-3, `training loss of step ${i + 1}`);
      }
      // Loose: a first Adam step moves every weight by ±lr whatever its gradient's size, so weights whose
      // gradient is 0 up to rounding go either way (the optimiser itself is checked exactly below).
      close(await logits(), expected.eval_logits_after, 2e-2, 'eval-mode logits after two steps');
      for (const [name, want] of Object.entries(expected.sums_after)) {
        const got = Array.from(await m.params.get(name)!.data()).reduce((a, b) => a + b, 0);
        // A BatchNorm bias whose gradient is 0 up to rounding moves by up to lr per element either way.
        expect(Math.abs(got - want), `sum of ${name}`).to.be.below(2e-3 * m.params.get(name)!.size + 1e-4 * Math.abs(want));
      }
      disposeModel(m);
    });

    it("takes torch.optim.Adam's steps, weight decay added to the gradient (not AdamW), per tensor and flat", async () => {
      const { tf } = await useBackend(backend);
      // The six values as two tensors, so that the flat form has something to concatenate and cut.
      const tensors = () => new Map<string, TFJS.Tensor>([['a', tf.tensor1d(adamExpected.initial.slice(0, 2))], ['b', tf.tensor2d(adamExpected.initial.slice(2), [2, 2])]]);
      const [perTensor, flatParams] = [tensors(), tensors()];
      const [state, flatState] = [adamState(), flatAdamState()];
      const o = { lr: adamExpected.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: adamExpected.weight_decay };
      const values = async (p: Map<string, TFJS.Tensor>) => [...(await p.get('a')!.data()), ...(await p.get('b')!.data())];
      const target = new Map<string, TFJS.Tensor>([['a', tf.tensor1d(adamExpected.target.slice(0, 2))], ['b', tf.tensor2d(adamExpected.target.slice(2), [2, 2])]]);
      for (const [i, want] of adamExpected.after.entries()) {
        for (const [params, update] of [[perTensor, (g: Map<string, TFJS.Tensor>) => adamUpdate(tf, o, state, perTensor, g)], [flatParams, (g: Map<string, TFJS.Tensor>) => flatAdamUpdate(tf, o, flatState, flatParams, g)]] as const) {
          const grads = new Map([...params].map(([n, t]) => [n, tf.sub(t, target.get(n)!)]));
          await update(grads);
          tf.dispose([...grads.values()]);
          close(await values(params), want, 1e-6, `values after step ${i + 1} (${params === perTensor ? 'per tensor' : 'flat'})`);
        }
      }
      tf.dispose([...perTensor.values(), ...flatParams.values(), ...target.values(), ...state.m.values(), ...state.v.values(), flatState.m!, flatState.v!]);
    });
  });
}
