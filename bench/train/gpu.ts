// Samples/s of the paper's models on ctflow's WebGPU backend (tfjs-backend-webgpu through Dawn,
// with ctflow's WGSL kernels, nodes/kernels/webgpu) against PyTorch CUDA on the same GPU, in one run: the CNN (EfficientNet b0 and b3 at 224²,
// batch 16 and 64, training and inference), the 4×bi-LSTM-128 over 120×224 and the Swin-T over
// 224×224 (batch 8, training and inference). Each model: two warm-up steps (shader compilation,
// the buffer pool filled), a third counted, then steps until --steps are done or --seconds have passed; then the same on gpu_torch.py.
// Training reads the loss back every --read-every steps (LossReader: nothing else is read inside a
// step), and the timed span ends with that read, so the GPU work queued is all counted.
// Prints each side's samples/s and the ratio (ours / PyTorch), the WebGPU dispatches, readbacks and
// buffers created of that counted step, the adapter, the host and the versions. Without PyTorch CUDA it says the anchor
// is missing and prints our side alone. Command (docs/backends.md; ~10 min on one H100):
//
//   npm run build && node dist/bench/train/gpu.js [--tiny] [--backend webgpu] [--steps 3]
//     [--seconds 15] [--read-every 10] [--budget 540] [--only REGEX] [--python python3]
//
// --budget: seconds for the whole run (both sides); a case that would start after it is listed as
// not run, so the command ends within the 10 minutes even where our side is very slow.
// --tiny: toy sizes that run on lavapipe in a minute (checks the bench runs; its speed means nothing).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rngFrom } from '../../engine/rng.js';
import { architecture, PRESETS, type Backbone } from '../../nodes/kernels/cnn/architecture.js';
import { SWIN_PRESETS, type SwinConfig } from '../../nodes/kernels/seq/swin-model.js';
import type { LstmConfig } from '../../nodes/kernels/seq/lstm-model.js';
import { useBackend, type TF } from '../../nodes/kernels/tf/backend.js';
import { LossReader } from '../../nodes/kernels/tf/loss-reader.js';
import { cnnModelStep, lstmModelStep, swinModelStep, type ModelStep } from '../../nodes/kernels/tf/model-steps.js';
import { countWebgpu } from '../../nodes/kernels/tf/webgpu-counters.js';
import { describeAdapter, webgpuAdapter } from '../../nodes/kernels/tf/webgpu.js';

const { values: a } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false }, backend: { type: 'string', default: 'webgpu' }, steps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '15' }, 'read-every': { type: 'string', default: '10' }, budget: { type: 'string', default: '540' }, only: { type: 'string' }, python: { type: 'string', default: process.env.PYTHON ?? 'python3' },
  },
});
const steps = Number(a.steps), seconds = Number(a.seconds), readEvery = Number(a['read-every']), budget = Number(a.budget);
const started = performance.now();
type Mode = 'train' | 'infer';
interface Case { name: string; mode: Mode; build: (tf: TF) => ModelStep; torch: Record<string, unknown> }

const rngFor = (label: string) => rngFrom(`gpu-bench:${label}`);
const cnn = (backbone: Backbone, resolution: number, batch: number, embedding: number): Omit<Case, 'mode'> => {
  const cfg = { ...PRESETS[backbone], resolution, embedding };
  return {
    name: `cnn ${backbone} ${resolution}² batch ${batch}`,
    build: (tf) => cnnModelStep(tf, rngFor, backbone, resolution, batch, embedding),
    torch: { kind: 'cnn', width: cfg.width, depth: cfg.depth, embedding, resolution, batch, arch: architecture(cfg) },
  };
};
const lstm = (c: LstmConfig, length: number, batch: number): Omit<Case, 'mode'> => ({
  name: `lstm ${c.layers}×bi-${c.hidden} ${length}×${c.input} batch ${batch}`,
  build: (tf) => lstmModelStep(tf, rngFor, c, length, batch),
  torch: { kind: 'lstm', ...c, length, batch },
});
const swin = (label: string, c: SwinConfig, batch: number): Omit<Case, 'mode'> => ({
  name: `swin ${label} ${c.height}×${c.width} batch ${batch}`,
  build: (tf) => swinModelStep(tf, rngFor, c, batch),
  torch: { kind: 'swin', ...c, batch },
});

const models = a.tiny
  ? [cnn('small', 32, 2, 8), lstm({ input: 8, hidden: 8, layers: 4, head: 8 }, 6, 2), swin('small-cpu p2 C16 w4', { ...SWIN_PRESETS['small-cpu'], patch: 2, dim: 16, window: 4, height: 32, width: 32 }, 2)]
  : [
    cnn('b0', 224, 16, 224), cnn('b0', 224, 64, 224), cnn('b3', 224, 16, 224), cnn('b3', 224, 64, 224),
    lstm({ input: 224, hidden: 128, layers: 4, head: 64 }, 120, 8),
    swin('Swin-T', { ...SWIN_PRESETS.tiny, height: 224, width: 224 }, 8),
  ];
