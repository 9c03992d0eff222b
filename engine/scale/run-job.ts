// Running one node job on this machine, whatever brought it here (a BullMQ worker, a Slurm
// job): rebuild its group with this machine's code (job-group.ts refuses a key mismatch), take the
// sink's lease on the shared store, answer from the store when the entry is there already,
// else run the nodes with the engine and publish the entry. A shard of scans (engine/scale/shards.ts)
// takes its shard's lease, computes the scans whose entries are missing and publishes them; its
// coordinator commits the nodes' own entries. Failures come back as a JobResult the coordinator
// reads (a failed node, or a corrupt input to evict), or as plain text.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CorruptEntry, NodeFailure } from '../errors.js';
import type { GroupMember } from '../group.js';
import { runGroup, type GroupEnv, type NodeOutcome } from '../group-runner.js';
import { runPartitionedGroup } from '../partition-group.js';
import type { Leases } from '../lease.js';
import type { Registry } from '../registry.js';
import { CoreBudget, Slots } from '../slots.js';
import { shardId, type JobResult, type NodeJob, type WireOutcome } from './jobs.js';
import { jobGroup } from './job-group.js';
import type { SharedStore } from './store.js';

export interface JobEnv {
  store: SharedStore;
  registry: Registry;
  leases: Leases;
  /** A scratch directory of this job's own. */
  scratch: string;
  allowCommands?: boolean;
  /** The cores model nodes share, across the jobs of one worker (default: the machine's, for this job). */
  cores?: CoreBudget;
  /** A line a node logged; progress of a node (by key). */
  log(node: string, key: string, message: string): void;
  progress(key: string, done: number, total: number, info?: string): void;
}

export interface JobDone {
  status: 'ran' | 'cached' | 'failed';
  result: JobResult;
  /** Keys this job stored. */
  stored: string[];
  /** Why it failed: a JobResult as JSON, or plain text for a problem of the machine itself. */
  reason?: string;
}

export async function runNodeJob(data: NodeJob, env: JobEnv): Promise<JobDone> {
  try {
    return await attempt(data, env);
  } catch (e) {
    return failure(e as Error, data);
  }
}

async function attempt(data: NodeJob, env: JobEnv): Promise<JobDone> {
  if (data.shard) return shard(data, env);
  const sink = data.nodes[data.nodes.length - 1];
  if ((await env.store.pull(sink.key)).hit) return { status: 'cached', result: cachedResult(data), stored: [] };
  const group = await jobGroup(data, env.registry, env.store, env.allowCommands);
  const keyOf = new Map(group.members.map((m) => [m.node.id, m.key]));
  while (!env.leases.tryAcquire(sink.key)) await env.leases.waitFree(sink.key);
  try {
    if ((await env.store.pull(sink.key)).hit) return { status: 'cached', result: cachedResult(data), stored: [] };
    const { outcomes } = await runGroup(group, groupEnv(data, env, keyOf));
    const result: JobResult = { outcomes: Object.fromEntries(group.members.map((m) => [m.key, wire(outcomes.get(m.node.id)!)])) };
    if (outcomes.get(sink.id)!.status !== 'ran') return { status: 'failed', result, stored: [], reason: JSON.stringify(result) };
    await env.store.publish(sink.key);
    return { status: 'ran', result, stored: [sink.key] };
  } finally {
    env.leases.release(sink.key);
  }
}

/** The group runner's environment on this machine; events name nodes by `keyOf` for the coordinator. */
function groupEnv(data: NodeJob, env: JobEnv, keyOf: Map<string, string>): GroupEnv {
  return {
    store: env.store.local, scratchDir: env.scratch, checkpointDir: join(env.store.local.root, 'checkpoints'),
    concurrency: data.concurrency, backend: data.backend, children: new Slots(1), cores: env.cores ?? new CoreBudget(availableParallelism()), signal: new AbortController().signal,
    events: {
      log: (node, message) => env.log(node, keyOf.get(node)!, message),
      progress: (node, done, total, info) => env.progress(keyOf.get(node)!, done, total, info),
      started: () => {}, finished: () => {},
    },
  };
}

/** Run a shard: the scans of its nodes whose entries are missing; those it stored are published at the end. */
async function shard(data: NodeJob, env: JobEnv): Promise<JobDone> {
  const id = shardId(data);
  const group = await jobGroup(data, env.registry, env.store, env.allowCommands);
  // Outcomes and progress are named by each node's first scan key in the shard (jobs.ts shardId).
  const keyOf = new Map(group.members.map((m) => [m.node.id, m.parts![0].key]));
  const scans = group.members.filter((m) => m.node.cache).flatMap((m) => m.parts!);
  if (scans.every((p) => p.lookup?.hit)) return { status: 'cached', result: cachedShard(group.members, keyOf), stored: [] };
  while (!env.leases.tryAcquire(id)) await env.leases.waitFree(id);
  try {
    for (const p of scans) p.lookup = await env.store.pull(p.key); // another worker may have stored some meanwhile
    if (scans.every((p) => p.lookup?.hit)) return { status: 'cached', result: cachedShard(group.members, keyOf), stored: [] };
    const before = new Set(scans.filter((p) => p.lookup?.hit).map((p) => p.key));
    const { outcomes } = await runPartitionedGroup(group, groupEnv(data, env, keyOf), true);
    const result: JobResult = { outcomes: Object.fromEntries(group.members.map((m) => [keyOf.get(m.node.id)!, wire(outcomes.get(m.node.id)!)])) };
    const stored = scans.filter((p) => p.lookup?.hit && !before.has(p.key)).map((p) => p.key);
    for (const key of stored) await env.store.publish(key);
    if ([...outcomes.values()].some((o) => o.status === 'failed' || o.status === 'skipped')) return { status: 'failed', result, stored, reason: JSON.stringify(result) };
    return { status: 'ran', result, stored };
  } finally {
    env.leases.release(id);
  }
}

function cachedShard(members: GroupMember[], keyOf: Map<string, string>): JobResult {
  return { outcomes: Object.fromEntries(members.map((m) => [keyOf.get(m.node.id)!, { status: m.node.cache ? 'cached' : 'not-needed', notes: {} }])) };
}

function failure(e: Error, data: NodeJob): JobDone {
  if (e instanceof CorruptEntry) {
    const result: JobResult = { outcomes: {}, corrupt: { key: e.key, node: e.node, reason: e.reason } };
    return { status: 'failed', result, stored: [], reason: JSON.stringify(result) };
  }
  if (e instanceof NodeFailure) {
    const failed = data.nodes.find((n) => n.id === e.node) ?? data.nodes[data.nodes.length - 1];
    const result: JobResult = { outcomes: { [failed.parts?.[0]?.key ?? failed.key]: { status: 'failed', notes: {}, error: e.cause instanceof Error ? e.cause.message : String(e.cause) } } };
    return { status: 'failed', result, stored: [], reason: JSON.stringify(result) };
  }
  return { status: 'failed', result: { outcomes: {} }, stored: [], reason: e.message };
}

function cachedResult(job: NodeJob): JobResult {
  return { outcomes: Object.fromEntries(job.nodes.map((n) => [n.key, { status: n.cache ? 'cached' : 'not-needed', notes: {} }])) };
}

function wire(o: NodeOutcome): WireOutcome {
  const error = o.error instanceof NodeFailure && o.error.cause instanceof Error ? o.error.cause.message : o.error?.message;
  return { status: o.status, stats: o.stats, notes: o.notes, ...(error ? { error } : {}) };
}
