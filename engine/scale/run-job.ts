// Running one node job on this machine, whatever brought it here (a BullMQ worker, a Slurm
// job): rebuild its group with this machine's code (job-group.ts refuses a key mismatch), take the
// sink's lease on the shared store, answer from the store when the entry is there already,
// else run the nodes with the engine and publish the entry. Failures come back as a JobResult
// the coordinator reads (a failed node, or a corrupt input to evict), or as plain text.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CorruptEntry, NodeFailure } from '../errors.js';
import { runGroup, type NodeOutcome } from '../group-runner.js';
import type { Leases } from '../lease.js';
import type { Registry } from '../registry.js';
import { CoreBudget, Slots } from '../slots.js';
import type { JobResult, NodeJob, WireOutcome } from './jobs.js';
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
  const sink = data.nodes[data.nodes.length - 1];
  if ((await env.store.pull(sink.key)).hit) return { status: 'cached', result: cachedResult(data), stored: [] };
  const group = await jobGroup(data, env.registry, env.store, env.allowCommands);
  const keyOf = new Map(group.members.map((m) => [m.node.id, m.key]));
  while (!env.leases.tryAcquire(sink.key)) await env.leases.waitFree(sink.key);
  try {
    if ((await env.store.pull(sink.key)).hit) return { status: 'cached', result: cachedResult(data), stored: [] };
    const { outcomes } = await runGroup(group, {
      store: env.store.local, scratchDir: env.scratch, checkpointDir: join(env.store.local.root, 'checkpoints'),
      concurrency: data.concurrency, backend: data.backend, children: new Slots(1), cores: env.cores ?? new CoreBudget(availableParallelism()), signal: new AbortController().signal,
      events: {
        log: (node, message) => env.log(node, keyOf.get(node)!, message),
        progress: (node, done, total, info) => env.progress(keyOf.get(node)!, done, total, info),
        started: () => {}, finished: () => {},
      },
    });
    const result: JobResult = { outcomes: Object.fromEntries(group.members.map((m) => [m.key, wire(outcomes.get(m.node.id)!)])) };
    if (outcomes.get(sink.id)!.status !== 'ran') return { status: 'failed', result, stored: [], reason: JSON.stringify(result) };
    await env.store.publish(sink.key);
    return { status: 'ran', result, stored: [sink.key] };
  } finally {
    env.leases.release(sink.key);
  }
}

function failure(e: Error, data: NodeJob): JobDone {
  if (e instanceof CorruptEntry) {
    const result: JobResult = { outcomes: {}, corrupt: { key: e.key, node: e.node, reason: e.reason } };
    return { status: 'failed', result, stored: [], reason: JSON.stringify(result) };
  }
  if (e instanceof NodeFailure) {
    const failed = data.nodes.find((n) => n.id === e.node) ?? data.nodes[data.nodes.length - 1];
    const result: JobResult = { outcomes: { [failed.key]: { status: 'failed', notes: {}, error: e.cause instanceof Error ? e.cause.message : String(e.cause) } } };
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
