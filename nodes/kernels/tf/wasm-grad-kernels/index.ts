// Registers the kernels the WebAssembly backend needs to train conv nets, and re-registers its
// slow scalar-loop kernels with compositions of its fast ones. Idempotent.
import type { Kernel, TF } from './compose.js';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise.js';
import { batchMatMul } from './matmul.js';
import { unsortedSegmentSum } from './segment.js';
import { tile } from './tile.js';

/** Kernels the backend lacks, built here. */
const added: Record<string, (tf: TF) => Kernel> = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  UnsortedSegmentSum: unsortedSegmentSum,
};

/** Shipped kernels routed through faster compositions (each keeps the shipped one for the cases it handles well). */
const routed: Record<string, (tf: TF, shipped: Kernel) => Kernel> = {
  BatchMatMul: batchMatMul,
  Conv2DBackpropInput: conv2dBackpropInput,
  Tile: tile,
};

type TFKernelFunc = Parameters<TF['registerKernel']>[0]['kernelFunc'];

/** Kernel functions made here, so that registering twice changes nothing. */
const ours = new WeakSet<object>();

/** Register on `tf`'s kernel registry (before or after the wasm backend is initialised); returns the kernel names. */
export function registerWasmKernels(tf: TF): string[] {
  for (const [kernelName, make] of Object.entries(added)) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    const kernelFunc = make(tf);
    ours.add(kernelFunc);
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as TFKernelFunc });
  }
  for (const [kernelName, make] of Object.entries(routed)) {
    const shipped = tf.getKernel(kernelName, 'wasm');
    if (!shipped) throw new Error(`no wasm ${kernelName} kernel to route: import @tensorflow/tfjs-backend-wasm first (at the version in package.json)`);
    if (ours.has(shipped.kernelFunc)) continue;
    const kernelFunc = make(tf, shipped.kernelFunc as unknown as Kernel);
    ours.add(kernelFunc);
    tf.unregisterKernel(kernelName, 'wasm');
    // setupFunc stays: the shipped kernel still runs for the cases it is fast at.
    tf.registerKernel({ ...shipped, kernelFunc: kernelFunc as unknown as TFKernelFunc });
  }
  return [...Object.keys(added), ...Object.keys(routed)];
}
