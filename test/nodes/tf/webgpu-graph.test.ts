// Issue 18 item 5: graphs/two-step.yaml run fresh on webgpu (lavapipe here; the tiny JPEG folder,
// training shortened as two-step.test.ts shortens it) notes in its run record which backend each
// model node used; and where Dawn finds no adapter (VK_DRIVER_FILES naming no driver, in a child
// `ctflow run`, so Dawn starts fresh), the first model node fails before training with the reason
// and the fix, and what was computed upstream is kept.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listRuns } from '../../../engine/runs.js';
import { runFile, session, tempDir } from '../../helpers/engine.js';
import { webgpuOrSkip } from './webgpu-env.js';

const run = promisify(execFile);
const FILE = 'graphs/two-step.yaml';
const SHORT = [
  'scans.params.path=test/fixtures/image-folder/tiny',
  'cnn.params.resolution=32', 'cnn.params.epochs=1', 'cnn.params.stepsPerEpoch=1',
  'lstm.params.epochs=1', 'swin.params.epochs=1', 'swin.params.dim=24', 'swin.params.depths=[1, 1, 1, 1]',
  'seq-lstm.params.draws=2', 'seq-swin.params.draws=2', 'cnn-score.params.draws=2', 'evaluate.params.meanK=[2]',
];
/** Smaller models still (lavapipe compiles a shader per new shape and runs them on the CPU): the test's time is spent here. */
const SMALLER = [
  'cnn.params.backbone=small', 'cnn.params.embedding=16',
  'seq-lstm.params.length=12', 'lstm.params.length=12', 'lstm.params.hidden=8', 'lstm.params.layers=2', 'lstm.params.head=4',
  'seq-swin.params.length=32', 'swin.params.length=32', 'swin.params.preset=small-cpu', 'swin.params.patch=2', 'swin.params.dim=16', 'swin.params.depths=[2, 2]', 'swin.params.heads=[2, 4]', 'swin.params.window=4',
];
/** The nodes of two-step.yaml that run a model. */
const MODEL_NODES = ['cnn', 'embed', 'lstm', 'swin'];

describe('graphs/two-step.yaml on webgpu', function () {
  this.timeout(600_000);

  it('runs fresh on webgpu and its run record names webgpu as the backend of every model node', async function () {
    await webgpuOrSkip(this);
    const s = session(join(tempDir(), 'runs'), { backend: 'webgpu', inProcess: true });
    const out = await runFile(s, FILE, [...SHORT, ...SMALLER]);
    console.log(`      node ms: ${Object.entries(out.record.nodes).map(([k, n]) => `${k} ${n.ms ?? '-'}`).join(', ')}`);
    expect(out.record.status, JSON.stringify(Object.fromEntries(Object.entries(out.record.nodes).map(([k, n]) => [k, n.error])))).to.equal('ok');
    const backends = Object.fromEntries(MODEL_NODES.map((id) => [id, (out.record.nodes[id] as { notes?: Record<string, unknown> }).notes?.backend]));
    expect(backends).to.deep.equal(Object.fromEntries(MODEL_NODES.map((id) => [id, 'webgpu'])));
  });

  it('fails at the first model node, before training, saying why and how to fix it, where Dawn finds no adapter', async function () {
    await webgpuOrSkip(this);     // the packages are installed (without them the error names them: webgpu-backend.test.ts)
    const runs = join(tempDir(), 'runs');
    const sets = SHORT.flatMap((x) => ['--set', x]);
    const child = await run(process.execPath, ['bin/ctflow.cjs', 'run', FILE, ...sets, '--backend', 'webgpu', '--runs', runs, '--no-report'], {
      env: { ...process.env, VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '' }, maxBuffer: 1 << 24,
    }).then(() => null, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(child, 'ctflow run fails').to.not.equal(null);
    const said = `${child!.stdout}\n${child!.stderr}`;
    expect(said).to.include('cnn').and.include('WebGPU found no GPU adapter').and.include('VK_DRIVER_FILES=/nonexistent/icd.json');
    expect(said).to.include('Fix:').and.include('--backend wasm');
    expect(said, 'no epoch trained').to.not.match(/epoch 1\/1/);
    const records = listRuns(runs);
    expect(records).to.have.length(1);
    const { nodes } = records[0];
    expect(nodes.cnn.status).to.equal('failed');
    expect(nodes.cnn.error).to.include('WebGPU found no GPU adapter').and.include('Fix:');
    expect(nodes.window.status, 'upstream work kept').to.equal('ran');
    expect(nodes.cnn.notes?.best_epoch, 'no epoch trained').to.equal(undefined);
  });
});
