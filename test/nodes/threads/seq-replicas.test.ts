// Data-parallel training steps of the sequence models (nodes/kernels/seq/replicas.ts): the passes
// (microbatch) are the same on any thread count, so with 2 and 3 threads the parameters after two
// steps have the bytes of the one-thread steps, and two runs with 2 threads are byte-identical; the
// pass split itself changes them only within float tolerance.
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { initialEntries } from '../../../nodes/kernels/seq/init.js';
import { lstmNet } from '../../../nodes/kernels/seq/lstm-model.js';
import type { SeqNet } from '../../../nodes/kernels/seq/net.js';
import { Replicas } from '../../../nodes/kernels/seq/replicas.js';
import { SWIN_PRESETS, swinNet } from '../../../nodes/kernels/seq/swin-model.js';
import { trainStep } from '../../../nodes/kernels/seq/train.js';
import { adamState } from '../../../nodes/kernels/train/adam.js';
import { liveTensors, useBackend } from '../../../nodes/kernels/tf/backend.js';
import { relErr } from '../../helpers/numeric.js';

const B = 6, steps = 2;
// eps 1: Adam's steps are about lr·gradient, so that the split's last-bit gradient differences are not
// amplified (with eps 1e-8 a gradient near 0 steps by ±lr whatever its size, and its sign may flip)
const opt = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1, weightDecay: 5e-4 };

/** The parameters after `steps` Adam steps on fixed random draws, as one byte string per tensor. */
async function train(build: (tf: Awaited<ReturnType<typeof useBackend>>['tf']) => SeqNet, threads: number, micro: number): Promise<Float32Array[]> {
  const { tf } = await useBackend('wasm');
  const net = build(tf);
  const params = new Map(initialEntries(net.specs, (l) => rngFrom(`threads:${l}`)).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32') as TFJS.Tensor]));
  const [T, E] = net.kind === 'lstm' ? [net.length, 12] : [net.length, 32];
  const rng = rngFrom('threads:x');
  const inputs = { x: Float32Array.from({ length: B * T * E }, () => 2 * rng() - 1), shape: [B, T, E] as [number, number, number], lengths: Array.from({ length: B }, (_, i) => (net.fixed ? T : T - (i % 3))) };
  const y = Float32Array.from({ length: B }, (_, i) => i % 2);
  const adam = adamState();
  const replicas = threads > 1 ? await Replicas.start(net, 'wasm', threads) : undefined;
  try {
    for (let s = 0; s < steps; s++) await trainStep(tf, net, params, adam, opt, inputs, y, micro, replicas);
    return await Promise.all(net.specs.map(async (sp) => (await params.get(sp.name)!.data()) as Float32Array));
  } finally {
    await replicas?.close();
    tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
    net.dispose();
  }
}

const bytes = (ts: Float32Array[]) => Buffer.concat(ts.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));

describe('data-parallel sequence-model steps in worker threads', function () {
  this.timeout(300_000);
  const models: [string, (tf: Awaited<ReturnType<typeof useBackend>>['tf']) => SeqNet][] = [
    ['lstm', () => lstmNet({ input: 12, hidden: 8, layers: 2, head: 4 }, 10)],
    ['swin', (tf) => swinNet(tf, { ...SWIN_PRESETS['small-cpu'], height: 32, width: 32, patch: 4, dim: 8, depths: [2, 2], heads: [2, 4], window: 4 })],
  ];
  for (const [name, build] of models) {
    it(`${name}: passes of 2 on 2 and 3 threads = on 1 thread byte for byte, repeat byte for byte; = whole-batch steps within 1e-5 (the split into passes is another sum)`, async () => {
      const { tf } = await useBackend('wasm');
      const before = liveTensors(tf);
      const one = await train(build, 1, 2);
      const two = await train(build, 2, 2);
      const twoAgain = await train(build, 2, 2);
      const three = await train(build, 3, 2);
      const whole = await train(build, 1, B);
      expect(bytes(two).equals(bytes(one))).to.equal(true);
      expect(bytes(two).equals(bytes(twoAgain))).to.equal(true);
      expect(bytes(three).equals(bytes(one))).to.equal(true);
      whole.forEach((t, i) => expect(relErr(one[i], t), `tensor ${i}`).to.be.below(1e-5));
      expect(liveTensors(tf)).to.equal(before);
    });
  }
});
