// Scale-out: one sweep of 4 variants (shared scans and crop, then 4 lung-area chains) with
// --executor bullmq on 1 and on 2 local worker processes, and in process as the anchor; each on a
// fresh cache, workers started and ready before the clock starts. Prints times and the ratio.
// usage: node dist/bench/scale/sweep.js [SCANS]   (Redis: $CTFLOW_TEST_REDIS or redis-server on PATH)
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BullExecutor } from '../../engine/scale/executor.js';
import type { Session } from '../../engine/session.js';
import { session, tempDir, writeGraph } from '../../test/helpers/engine.js';
import { testRedis } from '../../test/scale/redis.js';
import { WorkerProcess } from '../../test/scale/workers.js';

const scans = Number(process.argv[2] ?? 16);
const load = loadavg()[0];
const dir = tempDir('ctflow-bench-scale-');
writeGraph(dir, 'base.yaml', `name: scale-bench
seed: 7
nodes:
  scans:  { kind: synthetic-ct, params: { scans: ${scans}, slices: [40, 60], size: 128 } }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas } }
`);
const file = writeGraph(dir, 'sweep.yaml', `extends: base.yaml
name: scale-bench
sweep:
  grid:
    median.params.size: [3, 5]
    mask.params.t: [-400, -300]
`);

async function timedSweep(s: Session): Promise<number> {
  const { variants, issues } = s.loadSweep(file);
  if (!variants.length) throw new Error(issues.map((i) => i.message).join('\n'));
  const t0 = performance.now();
  const out = await s.runSweep(variants, file);
  const ms = performance.now() - t0;
  const failed = out.runs.filter((r) => r.status !== 'ok');
  if (failed.length) throw new Error(`${failed.length} variants failed: ${out.executed.result.failures.map((f) => f.message).join('; ')}`);
  return ms;
}

const redis = await testRedis();
if ('skip' in redis) {
  console.error(redis.skip);
  process.exit(2);
}
try {
  const local = await timedSweep(session(join(dir, 'local')));
  const times: number[] = [];
  for (const n of [1, 2]) {
    const runs = join(dir, `workers-${n}`);
    const prefix = `ctflow-bench-${randomBytes(4).toString('hex')}`;
    const workers = Array.from({ length: n }, () => new WorkerProcess(redis.url, runs, prefix));
    const remote = new BullExecutor(redis.url, prefix);
    try {
      await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready')));
      times.push(await timedSweep(session(runs, { remote })));
    } finally {
      await remote.close();
      await Promise.all(workers.map((w) => w.stop()));
    }
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`sweep of 4 variants, ${scans} synthetic scans of 128², 10 jobs (scans, crop, 4 fused chains, 4 windows); ${availableParallelism()} cores, load average ${load.toFixed(1)} at the start`);
  console.log(`in process (anchor): ${s(local)}`);
  console.log(`1 worker:            ${s(times[0])}`);
  console.log(`2 workers:           ${s(times[1])}`);
  console.log(`ratio 1 / 2 workers: ${(times[0] / times[1]).toFixed(2)}×`);
} finally {
  await redis.stop();
}
