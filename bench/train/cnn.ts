// Training speed of the 2D CNN on TensorFlow.js WebAssembly against PyTorch on the CPU, the same
// network (bench/train/cnn_torch.py builds it from the same rules and checks the block lists agree)
// on the same input size, in one run: PyTorch both at one thread and on all cores (its own
// process each; PyTorch's default count is printed: Debian's build defaults to 1 on 2 cores), and
// ours both on one thread and on --threads (default all cores) data-parallel replicas
// (nodes/kernels/cnn/passes.ts: passes of --microbatch slices, default batch / threads; both of our
// sides take the same passes, so compute the same bytes), rounds alternating between the four so
// that all meet the same machine load. Prints the machine, load and both sides' builds (host.ts),
// slices/s per round, the medians and the ratios: one thread against one-thread PyTorch, threads
// against all-core PyTorch. Each side's CPU time per step (all its threads) is printed too: on a
// loaded machine, where wall times move 2–4× between rounds, the ratio of CPU time per step of the
// one-thread sides is the steadier estimate of the one-thread ratio on an idle core.
//
//   npx tsc -p tsconfig.json && node dist/bench/train/cnn.js [--backbone small] [--resolution 128]
//     [--batch 16] [--microbatch N] [--threads N] [--steps 4] [--rounds 3] [--profile] [--python /usr/bin/python3]
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
import { passesStep } from '../../nodes/kernels/cnn/passes.js';
import { TrainReplicas } from '../../nodes/kernels/cnn/train-replicas.js';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
import { cores, hostLines, loadNow, type TorchInfo } from './host.js';
import { kernelProfile } from './kernel-profile.js';

