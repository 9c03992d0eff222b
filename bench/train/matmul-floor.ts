// The floor under the training ratios: GFLOP/s of the WebAssembly backend's matrix product
// (XNNPACK, 128-bit SIMD, one thread) against PyTorch's (the BLAS it loads: OpenBLAS, AVX2 + FMA)
// on the product shapes that dominate the CNN (1×1 convolutions over N·H·W positions of
// EfficientNet b0 at 224², batch 16), the LSTM (input projection and one time step, batch 8) and
// the Swin (the qkv and MLP products of small-cpu and Swin-T at 224², batch 8), in one run: ours,
// then PyTorch's, each at one thread, each the fastest of --reps products (on a shared machine the
// median measures the load; the fastest, what the code can do). A model whose time is mostly such products
// cannot beat PyTorch by more than their ratio, whatever the rest of its code does.
//   npx tsc -p tsconfig.json && node dist/bench/train/matmul-floor.js [--reps 7] [--python /usr/bin/python3]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
import { hostLines, loadNow, type TorchInfo } from './host.js';

const { values: a } = parseArgs({ options: { reps: { type: 'string', default: '7' }, python: { type: 'string', default: '/usr/bin/python3' } } });
const reps = Number(a.reps);

/** [what, M, K, N]: a [M, K] · [K, N] product of that model's step. */
const SHAPES: [string, number, number, number][] = [
  ['cnn b0 224² expand 1×1, stage 2', 16 * 56 * 56, 24, 144],
  ['cnn b0 224² project 1×1, stage 3', 16 * 28 * 28, 240, 40],
  ['cnn b0 224² expand 1×1, stage 5', 16 * 14 * 14, 112, 672],
  ['cnn b0 224² head 1×1', 16 * 7 * 7, 320, 1280],
  ['lstm input projection', 8 * 120, 224, 512],
  ['lstm time step', 8, 128, 512],
  ['swin small-cpu qkv, stage 1', 8 * 56 * 56, 32, 96],
  ['swin-T qkv, stage 1', 8 * 56 * 56, 96, 288],
  ['swin-T mlp, stage 3', 8 * 14 * 14, 384, 1536],
];

const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setThreadsCount(1);
const { tf, backend } = await useBackend('wasm');

function ours([, m, k, n]: (typeof SHAPES)[number]): number {
  const x = tf.randomUniform([m, k]), w = tf.randomUniform([k, n]);
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const y = tf.matMul(x, w);        // the wasm backend computes when called: no read-back timed (PyTorch's side has none)
    if (i) times.push(performance.now() - t0);
    y.dispose();
  }
  tf.dispose([x, w]);
  return (2 * m * k * n) / (Math.min(...times) / 1000) / 1e9;
}

function torchSide(): Promise<TorchInfo & { gflops: number[] }> {
  const script = fileURLToPath(new URL('../../../bench/train/matmul_torch.py', import.meta.url));
  const child = spawn(a.python!, [script], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stdin.end(`${JSON.stringify({ shapes: SHAPES.map(([, m, k, n]) => [m, k, n]), reps, threads: 1 })}\n`);
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${a.python} ${script} exited with ${code}: is torch installed for it?`)))));
}

const mine = SHAPES.map(ours);
const torch = await torchSide();
for (const line of await hostLines(tf, backend, torch)) console.log(line);
console.log(`load average at the end: ${loadNow()}; the fastest of ${reps} products per shape (what a core gives when the load lets it), one thread each side`);
console.log(`${'product'.padEnd(36)} ${'M × K × N'.padStart(20)}  ${'wasm GFLOP/s'.padStart(12)}  ${'torch GFLOP/s'.padStart(13)}  ratio`);
SHAPES.forEach(([what, m, k, n], i) => {
  console.log(`${what.padEnd(36)} ${`${m} × ${k} × ${n}`.padStart(20)}  ${mine[i].toFixed(1).padStart(12)}  ${torch.gflops[i].toFixed(1).padStart(13)}  ${(mine[i] / torch.gflops[i]).toFixed(2)}`);
});
