// ctflow's WGSL kernels registered over TensorFlow.js's own for the 'webgpu' backend: the tiled
// matrix product (BatchMatMul, _FusedMatMul), the implicit-GEMM convolution and the depthwise
// convolution, each with both gradients; the fused bi-LSTM recurrence (lstm.ts) and window
// attention (attention.ts); one tensor's Adam step (adam.ts).
// Each keeps the stock kernel for the cases it does not cover (NotCovered) and runs it then.
// Call after @tensorflow/tfjs-backend-webgpu is imported (its kernels registered); idempotent.
import type * as TFJS from '@tensorflow/tfjs';
import { adamStep } from './adam.js';
import { windowAttention, windowAttentionGrad } from './attention.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv2d.js';
import { depthwise, depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise.js';
import { lstmBackward, lstmForward } from './lstm.js';
import { batchMatMul, fusedMatMul } from './matmul.js';
import { NotCovered, type Args } from './program.js';

type TF = typeof TFJS;
type KernelFunc = Parameters<TF['registerKernel']>[0]['kernelFunc'];

export const KERNELS: Record<string, (a: Args) => TFJS.TensorInfo> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Conv2D: conv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNative: depthwise,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
};

/** Kernels TensorFlow.js does not have: seq/lstm-kernel.ts's fused bi-LSTM recurrence, seq/swin-attention.ts's window attention (their names, inputs and outputs), and one tensor's Adam step (tf/on-device.ts). */
export const ADDED: Record<string, (a: Args) => TFJS.TensorInfo[]> = {
  CtflowLstmForward: lstmForward,
  CtflowLstmBackward: lstmBackward,
  CtflowWindowAttention: windowAttention,
  CtflowWindowAttentionGrad: windowAttentionGrad,
  CtflowAdam: adamStep,
};

/** Kernel functions made here, so that registering twice changes nothing. */
const ours = new WeakSet<object>();

/** Override the webgpu kernels of KERNELS and add those of ADDED on `tf`'s registry; returns their names. */
export function registerWebgpuKernels(tf: TF): string[] {
  for (const [kernelName, kernel] of Object.entries(ADDED)) {
    if (tf.getKernel(kernelName, 'webgpu')) continue;
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: ((args: Omit<Args, 'util'>) => kernel({ ...args, util: tf.backend_util })) as unknown as KernelFunc });
  }
  for (const [kernelName, kernel] of Object.entries(KERNELS)) {
    const stock = tf.getKernel(kernelName, 'webgpu');
    if (!stock) throw new Error(`no webgpu ${kernelName} kernel to replace: import @tensorflow/tfjs-backend-webgpu first (at the version of @tensorflow/tfjs)`);
    if (ours.has(stock.kernelFunc)) continue;
    const kernelFunc = ((args: Omit<Args, 'util'>) => {
      try {
        return kernel({ ...args, util: tf.backend_util });
      } catch (e) {
        if (e instanceof NotCovered) return stock.kernelFunc(args as never);
        throw e;
      }
    }) as KernelFunc;
    ours.add(kernelFunc);
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ ...stock, kernelFunc });
  }
  return [...Object.keys(KERNELS), ...Object.keys(ADDED)];
}
