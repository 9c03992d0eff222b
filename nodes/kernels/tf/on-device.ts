// Keeping training state on the accelerator: on WebGPU every read of a tensor maps a staging
// buffer and waits for the GPU to finish all work queued before it, so a training step that reads
// anything back serialises the host and the GPU. Here: which backends keep state on the device,
// and the flat Adam vector cut back into tensors there (no read), used by train/adam.ts.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from './backend.js';

/** Backends whose tensors live off the host (a read waits for the device): WebGPU. */
export const keepsOnDevice = (tf: TF): boolean => tf.getBackend() === 'webgpu';

/** `x` cut into consecutive tensors of `shapes`, on the device (one slice each; nothing read back). */
export function splitOnDevice(tf: TF, x: TFJS.Tensor1D, shapes: number[][]): TFJS.Tensor[] {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  return tf.tidy(() => tf.split(x, sizes).map((part, i) => tf.reshape(part, shapes[i])));
}
