// WebGPU for TensorFlow.js in Node: Dawn (npm package `webgpu`, optional) as navigator.gpu, then
// @tensorflow/tfjs-backend-webgpu (optional). Probes the adapter once and says what it is, so that
// `auto` can refuse software adapters (Mesa's lavapipe/llvmpipe, SwiftShader): they are for
// correctness tests, never for speed. See docs/backends.md and ../shared/GPU.md.
import { importOptional } from './optional.js';

/** The fields of GPUAdapterInfo that tell a GPU from a software rasteriser. */
export interface AdapterInfo { vendor: string; architecture: string; device: string; description: string }

const INSTALL = 'WebGPU needs the npm packages "webgpu" (Dawn) and "@tensorflow/tfjs-backend-webgpu" (same version as @tensorflow/tfjs): npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 (see docs/backends.md)';

/** True for adapters that run on the CPU: lavapipe/llvmpipe, softpipe, SwiftShader, or architecture "software". */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  if (info.architecture.toLowerCase() === 'software') return true;
  return /llvmpipe|lavapipe|softpipe|swiftshader|software/i.test(`${info.vendor} ${info.device} ${info.description}`);
}

/** One line naming the adapter, for errors and the bench header. */
export const describeAdapter = (i: AdapterInfo) => [i.description || i.device, i.vendor && `vendor ${i.vendor}`, i.architecture && `architecture ${i.architecture}`].filter(Boolean).join(', ');

/** Why no adapter was found, and what to do about it. */
function noAdapter(): Error {
  const files = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  return new Error(`WebGPU found no GPU adapter: Dawn found no working Vulkan driver${files ? ` (VK_DRIVER_FILES=${files})` : ''}. `
    + 'Fix: install libvulkan1 and the GPU\'s Vulkan driver and point VK_DRIVER_FILES at its ICD json (NVIDIA: '
    + 'VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json, plus libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2); '
    + 'without a GPU, Mesa\'s lavapipe runs it slowly for tests (.ci/webgpu.sh install); or use --backend wasm');
}

let probed: Promise<{ gpu: object; info: AdapterInfo }> | null = null;

/** Dawn's adapter as TensorFlow.js will request it (high-performance), probed once. */
function probe(): Promise<{ gpu: object; info: AdapterInfo }> {
  probed ??= (async () => {
    const dawn = await importOptional('webgpu', INSTALL);
    Object.assign(globalThis, dawn.globals);
    let gpu: { requestAdapter(o?: object): Promise<{ info: AdapterInfo } | null> };
    try {
      gpu = dawn.create([]);
    } catch (e) {
      throw new Error(`${noAdapter().message} (Dawn: ${(e as Error).message})`);
    }
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (!adapter) throw noAdapter();
    const { vendor = '', architecture = '', device = '', description = '' } = adapter.info ?? {};
    return { gpu, info: { vendor, architecture, device, description } };
  })();
  return probed;
}

/** What Dawn's adapter is; fails naming the missing package, or with the reason no adapter was found and the fix. */
export const webgpuAdapter = async (): Promise<AdapterInfo> => (await probe()).info;

/**
 * Everything the 'webgpu' TensorFlow.js backend needs before tf.setBackend('webgpu'): Dawn as
 * navigator.gpu (set only here, not when `auto` merely probes), then the backend package. A
 * software adapter is accepted.
 */
export async function prepareWebgpu(): Promise<AdapterInfo> {
  const { gpu, info } = await probe();
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };
  await importOptional('@tensorflow/tfjs-backend-webgpu', INSTALL);
  return info;
}

/** The check `auto` makes: a hardware adapter, else an error saying why webgpu was passed over. */
export async function hardwareAdapter(): Promise<AdapterInfo> {
  const info = await webgpuAdapter();
  if (isSoftwareAdapter(info)) {
    throw new Error(`the only WebGPU adapter is a software one (${describeAdapter(info)}): auto never picks it; ask for it with --backend webgpu`);
  }
  return info;
}
