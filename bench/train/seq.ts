// Training speed of the two-step sequence models against PyTorch on the CPU, one thread each, in
// the same run: this process times Adam steps of the lstm and swin nodes' networks on the
// WebAssembly backend (fused LSTM kernels, SIMD window attention) and seq.py times the same models
// in PyTorch (torch.set_num_threads(1), OpenBLAS/OpenMP/MKL held to one thread), step for step in
// alternation, so that both sides see the same load on a shared machine. Prints sequences per
// second from the median step's CPU time (process.cpuUsage / time.process_time) and the median of
// the per-pair ratios, then the same from wall time.
// Run: npx tsc -p tsconfig.json && node dist/bench/train/seq.js [--tiny] [--steps N]
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
import { trainStep } from '../../nodes/kernels/seq/train.js';
import { useBackend } from '../../nodes/kernels/tf/backend.js';

const args = process.argv.slice(2);
const steps = args.includes('--steps') ? Number(args[args.indexOf('--steps') + 1]) : 8;
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

interface Config { name: string; kind: 'lstm' | 'swin'; batch: number; [k: string]: unknown }
const lstm = { input: 224, hidden: 128, layers: 4, head: 64 };
const configs: Config[] = [
  { name: 'lstm (paper: 4×bi-LSTM 128, 120×224)', kind: 'lstm', batch: 8, length: 120, ...lstm },
  { name: 'swin small-cpu (224×224)', kind: 'swin', batch: 8, height: 224, width: 224, ...SWIN_PRESETS['small-cpu'] },
  ...(args.includes('--tiny') ? [{ name: 'swin tiny = Swin-T (224×224)', kind: 'swin' as const, batch: 4, height: 224, width: 224, ...SWIN_PRESETS.tiny }] : []),
];

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

const { tf, backend } = await useBackend('wasm');

interface Step { cpu_ms: number; wall_ms: number }

/** The PyTorch side (seq.py), one JSON line per request and reply. */
function torchSide() {
  const script = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/train/seq.py');
  const one = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...one } });
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

/** A training loop of the ctflow side on random inputs: one warm-up step, then `step()` times one. */
async function ours(c: Config) {
  const net: SeqNet = c.kind === 'lstm' ? lstmNet(lstm, c.length as number) : swinNet(tf, c as never);
  const rngFor = (label: string) => rngFrom(`bench:${label}`);
  const params = new Map(initialEntries(net.specs, rngFor).map((e) => [e.name, tf.tensor(e.data, e.shape, 'float32') as TFJS.Tensor]));
  const [T, E] = c.kind === 'lstm' ? [c.length as number, c.input as number] : [c.height as number, c.width as number];
  const rng = rngFor('x');
  const inputs = { x: Float32Array.from({ length: c.batch * T * E }, () => 2 * rng() - 1), shape: [c.batch, T, E] as [number, number, number], lengths: Array(c.batch).fill(T) };
  const y = Float32Array.from({ length: c.batch }, (_, i) => i % 2);
  const adam = adamState();
  const opt = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4 };
  await trainStep(tf, net, params, adam, opt, inputs, y);
  return {
    step: async (): Promise<Step> => {
      const [c0, w0] = [process.cpuUsage(), performance.now()];
      await trainStep(tf, net, params, adam, opt, inputs, y);
      const u = process.cpuUsage(c0);
      return { cpu_ms: (u.user + u.system) / 1000, wall_ms: performance.now() - w0 };
    },
    dispose: () => {
      tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
      net.dispose();
    },
  };
}

const torch = torchSide();
const { torch: torchVersion } = await torch.next();
const results: { c: Config; pairs: [Step, Step][] }[] = [];
for (const c of configs) {
  const mine = await ours(c);
  await torch.ask({ config: c });
  const pairs: [Step, Step][] = [];
  for (let i = 0; i < steps; i++) {
    pairs.push([await mine.step(), await torch.ask({ step: true })]);
    console.error(`${c.name}: step ${i + 1}: ctflow ${pairs[i][0].cpu_ms.toFixed(0)} ms, torch ${pairs[i][1].cpu_ms.toFixed(0)} ms CPU`);
  }
  mine.dispose();
  results.push({ c, pairs });
}
torch.close();

console.log(`training steps, one thread each: ctflow (TensorFlow.js ${tf.version.tfjs}, ${backend}) vs PyTorch ${torchVersion} (CPU); ${steps} alternating steps each after a warm-up; medians`);
console.log(`${'model'.padEnd(40)} ${'batch'.padStart(5)}  ${'ctflow seq/s'.padStart(12)}  ${'torch seq/s'.padStart(11)}  ${'ratio'.padStart(5)}   (wall: ctflow, torch, ratio)`);
for (const { c, pairs } of results) {
  const rate = (ms: number) => (c.batch * 1000) / ms;
  const cols = (key: keyof Step) => [median(pairs.map((p) => p[0][key])), median(pairs.map((p) => p[1][key])), median(pairs.map((p) => p[1][key] / p[0][key]))];
  const [ca, cb, cr] = cols('cpu_ms'), [wa, wb, wr] = cols('wall_ms');
  console.log(`${c.name.padEnd(40)} ${String(c.batch).padStart(5)}  ${rate(ca).toFixed(2).padStart(12)}  ${rate(cb).toFixed(2).padStart(11)}  ${cr.toFixed(2).padStart(5)}   (${rate(wa).toFixed(2)}, ${rate(wb).toFixed(2)}, ${wr.toFixed(2)})`);
}
