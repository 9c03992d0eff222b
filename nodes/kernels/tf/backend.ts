// The TensorFlow.js backend that runs model nodes. TensorFlow.js is imported lazily here, never at
// the top level of a module the node registry imports: a fully cached run does not load it.
// 'auto' prefers the native bindings (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node: both
// optional, their install step downloads libtensorflow), then WebAssembly, then plain JS. WebGPU
// (Dawn, through the optional npm package `webgpu`, webgpu.ts; ctflow's WGSL kernels over the stock
// ones, ../webgpu/) runs when asked for, and `auto` tries it after tensorflow-gpu only where Dawn
// finds a hardware adapter (never lavapipe). See docs/backends.md and docs/gpu.md.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { importOptional } from './optional.js';
import { registerWasmKernels } from './wasm-grad-kernels/index.js';
import { hardwareAdapter, prepareWebgpu } from './webgpu.js';

export type TF = typeof TFJS;

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
type Concrete = Exclude<BackendName, 'auto'>;

/** What 'auto' tries, in order, where no hardware WebGPU adapter is present. */
export const AUTO_ORDER: readonly Concrete[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Where 'auto' tries webgpu when Dawn finds a hardware adapter: right after CUDA TensorFlow. */
const WEBGPU_AFTER: Concrete = 'tensorflow-gpu';

/** TensorFlow.js's own name for each backend. */
const TFJS_NAME: Record<Concrete, string> = {
  'tensorflow-gpu': 'tensorflow', tensorflow: 'tensorflow', wasm: 'wasm', cpu: 'cpu', webgpu: 'webgpu',
};

const require = createRequire(import.meta.url);
let tfjs: Promise<TF> | null = null;
const prepared = new Map<Concrete, Promise<void>>();

export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/**
 * Make `name` the current TensorFlow.js backend (initialising it once) and return TensorFlow.js
 * with the backend that actually runs: for 'auto', the first of AUTO_ORDER that starts.
 */
export async function useBackend(name: string): Promise<{ tf: TF; backend: string }> {
  if (!isBackendName(name)) {
    throw new Error(`unknown model backend "${name}": use one of ${BACKENDS.join(', ')} (e.g. --backend wasm)`);
  }
  tfjs ??= import('@tensorflow/tfjs');
  const tf = await tfjs;
  if (name !== 'auto') {
    await activate(tf, name);
    return { tf, backend: name };
  }
  const failures: string[] = [];
  const order = AUTO_ORDER.flatMap((c) => (c === WEBGPU_AFTER ? [c, 'webgpu' as const] : [c]));
  for (const candidate of order) {
    try {
      if (candidate === 'webgpu') await hardwareAdapter();
      await activate(tf, candidate);
      return { tf, backend: candidate };
    } catch (e) {
      failures.push(`${candidate}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start:\n  ${failures.join('\n  ')}`);
}

async function activate(tf: TF, name: Concrete): Promise<void> {
  let ready = prepared.get(name);
  if (!ready) {
    ready = prepare(tf, name);
    prepared.set(name, ready);
  }
  await ready;
  if (!(await tf.setBackend(TFJS_NAME[name]))) {
    throw new Error(`TensorFlow.js backend "${name}" failed to initialise (its reason is logged above); choose another with --backend`);
  }
  if (name === 'webgpu') (await import('../webgpu/pool.js')).installPool(tf.backend());
}

async function prepare(tf: TF, name: Concrete): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      await importOptional(pkg, `${pkg} is optional (its install step downloads libtensorflow); run "npm install ${pkg}" where that works, or use --backend wasm`);
      if (!tf.findBackendFactory('tensorflow')) {
        throw new Error(`${pkg} loaded but registered its backend with another copy of @tensorflow/tfjs: install the same version as @tensorflow/tfjs (npm ls @tensorflow/tfjs-core)`);
      }
      return;
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // The .wasm binaries sit next to the package's main file. Node 20 gets the SIMD binary: tfjs
      // 4.22 turns threads off in Node (its worker is a blob: URL, which worker_threads refuse).
      wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
      registerWasmKernels(tf);
      return;
    }
    case 'cpu':
      return;
    case 'webgpu': {
      await prepareWebgpu();
      const { registerWebgpuKernels } = await import('../webgpu/index.js');
      registerWebgpuKernels(tf);
    }
  }
}

/**
 * Read a tensor's values. Always asynchronous: the WebGPU backend cannot read synchronously
 * (dataSync throws there), so model code reads through this and never through dataSync.
 */
export async function readTensor<D extends TFJS.DataType = 'float32'>(t: TFJS.Tensor): Promise<TFJS.DataTypeMap[D]> {
  return t.data<D>();
}

/** Tensors alive now: the conformance suite checks this stays level across epochs. */
export function liveTensors(tf: TF): number {
  return tf.memory().numTensors;
}
