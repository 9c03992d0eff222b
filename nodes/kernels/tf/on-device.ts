// Keeping training state on the accelerator: on WebGPU every read of a tensor maps a staging
// buffer and waits for the GPU to finish all work queued before it, so a training step that reads
// anything back serialises the host and the GPU. Here: which backends keep state on the device,
// the flat Adam vector cut back into tensors there (no read), and one tensor's Adam step as one
// kernel (webgpu/adam.ts: 3 dispatches instead of ~15 ops), both used by train/adam.ts.
import type * as TFJS from '@tensorflow/tfjs';
import { endStep } from '../webgpu/pool.js';
import type { TF } from './backend.js';

/** Backends whose tensors live off the host (a read waits for the device): WebGPU. */
export const keepsOnDevice = (tf: TF): boolean => tf.getBackend() === 'webgpu';

/** A training step's end: on WebGPU its queued work is submitted and its freed buffers return to the pool (webgpu/pool.ts); elsewhere nothing. */
export function endDeviceStep(tf: TF): void {
  if (keepsOnDevice(tf)) endStep(tf.backend());
}

/** `x` cut into consecutive tensors of `shapes`, on the device (one slice each; nothing read back). */
export function splitOnDevice(tf: TF, x: TFJS.Tensor1D, shapes: number[][]): TFJS.Tensor[] {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return tf.tidy(() => tf.split(x, sizes).map((part, i) => tf.reshape(part, shapes[i])));
}

export interface AdamTerms { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

/** train/adam.ts's step at count `t` on the device's CtflowAdam kernel: [θ, m, v] (null moments: zeros). */
export function adamOnDevice(tf: TF, o: AdamTerms, t: number, theta: TFJS.Tensor, g: TFJS.Tensor, m: TFJS.Tensor | null, v: TFJS.Tensor | null): [TFJS.Tensor, TFJS.Tensor, TFJS.Tensor] {
  const attrs = { ...o, first: m && v ? 0 : 1, c1: o.lr / (1 - o.beta1 ** t), c2: Math.sqrt(1 - o.beta2 ** t) };
  return tf.engine().runKernel('CtflowAdam', { theta, g, m: m ?? theta, v: v ?? theta }, attrs as never) as unknown as [TFJS.Tensor, TFJS.Tensor, TFJS.Tensor];
}