const only = a.only ? new RegExp(a.only) : null;
const cases: Case[] = models.flatMap((m) => (['train', 'infer'] as const).map((mode) => ({ ...m, mode }))).filter((c) => !only || only.test(`${c.name} ${c.mode}`));

/** gpu_torch.py as a persistent process, or null with the reason (no python, no torch, no CUDA). */
async function startTorch(): Promise<{ run(job: object): Promise<{ samples_per_s: number; params: number }>; info: string; close(): void } | { missing: string }> {
  const script = fileURLToPath(new URL('../../../bench/train/gpu_torch.py', import.meta.url));
  const child = spawn(a.python!, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('error', (e) => { stderr += e.message; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`${a.python} ${script} stopped: ${stderr.trim().split('\n').slice(-2).join(' | ') || 'no output'}`);
    return JSON.parse(line.value);
  };
  try {
    const hello = await next();
    if (hello.error) throw new Error(hello.error);
    return {
      info: `PyTorch ${hello.torch} CUDA ${hello.cuda} on ${hello.device} (fp32, TF32 off)`,
      run: async (job) => {
        child.stdin.write(`${JSON.stringify(job)}\n`);
        return next();
      },
      close: () => child.stdin.end(),
    };
  } catch (e) {
    child.kill();
    return { missing: (e as Error).message };
  }
}

/** Our side: two warm-up steps, a steady-state step counted (dispatches, readbacks, buffers created), then the timed steps. */
async function ours(tf: TF, c: Case): Promise<{ perS: number; n: number; figures: string }> {
  const m = c.build(tf);
  const reader = new LossReader(tf, readEvery);
  const once = async () => {
    if (c.mode === 'train') await reader.add(await m.step());
    else await m.infer();
  };
  await once();      // warm-up, two steps: shaders compiled, Adam's moments made (the first step has none), the pool filled
  await once();
  await reader.flush();
  const counter = tf.getBackend() === 'webgpu' ? countWebgpu(tf) : null;
  await once();      // a steady-state step, counted (with its loss read: 1 readback of 4 B)
  await reader.flush();
  const f = counter?.stop();
  let n = 0;
  const t0 = performance.now();
  while (n < steps && (n === 0 || performance.now() - t0 < seconds * 1000)) {
    await once();
    n++;
  }
  await reader.flush();
  const ms = (performance.now() - t0) / n;
  reader.dispose();
  m.dispose();
  return { perS: (m.batch * 1000) / ms, n, figures: f ? `${f.dispatches} dispatches (${f.ctflowDispatches} ctflow), ${f.readbacks} readbacks (${f.readbackBytes} B), ${f.buffersCreated} buffers created` : '' };
}

const { tf, backend } = await useBackend(a.backend!);
const adapter = backend === 'webgpu' ? describeAdapter(await webgpuAdapter()) : 'no WebGPU adapter (not webgpu)';
const torch = await startTorch();
const require = createRequire(import.meta.url);
const version = (pkg: string) => { try { return require(`${pkg}/package.json`).version as string; } catch { return 'not installed'; } };
console.log(`ctflow ${backend} (TensorFlow.js ${tf.version.tfjs}, tfjs-backend-webgpu ${version('@tensorflow/tfjs-backend-webgpu')}, Dawn npm webgpu ${version('webgpu')}, Node ${process.version}) on ${adapter}`);
console.log(`host: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; VK_DRIVER_FILES=${process.env.VK_DRIVER_FILES ?? '(unset)'}`);
console.log('info' in torch ? `anchor: ${torch.info}` : `anchor missing: ${torch.missing} — printing ctflow's side alone`);
console.log(`${a.tiny ? 'TINY sizes (a check that the bench runs, not a measurement); ' : ''}two warm-up steps and a counted one, then ${steps} steps or ${seconds} s per case; training reads the loss every ${readEvery} steps`);
console.log(`${'case'.padEnd(42)} ${'mode'.padEnd(5)} ${'ours/s'.padStart(9)} ${'torch/s'.padStart(9)} ${'ratio'.padStart(8)}  one steady step on ${backend}`);
for (const c of cases) {
  if (performance.now() - started > budget * 1000) {
    console.log(`${c.name.padEnd(42)} ${c.mode.padEnd(5)} not run: the --budget of ${budget} s is spent`);
    continue;
  }
  const mine = await ours(tf, c);
  const theirs = 'run' in torch ? await torch.run({ ...c.torch, mode: c.mode, steps, seconds }) : null;
  const ratio = theirs ? (mine.perS / theirs.samples_per_s).toFixed(4) : '–';
  console.log(`${c.name.padEnd(42)} ${c.mode.padEnd(5)} ${mine.perS.toFixed(2).padStart(9)} ${(theirs ? theirs.samples_per_s.toFixed(1) : '–').padStart(9)} ${ratio.padStart(8)}  ${mine.figures}`);
}
if ('close' in torch) torch.close();
console.log(`${((performance.now() - started) / 1000).toFixed(0)} s in all; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
