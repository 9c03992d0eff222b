// What a training bench ran on, printed before its figures so that a ratio can be compared with one
// measured elsewhere: CPU model, cores, load average (at the start and, from `loadNow`, at the end),
// Node, TensorFlow.js and its wasm build (SIMD, threads), and the PyTorch side's version, threads
// and build configuration (torch_info.py: oneDNN/MKL-DNN, BLAS, OpenMP, CPU capability).
import { availableParallelism, cpus, loadavg } from 'node:os';
import type { TF } from '../../nodes/kernels/tf/backend.js';

export const loadNow = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const loadAtStart = loadNow();     // when the bench imports this module, before it measures

/** The thread count of the all-cores PyTorch side: this machine's cores. */
export const cores = availableParallelism();

/** The PyTorch side's self-description (torch_info.py's `describe()`). */
export interface TorchInfo { torch: string; threads: number; default_threads: number; build: string[] }

/** Lines describing this machine, our wasm build and the PyTorch side. */
export async function hostLines(tf: TF, backend: string, torch: TorchInfo): Promise<string[]> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return [
    `machine: ${cpus()[0].model}, ${cores} cores, load average ${loadAtStart} (1, 5, 15 min) at the start`,
    `ctflow: node ${process.version}, TensorFlow.js ${tf.version.tfjs} ${backend} (SIMD ${simd}, multithread build ${threads}, threads ${wasm.getThreadsCount()})`,
    `PyTorch ${torch.torch}: default threads ${torch.default_threads}; build: ${torch.build.join('; ')}`,
  ];
}
