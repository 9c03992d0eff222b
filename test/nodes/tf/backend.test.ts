import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { AUTO_ORDER, liveTensors, readTensor, useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

/** The package each optional backend needs. */
const PACKAGES: Record<string, string> = { tensorflow: '@tensorflow/tfjs-node', 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', webgpu: 'webgpu' };

/**
 * A small training step's arithmetic on `tf`: a 3×3 convolution, ReLU, a matrix product, and the
 * gradients of the summed squares with respect to all three inputs.
 */
async function probe(tf: TF): Promise<Record<string, Float32Array>> {
  const rng = rngFrom('backend-parity');
  const values = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
  const inputs = [tf.tensor4d(values(2 * 8 * 8 * 3), [2, 8, 8, 3]), tf.tensor4d(values(3 * 3 * 3 * 4), [3, 3, 3, 4]), tf.tensor2d(values(256 * 5), [256, 5])];
  const net = (x: TFJS.Tensor, w: TFJS.Tensor, m: TFJS.Tensor) => tf.matMul(tf.reshape(tf.relu(tf.conv2d(x as TFJS.Tensor4D, w as TFJS.Tensor4D, 1, 'same')), [2, 256]), m as TFJS.Tensor2D);
  const out = tf.tidy(() => [net(inputs[0], inputs[1], inputs[2]), ...tf.grads((x, w, m) => tf.sum(tf.square(net(x, w, m))))(inputs)]);
  const names = ['output', 'gradient of x', 'gradient of the filter', 'gradient of the matrix'];
  const result = Object.fromEntries(await Promise.all(out.map(async (t, i) => [names[i], await t.data() as Float32Array] as const)));
  tf.dispose([...out, ...inputs]);
  return result;
}

describe('model backends (useBackend)', function () {
  this.timeout(30_000);
  after(() => useBackend('wasm'));

  it('rejects an unknown name and lists the valid ones', async () => {
    const err = await useBackend('tensorflow-cpu').then(() => null, (e: Error) => e);
    expect(err?.message).to.include('unknown model backend "tensorflow-cpu"').and.include('auto, tensorflow-gpu, tensorflow, wasm, cpu, webgpu');
  });

  it('runs WebAssembly with the SIMD binary and the training kernels registered', async () => {
    const { tf, backend } = await useBackend('wasm');
    expect(backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    expect(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')).to.equal(true);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).to.exist;
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(await readTensor(y))).to.deep.equal([17, 39]);
  });

  it('switches to the CPU backend and back, initialising each once', async () => {
    const first = await useBackend('wasm');
    const wasmInstance = first.tf.engine().backend;
    const cpu = await useBackend('cpu');
    expect(cpu.backend).to.equal('cpu');
    expect(cpu.tf.getBackend()).to.equal('cpu');
    const again = await useBackend('wasm');
    expect(again.tf).to.equal(first.tf);
    expect(again.tf.engine().backend).to.equal(wasmInstance);
  });

  it("'auto' takes the first that starts of the native GPU and CPU bindings, then WebAssembly", async () => {
    expect(AUTO_ORDER).to.deep.equal(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    // A native package can be installed without its binding (its install step downloads libtensorflow).
    let expected = '';
    for (const name of AUTO_ORDER) {
      if (await useBackend(name).then(() => true, () => false)) {
        expected = name;
        break;
      }
    }
    const { backend } = await useBackend('auto');
    expect(backend).to.equal(expected);
  });

  // Installed optional backends are run by the parity tests below; here, the absent ones.
  for (const [name, pkg] of Object.entries(PACKAGES).filter(([, p]) => !installed(p))) {
    it(`'${name}' asked for explicitly fails naming ${pkg} and the way out, as it is not installed here`, async () => {
      const err = await useBackend(name).then(() => null, (e: Error) => e);
      expect(err?.message).to.include(`${pkg} is not installed`).and.include(name === 'webgpu' ? 'npm install webgpu' : '--backend wasm');
    });
  }

  it('counts live tensors', async () => {
    const { tf } = await useBackend('wasm');
    const before = liveTensors(tf);
    const t = tf.ones([3]);
    expect(liveTensors(tf)).to.equal(before + 1);
    t.dispose();
    expect(liveTensors(tf)).to.equal(before);
  });

  it('does not load TensorFlow.js when the module is imported, only when a backend is used', () => {
    const backendJs = fileURLToPath(new URL('../../../nodes/kernels/tf/backend.js', import.meta.url));
    const code = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const tfLoaded = () => Object.keys(cache).some((k) => k.includes('@tensorflow'));
      const m = await import(${JSON.stringify(backendJs)});
      const afterImport = tfLoaded();
      await m.useBackend('cpu');
      console.log(JSON.stringify({ afterImport, afterUse: tfLoaded() }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).to.deep.equal({ afterImport: false, afterUse: true });
  });
});

/**
 * Largest |got − CPU| of any element, relative to the largest |CPU value| of its tensor. wasm:
 * measured 3.3e-7 (float32 in another summation order), bound 1e-5. The others are not installed
 * on the development machine, so their bounds are not measured: native TensorFlow on the CPU sums
 * float32 like wasm; WebGPU shaders are float32 with fused multiply-adds; on a GPU TensorFlow runs
 * convolutions and matrix products in TF32 (10-bit mantissa, relative error ~5e-4 per product).
 */
const PARITY_TOL: Record<string, number> = { wasm: 1e-5, tensorflow: 1e-5, webgpu: 1e-4, 'tensorflow-gpu': 2e-3 };

describe('backend parity: every backend installed here against the pure-JS CPU backend', function () {
  this.timeout(60_000);
  let reference: Record<string, Float32Array>;
  before(async () => {
    reference = await probe((await useBackend('cpu')).tf);
  });
  after(() => useBackend('wasm'));

  for (const name of ['wasm', ...Object.keys(PACKAGES).filter((n) => installed(PACKAGES[n]))]) {
    it(`${name}: a convolution, a matrix product and their gradients, element by element`, async function () {
      const started = await useBackend(name).then((b) => b, (e: Error) => e);
      // An optional backend can be installed and still not start: a native package whose binding
      // was not downloaded, WebGPU without a GPU adapter. Said, then left out.
      if (started instanceof Error && name !== 'wasm') {
        console.log(`      ${name} is installed but does not start here: ${started.message}`);
        this.skip();
      }
      if (started instanceof Error) throw started;
      expect(started.backend).to.equal(name);
      const got = await probe(started.tf);
      for (const [what, want] of Object.entries(reference)) {
        expect(got[what].length, what).to.equal(want.length);
        const bound = PARITY_TOL[name] * Math.max(...want.map(Math.abs));
        const bad = want.findIndex((w, i) => !(Math.abs(got[what][i] - w) <= bound));
        expect(bad, `${what}: element ${bad} is ${got[what][bad]}, the CPU backend's ${want[bad]}`).to.equal(-1);
      }
    });
  }
});