const { values: a } = parseArgs({
  options: {
    backbone: { type: 'string', default: 'small' }, resolution: { type: 'string' }, batch: { type: 'string', default: '16' },
    microbatch: { type: 'string' }, threads: { type: 'string' },
    steps: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' }, profile: { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const backbone = a.backbone as Backbone;
const preset = PRESETS[backbone];
const resolution = Number(a.resolution ?? preset.resolution), batch = Number(a.batch), steps = Number(a.steps), rounds = Number(a.rounds);
const threads = Number(a.threads ?? cores), micro = Number(a.microbatch ?? Math.ceil(batch / threads));
const cfg: CnnConfig = { backbone, ...preset, resolution, embedding: 224, hu: [-1150, 350], fit: 'stretch' };
const arch = architecture(cfg);

const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setThreadsCount(1);              // before the backend starts; Node gets the single-threaded SIMD build anyway
const { tf, backend } = await useBackend('wasm');
const opt = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
/** One of our sides: a model and its Adam state, on one thread or with replicas. */
const side = (replicas?: TrainReplicas) => ({ model: createModel(tf, cfg, initialWeights(paramSpecs(arch), rngFrom('bench'))), state: flatAdamState(), replicas });
const ours = [side(), side(threads > 1 ? await TrainReplicas.start(cfg, backend, threads) : undefined)];
const { model, state } = ours[0];
const rng = rngFrom('bench-input');
const x = Float32Array.from({ length: batch * resolution ** 2 }, () => rng());
const y = Float32Array.from({ length: batch }, (_, i) => i % 2);

/** Slices/s and CPU milliseconds per step (this process: the calling thread and the replicas' workers). */
async function tfjsRound(o: (typeof ours)[number]): Promise<{ slicesPerS: number; cpuMs: number }> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await passesStep(tf, o.model, opt, o.state, x, y, micro, o.replicas);
  const cpu = process.cpuUsage(c0);
  return { slicesPerS: (batch * steps * 1000) / (performance.now() - t0), cpuMs: (cpu.user + cpu.system) / 1000 / steps };
}

type TorchRound = TorchInfo & { slicesPerS: number; cpuMs: number; params: number };

/** The PyTorch side at `threads`, one process for all rounds (built and warmed up once, like ours). */
function startTorch(threads: number): (round: number) => Promise<TorchRound> {
  const job = { width: cfg.width, depth: cfg.depth, embedding: cfg.embedding, arch, resolution, batch, steps, threads };
  const script = fileURLToPath(new URL('../../../bench/train/cnn_torch.py', import.meta.url));
  const one = threads === 1 ? { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } : {};
  const child = spawn(a.python!, [script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...one } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  child.stdin.write(`${JSON.stringify(job)}\n`);
  return async (round) => {
    child.stdin.write(round < rounds - 1 ? 'round\n' : 'round\nstop\n');
    const line = await lines.next();
    if (line.done) throw new Error(`${a.python} ${script} stopped: ${stderr.trim().split('\n').slice(-3).join(' | ')}; PyTorch is needed for this bench (apt-get install python3-torch)`);
    const out = JSON.parse(line.value);
    return { ...out, slicesPerS: out.slices_per_s, cpuMs: out.cpu_ms };
  };
}

const median = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
const trainable = paramSpecs(arch).filter((s) => !s.name.includes('running')).reduce((n, s) => n + s.shape.reduce((p, q) => p * q, 1), 0);
console.log(`EfficientNet ${backbone} (width ${cfg.width}, depth ${cfg.depth}, ${arch.blocks.length} blocks, ${trainable} trainable parameters), ${resolution}² × 1, batch ${batch}, Adam + BCE, ${steps} steps per round; ours in passes of ${micro} (BatchNorm per pass) on 1 and ${threads} threads`);
for (const o of ours) await passesStep(tf, o.model, opt, o.state, x, y, micro, o.replicas);      // warm-up: kernel setup, first allocations
const torchRounds = [startTorch(1), startTorch(cores)];
const ts: number[][] = [[], []], py: number[][] = [[], []], tsCpu: number[][] = [[], []], pyCpu: number[][] = [[], []];
const info: TorchRound[] = [];
for (let r = 0; r < rounds; r++) {
  for (const [i, o] of ours.entries()) {
    const { slicesPerS, cpuMs } = await tfjsRound(o);
    ts[i].push(slicesPerS);
    tsCpu[i].push(cpuMs);
  }
  for (const [i, round] of torchRounds.entries()) {
    info[i] = await round(r);
    py[i].push(info[i].slicesPerS);
    pyCpu[i].push(info[i].cpuMs);
  }
  const cpu = (v: number[][]) => `CPU ${v[0][r].toFixed(0)} / ${v[1][r].toFixed(0)} ms a step`;
  console.log(`round ${r + 1}: tfjs-wasm 1 thread ${ts[0][r].toFixed(2)}, ${threads} threads ${ts[1][r].toFixed(2)} slices/s (${cpu(tsCpu)}); PyTorch 1 thread ${py[0][r].toFixed(2)}, ${info[1].threads} threads ${py[1][r].toFixed(2)} slices/s (${cpu(pyCpu)}); load ${loadNow()}`);
}
await ours[1].replicas?.close();
for (const i of info) if (i.params !== trainable) throw new Error(`PyTorch's model has ${i.params} parameters, ours ${trainable}: the two networks differ`);
for (const line of await hostLines(tf, backend, info[0])) console.log(line);
console.log(`load average at the end: ${loadNow()}; same ${trainable} parameters on both sides`);
for (const [i, t] of info.entries()) {
  const n = i ? threads : 1;
  console.log(`median: tfjs-wasm (${n} thread${n > 1 ? 's' : ''}) ${median(ts[i]).toFixed(2)} slices/s, PyTorch (${t.threads} thread${t.threads > 1 ? 's' : ''}) ${median(py[i]).toFixed(2)} slices/s, ratio ${(median(ts[i]) / median(py[i])).toFixed(2)}×`);
}
console.log(`median CPU time a step, one thread each: tfjs-wasm ${median(tsCpu[0]).toFixed(0)} ms, PyTorch ${median(pyCpu[0]).toFixed(0)} ms, ratio (PyTorch / ours) ${(median(pyCpu[0]) / median(tsCpu[0])).toFixed(2)}×`);

if (a.profile) for (const line of await kernelProfile(tf, () => trainStep(tf, model, opt, state, x, y))) console.log(line);
