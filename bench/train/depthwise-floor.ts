// The floor under the CNN's largest kernels: GFLOP/s of the WebAssembly backend's depthwise
// convolution (XNNPACK) and of its two gradients (our SIMD kernels, nodes/kernels/tf/wasm-grad-kernels/
// depthwise-simd.ts) against PyTorch's (oneDNN through torch's convolution and convolution_backward), one
// thread each, on the depthwise layers of EfficientNet `small` at 128² and b0 at 224², batch 16,
// PyTorch's symmetric padding (k // 2), in one run; each the fastest of --reps calls (on a shared
// machine the median measures the load). Multiply-adds counted as 2 operations:
// 2·N·oH·oW·C·k² for each of the three.
//   npx tsc -p tsconfig.json && node dist/bench/train/depthwise-floor.js [--reps 5] [--python /usr/bin/python3]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as TFJS from '@tensorflow/tfjs';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
import { hostLines, loadNow, type TorchInfo } from './host.js';

const { values: a } = parseArgs({ options: { reps: { type: 'string', default: '5' }, python: { type: 'string', default: '/usr/bin/python3' } } });
const reps = Number(a.reps);

/** [what, N, H (= W), C, k, stride]: a depthwise layer's input and filter. */
const LAYERS: [string, number, number, number, number, number][] = [
  ['small 128² stage 1, 3×3', 16, 64, 16, 3, 1],
  ['small 128² stage 2, 3×3/2', 16, 64, 48, 3, 2],
  ['b0 224² stage 1, 3×3', 16, 112, 32, 3, 1],
  ['b0 224² stage 3, 5×5', 16, 28, 240, 5, 1],
  ['b0 224² stage 5, 5×5', 16, 14, 672, 5, 1],
];
const KINDS = ['forward', 'filter gradient', 'input gradient'] as const;

const wasm = await import('@tensorflow/tfjs-backend-wasm');
wasm.setThreadsCount(1);
const { tf, backend } = await useBackend('wasm');

const outSide = (h: number, k: number, s: number) => Math.floor((h + 2 * (k >> 1) - k) / s) + 1;
const flops = ([, n, h, c, k, s]: (typeof LAYERS)[number]) => 2 * n * outSide(h, k, s) ** 2 * c * k * k;

/** GFLOP/s of the three kernels of one layer, the fastest of `reps` calls each. */
function ours(layer: (typeof LAYERS)[number]): number[] {
  const [, n, h, c, k, s] = layer;
  const o = outSide(h, k, s), p = k >> 1;
  const attrs = { strides: [s, s], pad: [[0, 0], [p, p], [p, p], [0, 0]], dilations: [1, 1] };
  const x = tf.randomUniform([n, h, h, c]), f = tf.randomUniform([k, k, c, 1]), dy = tf.randomUniform([n, o, o, c]);
  const calls: (() => TFJS.Tensor)[] = [
    () => tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: f }, attrs) as TFJS.Tensor,
    () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [k, k, c, 1] }) as TFJS.Tensor,
    () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: [n, h, h, c] }) as TFJS.Tensor,
  ];
  const rates = calls.map((call) => {
    const times: number[] = [];
    for (let i = 0; i <= reps; i++) {
      const t0 = performance.now();
      const y = call();                 // the wasm backend computes when called
      if (i) times.push(performance.now() - t0);
      y.dispose();
    }
    return flops(layer) / (Math.min(...times) / 1000) / 1e9;
  });
  tf.dispose([x, f, dy]);
  return rates;
}

function torchSide(): Promise<TorchInfo & { gflops: number[][] }> {
  const script = fileURLToPath(new URL('../../../bench/train/depthwise_torch.py', import.meta.url));
  const child = spawn(a.python!, [script], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stdin.end(`${JSON.stringify({ layers: LAYERS.map(([, ...l]) => l), reps })}\n`);
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${a.python} ${script} exited with ${code}: is torch installed for it?`)))));
}

const mine = LAYERS.map(ours);
const torch = await torchSide();
for (const line of await hostLines(tf, backend, torch)) console.log(line);
console.log(`load average at the end: ${loadNow()}; the fastest of ${reps} calls per kernel, one thread each side; GFLOP/s wasm / PyTorch (ratio)`);
console.log(`${'layer (N = 16)'.padEnd(28)} ${'H × H × C'.padStart(14)}  ${KINDS.map((k) => k.padStart(22)).join('  ')}`);
LAYERS.forEach(([what, , h, c], i) => {
  const cells = KINDS.map((_, j) => `${mine[i][j].toFixed(2)} / ${torch.gflops[i][j].toFixed(2)} (${(mine[i][j] / torch.gflops[i][j]).toFixed(2)})`.padStart(22));
  console.log(`${what.padEnd(28)} ${`${h} × ${h} × ${c}`.padStart(14)}  ${cells.join('  ')}`);
});
