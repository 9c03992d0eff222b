// Training speed of the two-step sequence models against PyTorch on the CPU in the same run: this
// process times Adam steps of the lstm and swin nodes' networks on the WebAssembly backend (fused
// LSTM kernels, SIMD window attention) and seq.py times the same models in PyTorch twice, one
// process at one thread (torch.set_num_threads(1), OpenBLAS/OpenMP/MKL held to one thread) and one
// on all cores (PyTorch's default count is printed: Debian's build defaults to 1 on 2 cores), and our
// side likewise once on one thread and once on N data-parallel threads (nodes/kernels/seq/replicas.ts;
// --threads N, default all cores), step for step in alternation, so that all see the same load on a
// shared machine. Both of ours take the nodes' passes (microbatch 4 of batch 8), so they compute
// the same bytes. Prints the machine, load and both sides' builds (host.ts), then sequences per
// second from the median step's wall time (one thread against one-thread PyTorch, N threads against
// all-core PyTorch: medians of the per-step ratios), and one-thread CPU-time ratios.
// Run: npx tsc -p tsconfig.json && node dist/bench/train/seq.js [--tiny] [--steps N] [--threads N] [--profile]
// --profile adds TensorFlow.js's per-kernel times of one one-thread step of each model (where the time goes).
// The PyTorch side needs python3 with torch (Debian: apt-get install python3-torch); PYTHON picks the interpreter.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../engine/rng.js';
import { adamState } from '../../nodes/kernels/train/adam.js';
import { initialEntries } from '../../nodes/kernels/seq/init.js';
import { lstmNet } from '../../nodes/kernels/seq/lstm-model.js';
import { SWIN_PRESETS, swinNet } from '../../nodes/kernels/seq/swin-model.js';
import type { SeqNet } from '../../nodes/kernels/seq/net.js';
import { Replicas } from '../../nodes/kernels/seq/replicas.js';
import { trainStep } from '../../nodes/kernels/seq/train.js';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
import { cores, hostLines, loadNow, type TorchInfo } from './host.js';
import { kernelProfile } from './kernel-profile.js';

const args = process.argv.slice(2);
const steps = args.includes('--steps') ? Number(args[args.indexOf('--steps') + 1]) : 8;
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : cores;
/** Draws per pass: the lstm and swin nodes' default microbatch. */
const MICRO = 4;
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

interface Config { name: string; kind: 'lstm' | 'swin'; batch: number; [k: string]: unknown }
const lstm = { input: 224, hidden: 128, layers: 4, head: 64 };
const configs: Config[] = [
  { name: 'lstm (paper: 4×bi-LSTM 128, 120×224)', kind: 'lstm', batch: 8, length: 120, ...lstm },
  { name: 'swin small-cpu (224×224)', kind: 'swin', batch: 8, height: 224, width: 224, ...SWIN_PRESETS['small-cpu'] },
  // Swin-T at the swin node's default batch (8, two passes of 4): a batch of one pass leaves a second thread nothing to do.
  ...(args.includes('--tiny') ? [{ name: 'swin tiny = Swin-T (224×224)', kind: 'swin' as const, batch: 8, height: 224, width: 224, ...SWIN_PRESETS.tiny }] : []),
];

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

const { tf, backend } = await useBackend('wasm');

interface Step { cpu_ms: number; wall_ms: number }

