// The embedder's inference (every slice through the trained CNN, graphs/two-step.yaml's b3 at 300²
// by default) on all cores against PyTorch CPU on all cores, the same network and the same weights:
// embed_torch.py builds the network, writes its weights and the inputs, and times its pass; this
// side loads those weights (warm start, as a timm checkpoint would be) and runs the embedder's own
// path (EmbedPool: one replica per core; the calling thread alone when --threads 1) on the same
// inputs, and checks its first batch's embeddings against PyTorch's. Prints machine, load, both
// builds, slices/s and the ratio (goal ≥ 0.5×).
//
//   npm run build && node dist/bench/scale/embed.js [--backbone b3] [--resolution 300] [--slices 64]
//     [--batch 16] [--threads N] [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rngFrom } from '../../engine/rng.js';
import { architecture, initialWeights, paramSpecs, PRESETS, type Backbone, type CnnConfig } from '../../nodes/kernels/cnn/architecture.js';
import { EmbedPool } from '../../nodes/kernels/cnn/embed-pool.js';
import { createModel, predict } from '../../nodes/kernels/cnn/model.js';
import { warmStart } from '../../nodes/kernels/cnn/warm-start.js';
import { useBackend } from '../../nodes/kernels/tf/backend.js';
import { cores, hostLines, loadNow, type TorchInfo } from '../train/host.js';

const { values: a } = parseArgs({
  options: {
    backbone: { type: 'string', default: 'b3' }, resolution: { type: 'string' }, slices: { type: 'string', default: '64' },
    batch: { type: 'string', default: '16' }, threads: { type: 'string', default: String(cores) }, python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const backbone = a.backbone as Backbone;
const preset = PRESETS[backbone];
const cfg: CnnConfig = { backbone, width: preset.width, depth: preset.depth, resolution: Number(a.resolution ?? preset.resolution), embedding: 224, hu: [-1150, 350], fit: 'stretch' };
const [slices, batch, threads] = [a.slices, a.batch, a.threads].map(Number);
const dir = mkdtempSync(join(tmpdir(), 'ctflow-bench-embed-'));
try {
  const job = { width: cfg.width, depth: cfg.depth, embedding: cfg.embedding, resolution: cfg.resolution, batch, slices, weights: join(dir, 'w.safetensors'), inputs: join(dir, 'x.f32') };
  type TorchRun = { slices_per_s: number; seconds: number; first_embeddings: number[]; torch: TorchInfo };
  /** PyTorch's pass on `t` threads (it writes the same weights and inputs each time: fixed seeds). */
  const torchOn = (t: number): TorchRun => {
    const py = spawnSync(a.python!, [fileURLToPath(new URL('../../../bench/scale/embed_torch.py', import.meta.url)), JSON.stringify({ ...job, threads: t })], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`PyTorch side failed: ${py.stderr}`);
    return JSON.parse(py.stdout.trim().split('\n').pop()!) as TorchRun;
  };
  // one thread too: on a loaded machine PyTorch's OpenMP threads wait for each other (docs/cnn.md)
  const torchOne = cores > 1 ? torchOn(1) : undefined;
  const torch = torchOn(cores);

  const specs = paramSpecs(architecture(cfg));
  const { entries } = await warmStart(job.weights, specs, initialWeights(specs, rngFrom(0)), 'bench embed');
  const { tf, backend } = await useBackend('wasm');
  for (const line of await hostLines(tf, backend, torch.torch)) console.log(line);
  const x = new Float32Array(readFileSync(job.inputs).buffer.slice(0));
  const r2 = cfg.resolution ** 2;
  const pool = threads > 1 ? await EmbedPool.start(backend, cfg, entries, threads) : null;
  const model = pool ? null : createModel(tf, cfg, entries, 'bench embed');
  const forward = (s: number, k: number) => { const xs = x.slice(s * r2, (s + k) * r2); return pool ? pool.predict(xs, k) : predict(tf, model!, xs, k); };
  try {
    const first = await Promise.all(Array.from({ length: Math.max(1, threads) }, () => forward(0, Math.min(batch, slices)))); // warm-up, one pass a replica
    const scale = Math.max(...torch.first_embeddings.map(Math.abs));
    const maxDiff = Math.max(...torch.first_embeddings.map((e, i) => Math.abs(e - first[0].embedding[i]))) / scale;
    const t0 = performance.now();
    const passes: Promise<unknown>[] = [];
    for (let s = 0; s < slices; s += batch) passes.push(forward(s, Math.min(batch, slices - s)));
    await Promise.all(passes);
    const ours = slices / ((performance.now() - t0) / 1000);
    console.log(`network: EfficientNet-${backbone} at ${cfg.resolution}², embedding ${cfg.embedding}; ${slices} slices, batch ${batch}`);
    console.log(`first batch's embeddings, largest difference from PyTorch's / their largest magnitude: ${maxDiff.toExponential(2)}`);
    console.log(`PyTorch CPU, ${cores} threads: ${torch.slices_per_s.toFixed(2)} slices/s`);
    if (torchOne) console.log(`PyTorch CPU, 1 thread: ${torchOne.slices_per_s.toFixed(2)} slices/s`);
    console.log(`ctflow embedder path, ${backend}, ${pool ? `${threads} replicas` : 'calling thread'}: ${ours.toFixed(2)} slices/s = ${(ours / torch.slices_per_s).toFixed(2)}× PyTorch on ${cores} threads (goal ≥ 0.5×)` +
      (torchOne ? `, ${(ours / torchOne.slices_per_s).toFixed(2)}× PyTorch on 1 thread` : ''));
    console.log(`load average at end ${loadNow()}`);
  } finally {
    await pool?.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
