// For the WebGPU tests: start the webgpu backend, or skip the suite saying why. Under CI=true it
// must start (.ci/webgpu.sh installs Mesa's lavapipe and npm ci the optional packages), so a
// missing driver fails there instead of passing silently.
import type { Context } from 'mocha';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';

export async function webgpuOrSkip(ctx: Context): Promise<TF> {
  try {
    return (await useBackend('webgpu')).tf;
  } catch (e) {
    if (process.env.CI === 'true') throw e;
    console.log(`      (skipped: no WebGPU here: ${(e as Error).message.slice(0, 200)}; .ci/webgpu.sh install gives lavapipe)`);
    ctx.skip();
    throw e;
  }
}

/** max |a − b| / max |b| (the floor keeps an all-zero reference from dividing by zero). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** Run `fn` on `backend` and read back every tensor it returns (then dispose them). */
export async function on(backend: string, fn: (tf: TF) => { dispose(): void; data(): Promise<ArrayLike<number>> }[]): Promise<Float32Array[]> {
  const { tf } = await useBackend(backend);
  const out = tf.tidy(() => fn(tf) as never) as unknown as { dispose(): void; data(): Promise<ArrayLike<number>> }[];
  const values = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
  out.forEach((t) => t.dispose());
  return values;
}
