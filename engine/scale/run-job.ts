// Running one node job on this machine, whatever brought it here (a BullMQ worker, a Slurm
// job): rebuild its plan with this machine's code (job-plan.ts refuses a key mismatch), take the
// sink's lease on the shared store, answer from the store when the entry is there already,
// else run the nodes with the engine and publish the entry. Failures come back as a JobResult
// the coordinator reads (a failed node, or a corrupt input to evict), or as plain text.
import { join } from 'node:path';
import { CorruptEntry, NodeFailure } from '../errors.js';
import { runOne, type ExecuteOptions, type NodeOutcome } from '../execute.js';
import type { Leases } from '../lease.js';
import type { Registry } from '../registry.js';
import type { EntryWriter } from '../store.js';
import type { JobResult, NodeJob, WireOutcome } from './jobs.js';
import { jobPlan } from './job-plan.js';
import type { SharedStore } from './store.js';

export interface JobEnv {
  store: SharedStore;
  registry: Registry;
  leases: Leases;
  /** A scratch directory of this job's own. */
  scratch: string;
  allowCommands?: boolean;
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
  const { plan, ids, available } = await jobPlan(data, env.registry, env.store, env.allowCommands);
  while (!env.leases.tryAcquire(sink.key)) await env.leases.waitFree(sink.key);
  try {
    if ((await env.store.pull(sink.key)).hit) return { status: 'cached', result: cachedResult(data), stored: [] };
    const outcomes = new Map<string, NodeOutcome>();
    const temporary: EntryWriter[] = [];
    const exec: ExecuteOptions = {
      store: env.store.local, scratchDir: env.scratch, checkpointDir: join(env.store.local.root, 'checkpoints'),
      concurrency: data.concurrency, backend: data.backend, maxChildren: 1,
      events: {
        log: (node, message) => env.log(node, plan.nodes.get(node)!.key, message),
        progress: (node, done, total, info) => env.progress(plan.nodes.get(node)!.key, done, total, info),
        started: () => {}, finished: () => {},
      },
    };
    await runOne(plan, ids, available, exec, outcomes, temporary, new AbortController().signal);
    const result: JobResult = { outcomes: Object.fromEntries(ids.map((id) => [plan.nodes.get(id)!.key, wire(outcomes.get(id)!)])) };
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
