// Kernels written in TypeScript over a backend's own buffers, for the backends whose memory
// JavaScript can address (WebAssembly: its heap; the pure-JS CPU backend: its typed arrays). The
// sequence models use them where TensorFlow.js's kernels spend their time in bookkeeping or slow
// loops (an LSTM time step, a row permutation, a column sum); other backends use TensorFlow.js ops.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { simdKernels, type Simd } from './simd.js';

export type Info = TFJS.TensorInfo;

export const HOST_BACKENDS = ['wasm', 'cpu'] as const;

/** Whether the current backend runs host kernels. */
export const onHost = (tf: TF) => (HOST_BACKENDS as readonly string[]).includes(tf.getBackend());

/** What a host kernel needs from a backend: float32 buffers it can view, and the backend's matrix product. */
export interface Host {
  /** A new buffer, zero-filled. */
  zeros(shape: number[]): Info;
  /** A new buffer whose values the kernel will all write (not filled on wasm). */
  empty(shape: number[]): Info;
  /** The buffer's values; valid until the next allocation (the wasm heap may move when it grows). */
  view(info: Info): Float32Array;
  free(info: Info): void;
  /** a [M, K] · b [K, N] → [M, N]. On wasm (XNNPACK) `b` is packed once per buffer: never write into a `b` after using it. */
  matmul(a: Info, b: Info): Info;
  /** The SIMD kernels on the wasm heap (addresses: a view's byteOffset), where they run; null elsewhere. */
  simd: Simd | null;
}

interface WasmLike { makeOutput(shape: number[], dtype: 'float32'): Info; typedArrayFromHeap(i: Info): ArrayLike<number>; disposeData(id: object): boolean }
interface CpuLike { makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): Info; data: { get(id: object): { values?: unknown } }; disposeData(id: object): boolean }

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function host(tf: TF, backendName: string, backend: unknown): Host {
  const mm = tf.getKernel('BatchMatMul', backendName).kernelFunc as unknown as (a: object) => Info;
  const common = {
    free: (i: Info) => void (backend as WasmLike).disposeData(i.dataId),
    matmul: (a: Info, b: Info) => mm({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }),
  };
  if (backendName === 'wasm') {
    const be = backend as WasmLike;
    const view = (i: Info) => be.typedArrayFromHeap(i) as Float32Array;
    const empty = (shape: number[]) => be.makeOutput(shape, 'float32');
    return { ...common, view, empty, simd: simdKernels(backend), zeros: (shape) => { const o = empty(shape); view(o).fill(0); return o; } };
  }
  const be = backend as CpuLike;
  const zeros = (shape: number[]) => be.makeTensorInfo(shape, 'float32', new Float32Array(size(shape)));
  return { ...common, simd: null, view: (i) => be.data.get(i.dataId).values as Float32Array, zeros, empty: zeros };
}

export type HostKernel<A> = (h: Host, inputs: Record<string, Info>, attrs: A) => Info | Info[];

/** Register `kernel` as `name` on host backends (idempotent); run it with tf.engine().runKernel(name, inputs, attrs). */
export function registerHostKernel<A>(tf: TF, name: string, kernel: HostKernel<A>, backends: readonly string[] = HOST_BACKENDS): void {
  for (const backendName of backends) {
    if (tf.getKernel(name, backendName)) continue;
    const kernelFunc = ({ inputs, backend, attrs }: { inputs: Record<string, Info>; backend: unknown; attrs: unknown }) => kernel(host(tf, backendName, backend), inputs, attrs as A);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: kernelFunc as never });
  }
}
