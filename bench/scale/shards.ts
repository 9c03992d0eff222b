// Shards as jobs (engine/scale/shards.ts) on a COV19-CT-DB-shaped JPEG folder: the lung-window
// graph, fused (only the windows stored, per scan), over the first SCANS scan folders of FOLDER
// (hard-linked into WORK, never written), run in process (the anchor), then with --executor bullmq
// on 1 worker at each --shards size, and at --two (default: the default --shard) on 1 worker and
// on 2 workers, the figure of issue 17: 2-worker wall time / 1-worker wall time, on the same
// scans. Each run on a fresh cache, workers (local processes, one job at a time each) ready before
// the clock starts. Prints machine, load, the folder's slice size, each time, its ratio to the
// anchor, the per-job overhead, how many shards each of the two workers ran, and 2 / 1 worker.
// usage: node dist/bench/scale/shards.js --folder DIR --work WORK [--scans 12] [--shards 1,8,32 | --shards none] [--two 8]
//        (Redis: $CTFLOW_TEST_REDIS, e.g. from `.ci/redis.sh start`, or redis-server on PATH)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { BullExecutor } from '../../engine/scale/executor.js';
import { DEFAULT_SHARD } from '../../engine/scale/queue.js';
import { Session } from '../../engine/session.js';
import { registry } from '../../nodes/index.js';
import { testRedis } from '../../test/scale/redis.js';
import { WorkerProcess } from '../../test/scale/workers.js';
import { lungGraphYaml } from './lung-graph.js';
import { scanFolders } from './scan-folders.js';

const { values } = parseArgs({ options: { folder: { type: 'string' }, work: { type: 'string' }, scans: { type: 'string', default: '12' }, shards: { type: 'string', default: `1,${DEFAULT_SHARD},32` }, two: { type: 'string', default: String(DEFAULT_SHARD) } } });
if (!values.folder || !values.work) throw new Error(`usage: shards.js --folder DIR --work WORK [--scans 12] [--shards 1,${DEFAULT_SHARD},32 | --shards none] [--two ${DEFAULT_SHARD}]`);
if (existsSync(values.work)) throw new Error(`--work ${values.work} exists: give a new folder`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}; Node ${process.version}`);

const work = resolve(values.work);
const redis = await testRedis();
if ('skip' in redis) throw new Error(redis.skip);
try {
  const data = join(work, 'data');
  const folders = scanFolders(resolve(values.folder)).slice(0, Number(values.scans));
  for (const f of folders) {
    const to = join(data, relative(resolve(values.folder), f));
    mkdirSync(dirname(to), { recursive: true });
    const cp = spawnSync('cp', ['-al', f, to], { encoding: 'utf8' });
    if (cp.status !== 0) throw new Error(`cp -al ${f}: ${cp.stderr}`);
  }
  const slices = folders.reduce((a, f) => a + readdirSync(f).length, 0);
  const { width, height } = await sharp(join(folders[0], readdirSync(folders[0])[0])).metadata();
  console.log(`folder: the first ${folders.length} scans of ${values.folder}, ${slices} JPEG slices of ${width}×${height}; graph: lung-window, fused, windows stored per scan; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`);
  const file = join(work, 'g.yaml');
  writeFileSync(file, lungGraphYaml('shards-bench', data, { windowsOnly: true }));

  let n = 0;
  /** Wall time (s) of a run on a fresh cache, and the shards each worker ran. */
  const timed = async (workers: number, shard: number): Promise<{ s: number; shards: number[] }> => {
    const runs = join(work, `runs-${n++}`);
    const prefix = `ctflow-bench-${randomBytes(4).toString('hex')}`;
    const procs = Array.from({ length: workers }, () => new WorkerProcess(redis.url, runs, prefix));
    await Promise.all(procs.map((w) => w.waitFor((e) => e.event === 'ready')));
    const remote = workers ? new BullExecutor(redis.url, prefix, shard) : undefined;
    try {
      const s = new Session({ runsDir: runs, registry, remote });
      const { graph, issues } = s.load(file);
      if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
      const t0 = performance.now();
      const out = await s.run(graph);
      if (out.record.status !== 'ok') throw new Error(`run failed: ${JSON.stringify(out.record.nodes)}`);
      return { s: (performance.now() - t0) / 1000, shards: procs.map((w) => w.events.filter((e) => e.event === 'done').length) };
    } finally {
      await remote?.close();
      await Promise.all(procs.map((w) => w.stop()));
    }
  };
  const anchor = (await timed(0, 0)).s;
  console.log(`in process: ${anchor.toFixed(1)} s (load ${load()})`);
  for (const shard of values.shards === 'none' ? [] : values.shards!.split(',').map(Number)) {
    const t = (await timed(1, shard)).s;
    const jobs = Math.ceil(folders.length / shard);
    console.log(`1 worker, --shard ${shard} (${jobs} jobs): ${t.toFixed(1)} s = ${(t / anchor).toFixed(2)} × in process; ${(((t - anchor) / jobs) * 1000).toFixed(0)} ms a job over it (load ${load()})`);
  }
  const shard = Number(values.two);
  const one = await timed(1, shard);
  console.log(`--shard ${shard}${shard === DEFAULT_SHARD ? ' (the default)' : ''}, 1 worker: ${one.s.toFixed(1)} s (load ${load()})`);
  const two = await timed(2, shard);
  console.log(`--shard ${shard}, 2 workers: ${two.s.toFixed(1)} s, shards run by each: ${two.shards.join(' and ')} (load ${load()})`);
  console.log(`2 workers / 1 worker (wall time, the same ${folders.length} scans, ${Math.ceil(folders.length / shard)} shards): ${(two.s / one.s).toFixed(2)}`);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
