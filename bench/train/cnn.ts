// Training speed of the 2D CNN on TensorFlow.js WebAssembly against PyTorch on the CPU, the same
// network (bench/train/cnn_torch.py builds it from the same rules and checks the block lists agree)
// on the same input size, one thread each, in one run: rounds alternate between the two so that
// both meet the same machine load. Prints slices/s per round, the medians and their ratio.
//
//   npx tsc -p tsconfig.json && node dist/bench/train/cnn.js [--backbone small] [--resolution 128]
//     [--batch 16] [--steps 4] [--rounds 3] [--profile] [--python /usr/bin/python3]
//
// --profile adds TensorFlow.js's per-kernel times of one step (where the time goes).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rngFrom } from '../../engine/rng.js';
import { flatAdamState } from '../../nodes/kernels/train/adam.js';
import { architecture, initialWeights, paramSpecs, PRESETS, type Backbone, type CnnConfig } from '../../nodes/kernels/cnn/architecture.js';
import { createModel, trainStep } from '../../nodes/kernels/cnn/model.js';
import { useBackend } from '../../nodes/kernels/tf/backend.js';

const { values: a } = parseArgs({
  options: {
    backbone: { type: 'string', default: 'small' }, resolution: { type: 'string' }, batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' }, profile: { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const backbone = a.backbone as Backbone;
const preset = PRESETS[backbone];
const resolution = Number(a.resolution ?? preset.resolution), batch = Number(a.batch), steps = Number(a.steps), rounds = Number(a.rounds);
const cfg: CnnConfig = { backbone, ...preset, resolution, embedding: 224, hu: [-1150, 350], fit: 'stretch' };
const arch = architecture(cfg);

const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setThreadsCount(1);              // before the backend starts; Node gets the single-threaded SIMD build anyway
const { tf, backend } = await useBackend('wasm');
const model = createModel(tf, cfg, initialWeights(paramSpecs(arch), rngFrom('bench')));
const opt = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
const state = flatAdamState();
const rng = rngFrom('bench-input');
const x = Float32Array.from({ length: batch * resolution ** 2 }, () => rng());
const y = Float32Array.from({ length: batch }, (_, i) => i % 2);

async function tfjsRound(): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await trainStep(tf, model, opt, state, x, y);
  return (batch * steps * 1000) / (performance.now() - t0);
}

/** The PyTorch side, one process for all rounds (built and warmed up once, like ours). */
function startTorch(): (round: number) => Promise<{ slicesPerS: number; params: number; torch: string; threads: number }> {
  const job = { width: cfg.width, depth: cfg.depth, embedding: cfg.embedding, arch, resolution, batch, steps, threads: 1 };
  const script = fileURLToPath(new URL('../../../bench/train/cnn_torch.py', import.meta.url));
  const child = spawn(a.python!, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  child.stdin.write(`${JSON.stringify(job)}\n`);
  return async (round) => {
    child.stdin.write(round < rounds - 1 ? 'round\n' : 'round\nstop\n');
    const line = await lines.next();
    if (line.done) throw new Error(`${a.python} ${script} stopped: ${stderr.trim().split('\n').slice(-3).join(' | ')}; PyTorch is needed for this bench (apt-get install python3-torch)`);
    const out = JSON.parse(line.value);
    return { slicesPerS: out.slices_per_s, params: out.params, torch: out.torch, threads: out.threads };
  };
}

const median = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
const trainable = paramSpecs(arch).filter((s) => !s.name.includes('running')).reduce((n, s) => n + s.shape.reduce((p, q) => p * q, 1), 0);
console.log(`EfficientNet ${backbone} (width ${cfg.width}, depth ${cfg.depth}, ${arch.blocks.length} blocks, ${trainable} trainable parameters), ${resolution}² × 1, batch ${batch}, Adam + BCE, ${steps} steps per round`);
console.log(`tfjs ${tf.version.tfjs} ${backend} (threads ${wasm.getThreadsCount()}, SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')})`);
await trainStep(tf, model, opt, state, x, y);      // warm-up: kernel setup, first allocations
const torchRound = startTorch();
const ts: number[] = [], py: number[] = [];
let info = { params: 0, torch: '', threads: 0 };
for (let r = 0; r < rounds; r++) {
  ts.push(await tfjsRound());
  const t = await torchRound(r);
  py.push(t.slicesPerS);
  info = t;
  console.log(`round ${r + 1}: tfjs-wasm ${ts[r].toFixed(2)} slices/s, PyTorch ${py[r].toFixed(2)} slices/s`);
}
if (info.params !== trainable) throw new Error(`PyTorch's model has ${info.params} parameters, ours ${trainable}: the two networks differ`);
console.log(`PyTorch ${info.torch} CPU, ${info.threads} thread, same ${info.params} parameters`);
console.log(`median: tfjs-wasm ${median(ts).toFixed(2)} slices/s, PyTorch ${median(py).toFixed(2)} slices/s, ratio ${(median(ts) / median(py)).toFixed(2)}×`);

if (a.profile) {
  const p = await tf.profile(async () => { await trainStep(tf, model, opt, state, x, y); });
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of p.kernels) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.n++;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`kernel time of one step (tf.profile): ${total.toFixed(0)} ms, ${p.kernels.length} kernel calls, peak ${(p.peakBytes / 2 ** 20).toFixed(0)} MiB`);
  for (const [name, e] of [...by].sort((p1, p2) => p2[1].ms - p1[1].ms).slice(0, 14)) {
    console.log(`  ${name.padEnd(38)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.n).padStart(5)} calls`);
  }
}
