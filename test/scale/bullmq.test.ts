// --executor bullmq end to end: two worker processes on one Redis and one shared runs directory.
// Concurrent runs share jobs (a key is computed and written once); a worker SIGKILLed mid-job
// loses the job to the other worker, and the sweep ends with the keys and bytes of a local run.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BullExecutor } from '../../engine/scale/executor.js';
import type { Session } from '../../engine/session.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';
import { redisOrSkip, type TestRedis } from './redis.js';
import { WorkerProcess } from './workers.js';

const GRAPH = (name: string, scans: number) => `name: ${name}
nodes:
  scans: { kind: toy-scans, params: { scans: ${scans}, slices: 3, size: 16 } }
  slow: { kind: scale, in: { slices: scans }, params: { factor: 2, jitterMs: 60 } }
  fused: { kind: scale, in: { slices: slow }, params: { factor: 0.5 }, cache: false }
  mean: { kind: scan-mean, in: { slices: fused } }
  total: { kind: child-total, in: { stats: mean } }
`;

/** The stored nodes of GRAPH (fused is not stored: it runs in the job of mean). */
const STORED = ['scans', 'slow', 'mean', 'total'];

const SWEEP = (name: string) => `extends: base.yaml
name: ${name}
sweep:
  grid:
    slow.params.factor: [2, 3]
    mean.params.offset: [0, 1]
`;

function storedFiles(runs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const cache = join(runs, 'cache');
  for (const shard of readdirSync(cache).filter((s) => s.length === 2)) {
    for (const key of readdirSync(join(cache, shard))) {
      for (const f of readdirSync(join(cache, shard, key))) out.set(`${key}/${f}`, readFileSync(join(cache, shard, key, f)));
    }
  }
  return out;
}

async function sweep(s: Session, file: string) {
  const { variants, issues } = s.loadSweep(file);
  expect(issues).to.deep.equal([]);
  return s.runSweep(variants, file);
}

/**
 * Wait until workers' stdout has told of storing each of `keys` `times` times (a job completes
 * before its worker's line arrives); the 60 s limit only keeps a lost line from hanging the test.
 */
