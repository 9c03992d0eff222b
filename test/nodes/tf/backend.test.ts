import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AUTO_ORDER, liveTensors, readTensor, useBackend } from '../../../nodes/kernels/tf/backend.js';

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

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

  it("'auto' takes the native bindings when installed, else WebAssembly", async () => {
    const expected = installed('@tensorflow/tfjs-node-gpu') ? 'tensorflow-gpu' : installed('@tensorflow/tfjs-node') ? 'tensorflow' : 'wasm';
    const { backend } = await useBackend('auto');
    expect(backend).to.equal(expected);
    expect(AUTO_ORDER).to.deep.equal(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
  });

  for (const [name, pkg] of [['tensorflow', '@tensorflow/tfjs-node'], ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu']]) {
    it(`'${name}' asked for explicitly fails naming ${pkg} and the way out when it is absent`, async function () {
      if (installed(pkg)) this.skip(); // installed here: nothing absent to report
      const err = await useBackend(name).then(() => null, (e: Error) => e);
      expect(err?.message).to.include(`${pkg} is not installed`).and.include('--backend wasm');
    });
  }

  it("'webgpu' fails naming the missing package when Dawn is not installed", async function () {
    if (installed('webgpu')) this.skip(); // Dawn installed: the GPU path is checked on a GPU machine
    const err = await useBackend('webgpu').then(() => null, (e: Error) => e);
    expect(err?.message).to.include('webgpu is not installed').and.include('npm install webgpu');
  });

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
