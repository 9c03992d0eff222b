// The bidirectional LSTM stack and head against torch.nn.LSTM(16, 32, num_layers=4,
// bidirectional=True, batch_first=True) with packed padded sequences and the same weights
// (test/fixtures/seq/make-parity.py): outputs, final states, logits and every gradient, for the
// fused kernels on wasm and cpu and for the TensorFlow.js-ops recurrence.
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { lstmSpecs, lstmStack, opsRecurrence, recurrence, type LstmConfig, type Recurrence } from '../../../nodes/kernels/seq/lstm-model.js';
import { defaultMap } from '../../../nodes/kernels/tf/safetensors.js';
import { fixture, relErr } from './fixtures.js';

// Every element of every output and gradient: max |ours − torch| over a tensor, relative to its
// largest |torch| value (helpers/numeric.ts relErr). Measured worst over all of them: 6.3e-7 (grad.x; wasm kernel and TensorFlow.js ops), 4.3e-7 on cpu;
// the bound leaves float32 summation order a factor of 14, and nothing is excluded.
const TOL = 1e-5;
type Cfg = LstmConfig & { batch: number; steps: number; lengths: number[] };
// parameters (and their gradients) from torch layouts to ours; outputs as they are
const fx = fixture<Cfg>('lstm-parity', (name, shape) => (name.startsWith('out.') ? { name, layout: 'as-is' } : defaultMap(name, shape)));
const cfg = fx.config;
const H = cfg.hidden;

let tf: TF;

const tensorOf = (name: string) => {
  const e = fx.tensors.get(name);
  if (!e) throw new Error(`fixture has no tensor "${name}"`);
  return tf.tensor(e.data, e.shape, 'float32');
};

/** Values at real (unpadded) steps only: torch pads its outputs with zeros, ours keep the state. */
function realSteps(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let b = 0; b < cfg.batch; b++) for (let t = 0; t < cfg.lengths[b]; t++) for (let j = 0; j < 2 * H; j++) out.push(values[(b * cfg.steps + t) * 2 * H + j]);
  return out;
}

async function run(rec: Recurrence): Promise<Record<string, number>> {
  const names = lstmSpecs(cfg).map((s) => s.name);
  const params = new Map(names.map((n) => [n, tensorOf(n)]));
  const x = tensorOf('x');
  const R = tensorOf('R');
  const errs: Record<string, number> = {};
  const forward = (xx: TFJS.Tensor, ps: Map<string, TFJS.Tensor>) => {
    const { states, final } = lstmStack(tf, cfg, ps, xx, cfg.lengths, rec);
    const hidden = tf.relu(tf.add(tf.matMul(final, ps.get('fc1.weight')!), ps.get('fc1.bias')!));
    const logits = tf.reshape(tf.add(tf.matMul(hidden, ps.get('fc2.weight')!), ps.get('fc2.bias')!), [cfg.batch]);
    return { states, final, logits };
  };
  const out = tf.tidy(() => Object.values(forward(x, params)));
  const [states, final, logits] = await Promise.all(out.map((t) => t.data()));
  errs.states = relErr(realSteps(states), realSteps(fx.tensors.get('out.states')!.data));
  errs.final = relErr(final, fx.tensors.get('out.final')!.data);
  errs.logits = relErr(logits, fx.tensors.get('logits')!.data);
  const grads = tf.tidy(() => tf.grads((xx: TFJS.Tensor, ...ws: TFJS.Tensor[]) => {
    const o = forward(xx, new Map(names.map((n, i) => [n, ws[i]])));
    return tf.add(tf.sum(tf.mul(o.states, R)), tf.sum(o.logits));
  })([x, ...names.map((n) => params.get(n)!)]));
  for (const [i, name] of ['x', ...names].entries()) errs[`grad.${name}`] = relErr(await grads[i].data(), fx.tensors.get(`grad.${name}`)!.data);
  tf.dispose([...out, ...grads, x, R, ...params.values()]);
  return errs;
}

describe('lstm: parity with torch.nn.LSTM (4 bidirectional layers, packed padded batch)', function () {
  this.timeout(60_000);
  before(async () => {
    ({ tf } = await useBackend('wasm'));
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  for (const [label, backend, rec] of [['fused kernel', 'wasm', recurrence], ['fused kernel', 'cpu', recurrence], ['TensorFlow.js ops', 'wasm', opsRecurrence]] as const) {
    it(`${label} on ${backend}: outputs, final states, logits and all gradients within ${TOL}`, async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const errs = await run(rec);
      expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
      const worst = Object.entries(errs).sort((a, b) => b[1] - a[1]);
      expect(worst.length).to.equal(3 + 1 + lstmSpecs(cfg).length);
      expect(worst[0][1], `worst: ${worst.slice(0, 3).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`).to.be.below(TOL);
    });
  }
});