/** The PyTorch side (seq.py) at `threads`, one JSON line per request and reply. */
function torchSide(threads: number) {
  const script = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/train/seq.py');
  const one = threads === 1 ? { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } : {};
  const child = spawn(python, [script, String(threads)], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...one } });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${python} ${script} ended early: is torch installed for it? (set PYTHON to an interpreter that has it)`);
    return JSON.parse(value);
  };
  return {
    next,
    ask: async (msg: object) => {
      child.stdin.write(`${JSON.stringify(msg)}\n`);
      return next();
    },
    close: () => child.stdin.end(),
  };
}

/** A training loop of the ctflow side on `threads` threads on random inputs: one warm-up step, then `step()` times one. */
async function ours(c: Config, threads: number) {
  const net: SeqNet = c.kind === 'lstm' ? lstmNet(lstm, c.length as number) : swinNet(tf, c as never);
  const rngFor = (label: string) => rngFrom(`bench:${label}`);
  const params = new Map(initialEntries(net.specs, rngFor).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32') as TFJS.Tensor]));
  const [T, E] = c.kind === 'lstm' ? [c.length as number, c.input as number] : [c.height as number, c.width as number];
  const rng = rngFor('x');
  const inputs = { x: Float32Array.from({ length: c.batch * T * E }, () => 2 * rng() - 1), shape: [c.batch, T, E] as [number, number, number], lengths: Array(c.batch).fill(T) };
  const y = Float32Array.from({ length: c.batch }, (_, i) => i % 2);
  const adam = adamState();
  const opt = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
  const replicas = threads > 1 ? await Replicas.start(net, backend, threads) : undefined;
  await trainStep(tf, net, params, adam, opt, inputs, y, MICRO, replicas);
  return {
    step: async (): Promise<Step> => {
      const [c0, w0] = [process.cpuUsage(), performance.now()];
      await trainStep(tf, net, params, adam, opt, inputs, y, MICRO, replicas);
      const u = process.cpuUsage(c0);
      return { cpu_ms: (u.user + u.system) / 1000, wall_ms: performance.now() - w0 };
    },
    profile: () => kernelProfile(tf, () => trainStep(tf, net, params, adam, opt, inputs, y, MICRO, replicas)),
    dispose: async () => {
      await replicas?.close();
      tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
      net.dispose();
    },
  };
}

const torches = [torchSide(1), torchSide(cores)];
const infos: (TorchInfo & { threads: number })[] = [];
for (const t of torches) infos.push(await t.next());
const results: { c: Config; steps: Step[][] }[] = [];
const profiles: string[] = [];
for (const c of configs) {
  const mine = [await ours(c, 1), await ours(c, threads)];
  for (const t of torches) await t.ask({ config: c });
  const rows: Step[][] = [];
  for (let i = 0; i < steps; i++) {
    const row = [await mine[0].step(), await mine[1].step()];
    for (const t of torches) row.push(await t.ask({ step: true }));
    rows.push(row);
    console.error(`${c.name}: step ${i + 1}: wall ms ctflow×1 ${row[0].wall_ms.toFixed(0)}, ctflow×${threads} ${row[1].wall_ms.toFixed(0)}, torch×1 ${row[2].wall_ms.toFixed(0)}, torch×${infos[1].threads} ${row[3].wall_ms.toFixed(0)}`);
  }
  if (args.includes('--profile')) profiles.push(`${c.name}, one thread:`, ...(await mine[0].profile()));
  for (const m of mine) await m.dispose();
  results.push({ c, steps: rows });
}
for (const t of torches) t.close();

for (const line of await hostLines(tf, backend, infos[0])) console.log(line);
console.log(`ctflow on 1 thread and on ${threads} (data-parallel replicas, passes of ${MICRO}); load average at the end: ${loadNow()}; ${steps} alternating steps per side after a warm-up; medians`);
const n = infos[1].threads;
console.log(`${'model'.padEnd(40)} ${'batch'.padStart(5)}  ${'ctflow×1'.padStart(8)}  ${`ctflow×${threads}`.padStart(8)}  ${'torch×1'.padStart(8)}  ${`torch×${n}`.padStart(8)}  ${'ratio×1'.padStart(7)}  ${`ratio×${threads}:${n}`.padStart(9)}   (seq/s; CPU time ×1: ctflow, torch, ratio)`);
for (const { c, steps: rows } of results) {
  const rate = (ms: number) => (c.batch * 1000) / ms;
  const med = (side: number, key: keyof Step) => median(rows.map((r) => r[side][key]));
  const ratio = (mine: number, side: number, key: keyof Step) => median(rows.map((r) => r[side][key] / r[mine][key]));
  const cols = [0, 1, 2, 3].map((i) => rate(med(i, 'wall_ms')).toFixed(2).padStart(8));
  console.log(`${c.name.padEnd(40)} ${String(c.batch).padStart(5)}  ${cols.join('  ')}  ${ratio(0, 2, 'wall_ms').toFixed(2).padStart(7)}  ${ratio(1, 3, 'wall_ms').toFixed(2).padStart(9)}   (${rate(med(0, 'cpu_ms')).toFixed(2)}, ${rate(med(2, 'cpu_ms')).toFixed(2)}, ${ratio(0, 2, 'cpu_ms').toFixed(2)})`);
}
for (const line of profiles) console.log(line);