async function told(workers: WorkerProcess[], keys: string[], times = 1): Promise<void> {
  const until = Date.now() + 60_000;
  while (keys.some((k) => (countStored(workers).get(k) ?? 0) < times) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}

/** How many times each key was stored, over all workers. */
function countStored(workers: WorkerProcess[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const k of workers.flatMap((w) => w.stored())) n.set(k, (n.get(k) ?? 0) + 1);
  return n;
}

describe('scale-out on BullMQ: two workers, one shared runs directory', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let dir: string;
  let runs: string;
  let prefix: string;
  let workers: WorkerProcess[] = [];
  const executors: BullExecutor[] = [];

  before(async function () {
    redis = await redisOrSkip(this);
    dir = tempDir('ctflow-scale-');
    runs = join(dir, 'shared');
    prefix = `ctflow-test-${randomBytes(4).toString('hex')}`;
    workers = [new WorkerProcess(redis.url, runs, prefix), new WorkerProcess(redis.url, runs, prefix)];
    await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'ready')));
  });

  after(async () => {
    await Promise.all(executors.map((e) => e.close()));
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  });

  const remote = () => {
    const e = new BullExecutor(redis.url, prefix);
    executors.push(e);
    return e;
  };

  it('two concurrent runs sharing nodes: each shared key is one job, run and written once', async () => {
    writeGraph(dir, 'base.yaml', GRAPH('shared', 4));
    const a = writeGraph(dir, 'a.yaml', 'extends: base.yaml\nname: a\nnodes:\n  mean: { params: { offset: 1 } }\n');
    const b = writeGraph(dir, 'b.yaml', 'extends: base.yaml\nname: b\nnodes:\n  mean: { params: { offset: 2 } }\n');
    const run = async (file: string) => {
      const s = session(runs, { remote: remote() });
      const { graph } = s.load(file);
      return s.run(graph!);
    };
    const [ra, rb] = await Promise.all([run(a), run(b)]);
    expect(ra.record.status, JSON.stringify(ra.record.nodes)).to.equal('ok');
    expect(rb.record.status).to.equal('ok');
    for (const id of ['scans', 'slow']) expect(ra.record.nodes[id].key).to.equal(rb.record.nodes[id].key);
    expect(ra.record.nodes.mean.key).to.not.equal(rb.record.nodes.mean.key);
    await told(workers, [ra, rb].flatMap((r) => STORED.map((id) => r.record.nodes[id].key)));
    const stored = countStored(workers);
    for (const r of [ra, rb]) {
      for (const id of STORED) expect(stored.get(r.record.nodes[id].key), `${r.record.graph} ${id}`).to.equal(1);
    }
    expect([...stored.values()].every((n) => n === 1)).to.equal(true);
  });

  it('a sweep survives a worker SIGKILLed mid-job: same keys and bytes as a local run, each entry written once', async () => {
    writeGraph(dir, 'base.yaml', GRAPH('sweepy', 5));
    const file = writeGraph(dir, 'sweep.yaml', SWEEP('sweepy'));
    const before = countStored(workers);
    const logs: string[] = [];
    const progress: string[] = [];
    const events = { log: (node: string, m: string) => logs.push(`${node}: ${m}`), progress: (node: string, done: number, total: number) => progress.push(`${node} ${done}/${total}`) };
    const running = sweep(session(runs, { remote: remote(), events }), file);
    // Kill whichever worker first takes a job with the slow node (about a second of work).
    const taken = await Promise.race(workers.map((w) => w.waitFor((e) => e.event === 'active' && e.nodes.some((n) => n.endsWith('/slow'))).then((e) => ({ w, e }))));
    await taken.w.kill();
    const survivor = workers.find((w) => w !== taken.w)!;
    const out = await running;
    expect(out.runs.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);

    const killedJob = (taken.e as { job: string }).job;
    await told(workers, out.runs.flatMap((r) => STORED.map((id) => r.nodes[id].key)));
    expect(taken.w.stored()).to.not.include(killedJob);
    expect(logs.some((l) => l.includes(`job ${killedJob.slice(0, 12)} stalled`)), logs.join('\n')).to.equal(true);
    expect(progress).to.include(`${out.runs[0].graph}/total 5/5`); // child-total's progress, from its worker's child process
    expect(logs, 'lines a node logs on a worker come back').to.include(`${out.runs[0].graph}/total: reading 5 scans`);
    expect(survivor.stored()).to.include(killedJob);
    const stored = countStored(workers);
    const fresh = [...stored].filter(([k]) => !before.has(k));
    expect(fresh.length).to.equal(1 + 2 + 4 + 4); // scans, slow ×2, mean ×4, total ×4
    for (const [k, n] of fresh) expect(n, k).to.equal(1);

    const local = join(dir, 'local');
    const here = await sweep(session(local), file);
    expect(here.runs.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
    const want = storedFiles(local);
    const got = storedFiles(runs);
    for (const [k, bytes] of want) expect(got.get(k)?.equals(bytes), k).to.equal(true);
    const keys = (m: Map<string, Buffer>) => new Set([...m.keys()].map((k) => k.split('/')[0]));
    expect([...keys(want)].sort()).to.deep.equal(fresh.map(([k]) => k).sort());
  });

  it('a job kept from an earlier run whose entry was removed since runs again', async () => {
    const s = session(runs, { remote: remote() });
    const { graph } = s.load(join(dir, 'a.yaml'));
    const key = (await s.plan(graph!)).nodes.get('total')!.key;
    await s.store.evict(key);
    const out = await s.run(graph!);
    expect(out.record.nodes.total.status).to.equal('ran');
    expect(s.store.lookup(key).hit).to.equal(true);
    await told(workers, [key], 2);
    expect(countStored(workers).get(key)).to.equal(2);
  });

  it('an input entry a worker finds corrupt is removed and recomputed, as in a local run', async () => {
    const s = session(runs, { remote: remote() });
    const { graph } = s.load(join(dir, 'a.yaml'));
    const plan = await s.plan(graph!);
    const file = join(s.store.entryDir(plan.nodes.get('slow')!.key), 'slices.arrow');
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff; // same size: planning sees a whole entry, reading fails the checksum
    writeFileSync(file, bytes);
    for (const id of ['mean', 'total']) await s.store.evict(plan.nodes.get(id)!.key);
    const out = await s.run(graph!);
    expect(out.record.status).to.equal('ok');
    expect(out.record.nodes.slow.status).to.equal('ran');
    expect(out.record.nodes.slow.reason).to.match(/^cache entry corrupt: /);
    expect(readFileSync(file).equals(bytes)).to.equal(false);
  });

  it('a node failing on a worker fails the run naming the node and the cause; the rest stays cached', async () => {
    const file = writeGraph(dir, 'bad.yaml', `name: bad
nodes:
  scans: { kind: toy-scans, params: { scans: 3 } }
  bad: { kind: fail-at, in: { slices: scans }, params: { at: 1 } }
  mean: { kind: scan-mean, in: { slices: bad } }
`);
    const s = session(runs, { remote: remote() });
    const out = await s.run(s.load(file).graph!);
    expect(out.record.status).to.equal('failed');
    expect(out.record.nodes.bad).to.include({ status: 'failed', error: 'node "bad" failed: refusing scan-1' });
    expect(out.record.nodes.mean.status).to.equal('skipped');
    expect(s.store.lookup(out.record.nodes.scans.key).hit).to.equal(true);
    expect(out.result.failures.map((f) => f.node)).to.deep.equal(['bad']);
  });
});
