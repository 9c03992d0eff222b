// Shards as jobs: under a remote executor, the running nodes cached per scan (engine/partitions.ts)
// form groups as in a local run (connected sources and stream nodes), and a group's missing scans
// are cut into shards of at most `size` scans, each a job of its own named by its scans' keys
// (shardId). So workers compute one dataset together, two runs needing the same shard wait on one
// job, and a worker lost mid-shard loses only that shard's scans in flight: the scans it stored
// stay, and the shard, run again elsewhere, computes only the rest. When every shard is done the
// coordinator commits each stored node's own entry (the list of its scans: manifest reads only).
import { CorruptEntry, NodeFailure } from '../errors.js';
import type { ExecuteOptions } from '../execute.js';
import type { NodeOutcome } from '../group-runner.js';
import { commitPartitioned, mergeNotes } from '../partition-group.js';
import type { Part } from '../partitions.js';
import type { Plan } from '../plan.js';
import type { NodeStats } from '../stream-group.js';
import { nodeJob, shardId, splitJobs, type JobResult, type NodeJob, type WireOutcome, type WirePart } from './jobs.js';

/** A shard: its job, its id (the job's name) and its scans. */
export interface Shard { id: string; job: NodeJob; scans: string[] }

/** What runs the shards of one group: each shard's result, or why it has none. */
export type ShardRunner = (shards: Shard[], progress: (shard: Shard, key: string, done: number, total: number) => void) => Promise<PromiseSettledResult<JobResult>[]>;

/** The groups of a plan under a remote executor: one per connected set of running per-scan nodes, then the node jobs. */
export function remoteGroups(plan: Plan, executor: string): string[][] {
  const running = plan.graph.order.filter((id) => plan.nodes.get(id)!.runs && plan.nodes.get(id)!.parts);
  const parent = new Map(running.map((id) => [id, id]));
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  for (const id of running) {
    for (const ref of Object.values(plan.nodes.get(id)!.node.inputs)) if (parent.has(ref.node)) parent.set(find(ref.node), find(id));
  }
  const groups = new Map<string, string[]>();
  for (const id of running) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  return [...groups.values(), ...splitJobs(plan, executor)];
}

/** Whether `ids` is a group of per-scan nodes (run as shards). */
export function isSharded(plan: Plan, ids: string[]): boolean {
  return Boolean(plan.nodes.get(ids[0])!.parts);
}

/** The shards of a group: its scans whose entry of a stored member is missing, `size` at a time. */
export function shardsOf(plan: Plan, ids: string[], size: number, concurrency: number, backend: string): Shard[] {
  const members = ids.map((id) => plan.nodes.get(id)!);
  const todo = [...members[0].parts!.keys()].filter((i) => members.some((m) => m.node.cache && !m.parts![i].lookup?.hit));
  const shards: Shard[] = [];
  for (let at = 0; at < todo.length; at += size) {
    const scans = todo.slice(at, at + size);
    const base = nodeJob(plan, ids, concurrency, backend);
    const job: NodeJob = { ...base, shard: true, nodes: base.nodes.map((n, k) => ({ ...n, parts: scans.map((i) => wirePart(members[k].parts![i])) })) };
    shards.push({ id: shardId(job), job, scans: scans.map((i) => members[0].parts![i].scan) });
  }
  return shards;
}

/** A part as a job carries it: plain data, no lookup (the worker looks its entry up itself). */
function wirePart({ lookup: _lookup, fileSet, ...p }: Part): WirePart {
  return fileSet ? { ...p, fileSet: fileSet.toJSON() } : p;
}

/**
 * Run a group of per-scan nodes as shards, then commit each stored member's own entry. Outcomes by
 * node; a member that failed in any shard fails (its scans stored by other shards stay).
 */
export async function runShards(plan: Plan, ids: string[], opts: ExecuteOptions, size: number, run: ShardRunner): Promise<Map<string, NodeOutcome>> {
  const shards = shardsOf(plan, ids, size, opts.concurrency, opts.backend);
  const total = shards.reduce((a, s) => a + s.scans.length, 0);
  // A shard's outcome of a member is named by the member's first scan key in it (jobs.ts shardId).
  const memberOf = new Map(shards.flatMap((s) => s.job.nodes.map((n) => [n.parts![0].key, n.id] as const)));
  const doneBy = new Map<string, number>(); // "<shard>\t<node>" → scans done there
  const outcomes = new Map<string, NodeOutcome>();
  ids.forEach((id) => opts.events.started(id));
  try {
    const settled = await run(shards, (shard, key, done, of) => {
      const id = memberOf.get(key);
      if (!id) return;
      // A shard run again counts only the scans it still had to compute: the others are done.
      doneBy.set(`${shard.id}\t${id}`, done + shard.scans.length - of);
      const sum = [...doneBy].filter(([k]) => k.endsWith(`\t${id}`)).reduce((a, [, n]) => a + n, 0);
      opts.events.progress(id, sum, total);
    });
    const wire = new Map<string, WireOutcome[]>(ids.map((id) => [id, []]));
    for (const [k, r] of settled.entries()) {
      if (r.status === 'rejected') throw r.reason;
      if (r.value.corrupt) throw new CorruptEntry(r.value.corrupt.key, r.value.corrupt.node, r.value.corrupt.reason);
      for (const n of shards[k].job.nodes) {
        const o = r.value.outcomes[n.parts![0].key];
        if (o) wire.get(n.id)!.push(o);
      }
    }
    for (const id of ids) {
      const p = plan.nodes.get(id)!;
      const got = wire.get(id)!;
      const stats = mergeStats(got);
      const bad = got.find((o) => o.status === 'failed') ?? got.find((o) => o.status === 'skipped');
      if (bad) {
        const error = bad.status === 'failed' ? new NodeFailure(id, new Error(bad.error)) : new Error(bad.error ?? 'an input failed');
        outcomes.set(id, { status: bad.status, stats, notes: {}, error });
        continue;
      }
      const notes: Record<string, unknown> = {};
      for (const o of got) mergeNotes(notes, o.notes);
      if (!p.node.cache) {
        outcomes.set(id, { status: got.length ? 'ran' : 'not-needed', stats, notes });
        continue;
      }
      // Another coordinator sharing the shards may have committed the node's entry already.
      const had = opts.store.lookup(p.key);
      const manifest = had.hit ? had.manifest : await commitPartitioned(opts.store, id, p.node.kind, p.key, p.parts!);
      // Cached when this run computed none of its scans (another run's shards did, or had).
      const cached = got.every((o) => o.status === 'cached');
      outcomes.set(id, { status: cached ? 'cached' : 'ran', stats, notes: manifest.notes ?? {} });
    }
    return outcomes;
  } finally {
    for (const id of ids) opts.events.finished(id, ['ran', 'cached'].includes(outcomes.get(id)?.status ?? ''));
  }
}

function mergeStats(outcomes: WireOutcome[]): NodeStats {
  const out: NodeStats = { ms: 0, rows: {}, batches: 0 };
  for (const o of outcomes) {
    if (!o.stats) continue;
    out.ms += o.stats.ms;
    out.batches += o.stats.batches;
    for (const [port, n] of Object.entries(o.stats.rows)) out.rows[port] = (out.rows[port] ?? 0) + n;
  }
  return out;
}
