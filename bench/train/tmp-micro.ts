import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../engine/rng.js';
import { adamState } from '../../nodes/kernels/train/adam.js';
import { initialEntries } from '../../nodes/kernels/seq/init.js';
import { lstmNet } from '../../nodes/kernels/seq/lstm-model.js';
import { trainStep } from '../../nodes/kernels/seq/train.js';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
const { tf } = await useBackend('wasm');
const net = lstmNet({ input: 224, hidden: 128, layers: 4, head: 64 }, 120);
const params = new Map(initialEntries(net.specs, (l) => rngFrom(`b:${l}`)).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32') as TFJS.Tensor]));
const B = 8, T = 120, E = 224; const rng = rngFrom('x');
const inputs = { x: Float32Array.from({ length: B * T * E }, () => 2 * rng() - 1), shape: [B, T, E] as [number, number, number], lengths: Array(B).fill(T) };
const y = Float32Array.from({ length: B }, (_, i) => i % 2);
const adam = adamState(); const opt = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
for (const micro of [8, 4, 2, 1, 8, 4, 2, 1]) {
  await trainStep(tf, net, params, adam, opt, inputs, y, micro);
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await trainStep(tf, net, params, adam, opt, inputs, y, micro);
  const u = process.cpuUsage(c0);
  console.log(micro, (performance.now() - t0).toFixed(0), 'ms wall', ((u.user + u.system) / 1000).toFixed(0), 'ms cpu');
}
