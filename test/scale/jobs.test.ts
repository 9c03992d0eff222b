// How a plan splits into node jobs, and how a worker rebuilds one (no Redis needed).
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptEntry, GraphError } from '../../engine/errors.js';
import { jobGroup } from '../../engine/scale/job-group.js';
import { nodeJob, splitJobs } from '../../engine/scale/jobs.js';
import { remoteGroups, shardsOf } from '../../engine/scale/shards.js';
import { DirectoryStore } from '../../engine/scale/store.js';
import { runFile, session, tempDir, testRegistry, writeGraph } from '../helpers/engine.js';

const GRAPH = `name: jobs
nodes:
  scans: { kind: toy-scans, params: { scans: 2 } }
  up: { kind: scale, in: { slices: scans }, cache: false }
  down: { kind: scale, in: { slices: up }, params: { factor: 3 }, cache: false }
  mean: { kind: scan-mean, in: { slices: down } }
  other: { kind: scan-mean, in: { slices: up }, params: { offset: 1 } }
  total: { kind: stats-total, in: { stats: mean } }
`;

async function planOf(yaml: string) {
  const dir = tempDir();
  const s = session(join(dir, 'runs'));
  const file = writeGraph(dir, 'g.yaml', yaml);
  const { graph, issues } = s.load(file);
  expect(issues).to.deep.equal([]);
  return { s, file, plan: await s.plan(graph!) };
}

describe('scale-out jobs', () => {
  it('one job per stored node, with the unstored chain that feeds it (recomputed in each job that needs it)', async () => {
    const { plan } = await planOf(GRAPH);
    expect(splitJobs(plan)).to.deep.equal([['scans'], ['up', 'down', 'mean'], ['up', 'other'], ['total']]);
    const job = nodeJob(plan, ['up', 'down', 'mean'], 2, 'cpu');
    expect(job.reads).to.deep.equal({ scans: plan.nodes.get('scans')!.key });
    expect(job.nodes.map((n) => [n.id, n.key])).to.deep.equal(['up', 'down', 'mean'].map((id) => [id, plan.nodes.get(id)!.key]));
    expect(job.nodes[1].material.params).to.deep.equal({ factor: 3, jitterMs: 0 });
  });

  it('an unstored node read by a barrier is refused before anything runs, with the fix', async () => {
    const { plan } = await planOf(GRAPH.replace('mean: { kind: scan-mean, in: { slices: down } }', 'mean: { kind: scan-mean, in: { slices: down }, cache: false }'));
    expect(() => splitJobs(plan)).to.throw(GraphError, /node "mean" \[scale-out\] "mean" is not stored \(cache: false\) but the barrier "total" reads it[\s\S]*hint: remove "cache: false" from "mean"/);
  });

  it('a worker rebuilds a job from its key material; refuses one its code would key differently, or whose inputs it cannot read', async () => {
    const { s, file, plan } = await planOf(GRAPH);
    await runFile(s, file);
    const store = new DirectoryStore(s.store.root);
    const job = nodeJob(plan, ['up', 'down', 'mean'], 2, 'cpu');
    const rebuilt = await jobGroup(job, testRegistry, store);
    expect(rebuilt.members.map((m) => m.node.id)).to.deep.equal(['up', 'down', 'mean']);
    expect([...rebuilt.inputs.keys()]).to.deep.equal(['scans']);
    expect(rebuilt.inputs.get('scans')!.manifest.key).to.equal(plan.nodes.get('scans')!.key);
    expect(rebuilt.members[1].node.params).to.deep.equal({ factor: 3, jitterMs: 0 });
    expect(rebuilt.members.map((m) => [m.key, m.seedKey])).to.deep.equal(['up', 'down', 'mean'].map((id) => [plan.nodes.get(id)!.key, plan.nodes.get(id)!.seedKey]));

    const stale = structuredClone(job);
    stale.nodes[1].material.impl = 'an older commit';
    await jobGroup(stale, testRegistry, store).then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.match(/node "down" \(scale\): this worker's code gives another cache key \(its implementation .* differs\); run workers from the same ctflow commit/));

    const scans = s.store.entryDir(plan.nodes.get('scans')!.key);
    writeFileSync(join(scans, 'slices.arrow'), 'truncated');
    await jobGroup(job, testRegistry, store).then(() => expect.fail('accepted'), (e: Error) => expect(e).to.be.instanceOf(CorruptEntry).and.have.property('node', 'scans'));
    await s.store.evict(plan.nodes.get('scans')!.key);
    await jobGroup(job, testRegistry, store).then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.match(/input "scans" \(\w{12}\) is not in .* on this worker: --cache must name the shared runs directory/));
  });
  it('nodes cached per scan are shards of scans; a worker rechecks every scan key and looks each scan up', async () => {
    const { s, plan } = await planOf(`name: shards
nodes:
  scans: { kind: synthetic-ct, params: { scans: 5, slices: [3, 4], size: 64 } }
  up: { kind: scale, in: { slices: scans }, cache: false }
  mean: { kind: scan-mean, in: { slices: up } }
  total: { kind: stats-total, in: { stats: mean } }
`);
    expect(remoteGroups(plan, 'bullmq')).to.deep.equal([['scans', 'up', 'mean'], ['total']]);
    const shards = shardsOf(plan, ['scans', 'up', 'mean'], 2, 1, 'cpu');
    expect(shards.map((x) => x.scans)).to.deep.equal([['syn-0000', 'syn-0001'], ['syn-0002', 'syn-0003'], ['syn-0004']]);
    expect(new Set(shards.map((x) => x.id)).size).to.equal(3);
    const store = new DirectoryStore(s.store.root);
    const rebuilt = await jobGroup(shards[1].job, testRegistry, store);
    expect(rebuilt.members.map((m) => m.parts!.map((p) => [p.scan, p.lookup?.hit ?? 'unstored']))).to.deep.equal([
      [['syn-0002', false], ['syn-0003', false]], [['syn-0002', 'unstored'], ['syn-0003', 'unstored']], [['syn-0002', false], ['syn-0003', false]],
    ]);
    const forged = structuredClone(shards[1].job);
    forged.nodes[2].parts![1].key = forged.nodes[2].parts![0].key;
    await jobGroup(forged, testRegistry, store).then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.equal('node "mean" (scan-mean): this worker\'s code gives another key for scan syn-0003; run workers from the same ctflow commit as the coordinator'));
  });

  it('a worker runs a command node only when started with --allow-commands, with the ports its params declare', async () => {
    const { s, file, plan } = await planOf(`name: jobs-cmd
nodes:
  scans: { kind: toy-scans, params: { scans: 2 } }
  mean: { kind: scan-mean, in: { slices: scans } }
  copy:
    kind: command
    in: { stats: mean }
    params: { argv: [node, copy.js], inputs: { stats: scan-stats }, outputs: { copied: scan-stats } }
`);
    s.opts.allowCommands = true;
    await runFile(s, file); // stores scans and mean (copy fails: copy.js is absent)
    const store = new DirectoryStore(s.store.root);
    const job = nodeJob(plan, ['copy'], 2, 'cpu');
    await jobGroup(job, testRegistry, store).then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.match(/node "copy" runs a program \("node copy\.js"\); this worker runs command nodes only when started with --allow-commands/));
    const allowed = await jobGroup(job, testRegistry, store, true);
    expect(Object.keys(allowed.members[0].node.def.outputs)).to.deep.equal(['copied']);
  });
});
