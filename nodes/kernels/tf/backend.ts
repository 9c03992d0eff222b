// The TensorFlow.js backend that runs model nodes. TensorFlow.js is imported lazily here, never at
// the top level of a module the node registry imports: a fully cached run does not load it.
// 'auto' prefers the native bindings (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node: both
// optional, their install step downloads libtensorflow), then WebAssembly, then plain JS.
// WebGPU (Dawn, through the npm package `webgpu`) is used only when asked for. See docs/backends.md.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { registerWasmKernels } from './wasm-grad-kernels/index.js';

export type TF = typeof TFJS;

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
type Concrete = Exclude<BackendName, 'auto'>;

/** What 'auto' tries, in order. */
export const AUTO_ORDER: readonly Concrete[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

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
  for (const candidate of AUTO_ORDER) {
    try {
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
    case 'webgpu':
      await prepareWebgpu();
  }
}

/** Dawn's WebGPU for Node, wired as docs/backends.md describes; fails with the missing piece named. */
async function prepareWebgpu(): Promise<void> {
  const install = 'WebGPU needs the npm packages "webgpu" (Dawn) and "@tensorflow/tfjs-backend-webgpu" (same version as @tensorflow/tfjs): npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 (see docs/backends.md)';
  const dawn = await importOptional('webgpu', install);
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (!(await gpu.requestAdapter())) {
    throw new Error('WebGPU found no GPU adapter: Dawn needs a Vulkan driver (libvulkan1, and VK_DRIVER_FILES pointing at the NVIDIA ICD json; see docs/backends.md)');
  }
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };
  await importOptional('@tensorflow/tfjs-backend-webgpu', install);
}

/** Import a package that may be absent; the error says which and what to do. */
async function importOptional(pkg: string, hint: string): Promise<any> {
  try {
    return await import(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const what = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? 'is not installed' : 'failed to load';
    throw new Error(`${pkg} ${what} (${(e as Error).message.split('\n')[0]}). ${hint}`);
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
