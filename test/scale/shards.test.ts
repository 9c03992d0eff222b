// Shards as jobs (engine/scale/shards.ts): under --executor bullmq a chain cached per scan runs as
// jobs of at most --shard scans, keyed by their scans' keys. Two real worker processes on a real
// Redis share one dataset; a worker SIGKILLed mid-shard loses only that shard's scan in flight
// (the scan it stored stays, the survivor computes the rest), and the entries equal a local run's,
// key for key and byte for byte, each scan entry written once.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BullExecutor } from '../../engine/scale/executor.js';
import { shardsOf } from '../../engine/scale/shards.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';
import { redisOrSkip, type TestRedis } from './redis.js';
import { WorkerProcess } from './workers.js';

// scale's jitterMs delays scan k by jitterMs × (5 − k): the first shard's scans take 2 s and 1.6 s.
const GRAPH = `name: shards
nodes:
  scans: { kind: synthetic-ct, params: { scans: 8, slices: [3, 4], size: 64 } }
  slow: { kind: scale, in: { slices: scans }, params: { factor: 2, jitterMs: 400 } }
  half: { kind: scale, in: { slices: slow }, params: { factor: 0.5 }, cache: false }
  mean: { kind: scan-mean, in: { slices: half } }
`;

function entries(runs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const cache = join(runs, 'cache');
  for (const d of readdirSync(cache).filter((s) => /^[0-9a-f]{2}$/.test(s))) {
    for (const key of readdirSync(join(cache, d))) for (const f of readdirSync(join(cache, d, key))) out.set(`${key}/${f}`, readFileSync(join(cache, d, key, f)));
  }
  return out;
}

describe('shards as jobs on BullMQ: two workers, one dataset', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let workers: WorkerProcess[] = [];
  let executor: BullExecutor | undefined;

  before(async function () {
    redis = await redisOrSkip(this);
  });

  after(async () => {
    await executor?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  });

  it('shares the scans between two workers; a worker SIGKILLed mid-shard loses only its scan in flight; equals a local run', async () => {
    const dir = tempDir('ctflow-shards-');
    const runs = join(dir, 'shared');
    const prefix = `ctflow-test-${randomBytes(4).toString('hex')}`;
    workers = [new WorkerProcess(redis.url, runs, prefix), new WorkerProcess(redis.url, runs, prefix)];
    await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready')));
    const file = writeGraph(dir, 'g.yaml', GRAPH);
    executor = new BullExecutor(redis.url, prefix, 2);
    const logs: string[] = [];
    const progress: string[] = [];
    const events = { log: (node: string, m: string) => logs.push(`${node}: ${m}`), progress: (node: string, done: number, total: number) => progress.push(`${node} ${done}/${total}`) };
    const s = session(runs, { remote: executor, concurrency: 1, events });
    const graph = s.load(file).graph!;
    const plan = await s.plan(graph);
    const ids = ['scans', 'slow', 'half', 'mean'];
    const shards = shardsOf(plan, ids, 2, 1, 'auto');
    expect(shards.map((x) => x.scans.length)).to.deep.equal([2, 2, 2, 2]);
    const partKeys = (id: string) => plan.nodes.get(id)!.parts!.map((p) => p.key);

    const running = s.run(graph);
    // Both workers take a shard at once (concurrency 1 each).
    const active = await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'active')));
    const jobs = active.map((e) => (e as { job: string }).job);
    expect(new Set(jobs).size, 'two different shards').to.equal(2);
    // The worker on the first shard is killed once it has stored its first scan (of every node).
    const k = jobs.findIndex((j) => j === shards[0].id);
    expect(k, `a worker took the first shard (${jobs.join(', ')})`).to.be.at.least(0);
    const first = ['scans', 'slow', 'mean'].map((id) => partKeys(id)[0]);
    while (!first.every((key) => s.store.lookup(key).hit)) await new Promise((r) => setTimeout(r, 50));
    await workers[k].kill();
    const second = ['scans', 'slow', 'mean'].map((id) => partKeys(id)[1]);
    // The second scan's source entry is written as soon as that scan starts, and may beat the kill
    // (the poll is 50 ms; a loaded CI run lost that race once); its mean comes ≥ 1.6 s later.
    const early = second.filter((key) => s.store.lookup(key).hit);
    expect(early, 'the second scan was still in flight').to.not.include(second[2]);
    const survivor = workers[1 - k];
    const out = await running;
    expect(out.record.status, JSON.stringify(out.record.nodes)).to.equal('ok');
    for (const id of ['scans', 'slow', 'mean']) expect(out.record.nodes[id].status, id).to.equal('ran');
    expect(logs.some((l) => l.includes(`shard job ${shards[0].id.slice(0, 12)}`) && l.includes('stalled')), logs.join('\n')).to.equal(true);
    expect(progress).to.include('mean 8/8');

    // The survivor ran the killed shard again and computed only its second scan.
    const redone = await survivor.waitFor((e) => e.event === 'done' && e.job === shards[0].id);
    expect((redone as { stored: string[] }).stored.sort()).to.deep.equal(second.filter((key) => !early.includes(key)).sort());
    // Every scan entry was stored once over all workers (the killed worker's first scan, and what
    // it stored of its second, included).
    const stored = [...workers.flatMap((w) => w.stored()), ...first, ...early];
    const all = ['scans', 'slow', 'mean'].flatMap(partKeys);
    expect(stored.sort()).to.deep.equal(all.sort());

    // A local run (per scan) gives the same keys and bytes; its rerun on the shared store is a no-op.
    const local = join(dir, 'local');
    const here = await session(local).run(session(local).load(file).graph!);
    for (const id of ['scans', 'slow', 'mean']) expect(here.record.nodes[id].key, id).to.equal(out.record.nodes[id].key);
    const want = entries(local);
    const got = entries(runs);
    for (const [f, bytes] of want) expect(got.get(f)?.equals(bytes), f).to.equal(true);
    const again = await session(runs).run(session(runs).load(file).graph!);
    expect(Object.values(again.record.nodes).map((n) => n.status)).to.deep.equal(['cached', 'cached', 'not-needed', 'cached']);
  });
});
