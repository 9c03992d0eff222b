// Speed of conv layers' forward + backward on the WebAssembly backend, as shipped and with the
// kernels of nodes/kernels/tf/wasm-grad-kernels, with the pure-JS CPU backend for reference.
// EfficientNet-b0-like layer shapes at 224² input, batch 8. Prints tables of milliseconds (wasm: median
// of 3 after a warm-up; cpu: one run, as a step takes seconds there). About 3 minutes on 2 cores.
// Run: npx tsc -p tsconfig.json && node dist/bench/train/wasm-conv-grad.js
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
import { registerWasmKernels } from '../../nodes/kernels/tf/wasm-grad-kernels/index.js';

type T4 = TFJS.Tensor4D;
interface Layer { name: string; x: [number, number, number, number]; w: [number, number, number, number]; stride: number; depthwise: boolean }

const layers: Layer[] = [
  { name: 'stem conv 3×3/2, 224²×3 → 32', x: [8, 224, 224, 3], w: [3, 3, 3, 32], stride: 2, depthwise: false },
  { name: 'expand 1×1, 56²×24 → 144', x: [8, 56, 56, 24], w: [1, 1, 24, 144], stride: 1, depthwise: false },
  { name: 'depthwise 3×3/1, 56²×144', x: [8, 56, 56, 144], w: [3, 3, 144, 1], stride: 1, depthwise: true },
  { name: 'depthwise 5×5/2, 56²×144', x: [8, 56, 56, 144], w: [5, 5, 144, 1], stride: 2, depthwise: true },
  { name: 'project 1×1, 56²×144 → 24', x: [8, 56, 56, 144], w: [1, 1, 144, 24], stride: 1, depthwise: false },
  { name: 'conv 3×3/1, 56²×32 → 32', x: [8, 56, 56, 32], w: [3, 3, 32, 32], stride: 1, depthwise: false },
];

const { tf } = await useBackend('cpu');

/** Median of `runs` timed calls after one warm-up call (none for the CPU backend, whose steps take seconds). */
function median(f: () => void, runs: number): number {
  if (tf.getBackend() !== 'cpu') f();
  const times = Array.from({ length: runs }, () => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  });
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** Milliseconds for forward + gradients of Σ conv(x, w)·r with respect to x (and w), or the error. */
function step(l: Layer, wrt: 'x' | 'x,w'): string {
  const x = tf.randomNormal(l.x) as T4;
  const w = tf.randomNormal(l.w) as T4;
  const conv = (xx: T4, ww: T4) => (l.depthwise ? tf.depthwiseConv2d(xx, ww, l.stride, 'same') : tf.conv2d(xx, ww, l.stride, 'same'));
  const r = tf.randomNormal(conv(x, w).shape);
  const loss = (xx: TFJS.Tensor, ww: TFJS.Tensor) => tf.sum(tf.mul(conv(xx as T4, ww as T4), r));
  try {
    return median(() => tf.tidy(() => {
      if (wrt === 'x') tf.grad((xx: TFJS.Tensor) => loss(xx, w))(x);
      else tf.grads(loss)([x, w]);
    }), tf.getBackend() === 'cpu' ? 1 : 3).toFixed(0);
  } catch (e) {
    return `fails (${(e as Error).message.slice(0, 40)}…)`;
  } finally {
    tf.dispose([x, w, r]);
  }
}

/** Milliseconds for one op on fresh random inputs of the given shapes. */
function op(shapes: number[][], f: (...xs: TFJS.Tensor[]) => TFJS.Tensor): string {
  const xs = shapes.map((s) => tf.randomNormal(s));
  const ms = median(() => f(...xs).dispose(), 5);
  tf.dispose(xs);
  return ms.toFixed(2);
}

const ops: [string, () => string][] = [
  ['matMul aᵀ·b, 1280×16 and 1280×224 (dense dW)', () => op([[1280, 16], [1280, 224]], (a, b) => tf.matMul(a, b, true, false))],
  ['matMul a·bᵀ, 16×224 and 1280×224 (dense dx)', () => op([[16, 224], [1280, 224]], (a, b) => tf.matMul(a, b, false, true))],
  ['matMul batched 16×(196×32 · 32×196) (attention)', () => op([[16, 196, 32], [16, 32, 196]], (a, b) => tf.matMul(a, b))],
  ['tile 8×56²×24 by 6 along channels', () => op([[8, 56, 56, 24]], (x) => tf.tile(x, [1, 1, 1, 6]))],
];

const convRows: Record<string, Record<string, string>> = {};
const opRows: Record<string, Record<string, string>> = {};
function measure(column: string, convWrt: ('x' | 'x,w')[]): void {
  for (const l of layers) for (const wrt of convWrt) (convRows[l.name] ??= {})[`${column} fwd+d${wrt.replace(',', '+d')}`] = step(l, wrt);
  for (const [name, f] of ops) (opRows[name] ??= {})[column] = f();
}

measure('cpu', ['x,w']);
const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
await tf.setBackend('wasm');
measure('wasm shipped', ['x', 'x,w']);
registerWasmKernels(tf);
measure('wasm+ours', ['x', 'x,w']);
console.log('conv layer forward + backward, ms (batch 8)');
console.table(convRows);
console.log('routed ops, ms (median of 5)');
console.table(opRows);
