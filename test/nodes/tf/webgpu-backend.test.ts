// Choosing the WebGPU backend: software adapters are recognised from their info and `auto` never
// picks them; asking for webgpu where Dawn finds no adapter fails at once with the reason and the
// fix (run in a child process whose VK_DRIVER_FILES names no driver, so Dawn starts fresh).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { useBackend } from '../../../nodes/kernels/tf/backend.js';
import { hardwareAdapter, isSoftwareAdapter, webgpuAdapter } from '../../../nodes/kernels/tf/webgpu.js';
import { webgpuOrSkip } from './webgpu-env.js';

const run = promisify(execFile);
const backendJs = fileURLToPath(new URL('../../../nodes/kernels/tf/backend.js', import.meta.url));

describe('webgpu backend selection', function () {
  this.timeout(120_000);

  it('tells software adapters (lavapipe, SwiftShader) from GPUs by their adapter info', () => {
    const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1' };
    expect(isSoftwareAdapter(lavapipe)).to.equal(true);
    expect(isSoftwareAdapter({ ...lavapipe, architecture: '' })).to.equal(true);           // the name alone suffices
    expect(isSoftwareAdapter({ vendor: 'google', architecture: '', device: 'swiftshader', description: 'SwiftShader Device (Subzero)' })).to.equal(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' })).to.equal(false);
    expect(isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', device: '', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })).to.equal(false);
  });

  it('auto passes over a software adapter (it picks wasm or a native backend), while --backend webgpu runs on it', async function () {
    await webgpuOrSkip(this);
    const info = await webgpuAdapter();
    if (!isSoftwareAdapter(info)) this.skip();   // a real GPU here: auto may rightly choose it
    const err = await hardwareAdapter().then(() => null, (e: Error) => e);
    expect(err?.message).to.include('software').and.include('auto never picks it').and.include('--backend webgpu');
    const { backend } = await useBackend('auto');
    expect(backend).to.not.equal('webgpu');
    const gpu = await useBackend('webgpu');
    expect([gpu.backend, gpu.tf.getBackend()]).to.deep.equal(['webgpu', 'webgpu']);
    expect(Array.from(await gpu.tf.add(gpu.tf.tensor1d([1, 2]), 3).data())).to.deep.equal([4, 5]);
    await useBackend('wasm');
  });

  it('fails before any work where Dawn finds no adapter, saying why and how to fix it (or which package is missing)', async () => {
    const script = `import(${JSON.stringify(backendJs)}).then((m) => m.useBackend('webgpu')).then(() => console.log('STARTED'), (e) => console.log('ERROR ' + e.message))`;
    const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '' } });
    let installed = true;
    try { await import('webgpu' as string); } catch { installed = false; }
    if (!installed) {
      expect(stdout).to.include('ERROR webgpu is not installed').and.include('npm install webgpu@0.6.2');
      return;
    }
    expect(stdout).to.include('ERROR WebGPU found no GPU adapter').and.include('VK_DRIVER_FILES=/nonexistent/icd.json');
    expect(stdout).to.include('nvidia_icd.json').and.include('.ci/webgpu.sh install').and.include('--backend wasm');
    expect(stdout).to.not.include('STARTED');
  });
});
