// The worker side of --executor bullmq: take node jobs from Redis, run each with the engine (the
// same code as a local run: stream groups in lockstep, model nodes in a child process), commit
// into the shared store and report per-node outcomes. A worker killed mid-job loses its lock;
// another worker's stall check puts the job back in the queue and it runs there. The entry is
// written once: a worker takes the key's lease (engine/lease.ts) on the shared store before it
// computes, and a job whose entry exists already is answered from the store.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { CorruptEntry, NodeFailure } from '../errors.js';
import { runGroup, type NodeOutcome } from '../group-runner.js';
import { Leases } from '../lease.js';
import type { Registry } from '../registry.js';
import { Slots } from '../slots.js';
import type { JobResult, NodeJob, WireOutcome } from './jobs.js';
import { jobGroup } from './job-group.js';
import { DEFAULT_PREFIX, DEFAULT_TIMING, QUEUES, type Timing } from './queue.js';
import { redisConnection } from './redis.js';
import type { SharedStore } from './store.js';

export interface WorkerOptions {
  redis: string;
  store: SharedStore;
  registry: Registry;
  /** Jobs of sources, stream chains and light barriers at once. */
  concurrency: number;
  /** Model (heavy) jobs at once, each in a child process; 0: take none. */
  heavyConcurrency: number;
  /** Run jobs of command nodes (programs named in graphs): off unless the worker's user allows it. */
  allowCommands?: boolean;
  timing?: Timing;
  prefix?: string;
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { event: 'ready'; queues: string[] }
  | { event: 'active'; job: string; nodes: string[] }
  | { event: 'done'; job: string; status: 'ran' | 'cached' | 'failed'; stored: string[]; error?: string }
  | { event: 'log'; job: string; node: string; message: string };

export interface RunningWorker { close(): Promise<void> }

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const timing = opts.timing ?? DEFAULT_TIMING;
  const emit = opts.onEvent ?? (() => {});
  const leases = new Leases(join(opts.store.local.cacheDir, 'leases'));
  // Scratch inside the runs directory, as a local run's (nothing is written outside it).
  const scratch = join(opts.store.local.root, 'scratch', `worker-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
  const connection = redisConnection(opts.redis);
  const kinds = ([['light', opts.concurrency], ['heavy', opts.heavyConcurrency]] as const).filter(([, n]) => n > 0);
  const workers = kinds.map(([kind, concurrency]) => new Worker<NodeJob, JobResult>(QUEUES[kind], (job) => processJob(job, opts, leases, scratch, emit), {
    connection, prefix: opts.prefix ?? DEFAULT_PREFIX, concurrency,
    lockDuration: timing.lockMs, stalledInterval: timing.stalledMs, maxStalledCount: timing.maxStalls,
  }));
  for (const w of workers) w.on('error', (e) => emit({ event: 'log', job: '-', node: '-', message: `queue error: ${e.message}` }));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  emit({ event: 'ready', queues: kinds.map(([k]) => QUEUES[k]) });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await connection.quit();
      leases.releaseAll();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

interface Done { status: 'ran' | 'cached' | 'failed'; result: JobResult; stored: string[]; reason?: string }

async function processJob(job: Job<NodeJob, JobResult>, opts: WorkerOptions, leases: Leases, scratch: string, emit: (e: WorkerEvent) => void): Promise<JobResult> {
  const jobId = job.id!;
  emit({ event: 'active', job: jobId, nodes: job.data.nodes.map((n) => n.id) });
  let done: Done;
  try {
    done = await runJob(job, opts, leases, scratch, emit);
  } catch (e) {
    done = failure(e as Error, job.data);
  }
  emit({ event: 'done', job: jobId, status: done.status, stored: done.stored, ...(done.reason ? { error: done.reason } : {}) });
  if (done.reason) throw new Error(done.reason);
  return done.result;
}

async function runJob(job: Job<NodeJob, JobResult>, opts: WorkerOptions, leases: Leases, scratch: string, emit: (e: WorkerEvent) => void): Promise<Done> {
  const data = job.data;
  const sink = data.nodes[data.nodes.length - 1];
  const group = await jobGroup(data, opts.registry, opts.store, opts.allowCommands);
  const keyOf = new Map(group.members.map((m) => [m.node.id, m.key]));
  while (!leases.tryAcquire(sink.key)) await leases.waitFree(sink.key);
  try {
    if ((await opts.store.pull(sink.key)).hit) return { status: 'cached', result: cachedResult(data), stored: [] };
    const { outcomes } = await runGroup(group, {
      store: opts.store.local, scratchDir: join(scratch, job.id!.slice(0, 16)), checkpointDir: join(opts.store.local.root, 'checkpoints'),
      concurrency: data.concurrency, backend: data.backend, children: new Slots(1), signal: new AbortController().signal,
      events: {
        log: (node, message) => {
          emit({ event: 'log', job: job.id!, node, message });
          void job.updateProgress({ key: keyOf.get(node)!, log: message }).catch(() => {}); // the coordinator prints it
        },
        progress: (node, done, total, info) => void job.updateProgress({ key: keyOf.get(node)!, done, total, info }).catch(() => {}),
        started: () => {}, finished: () => {},
      },
    });
    const result: JobResult = { outcomes: Object.fromEntries(group.members.map((m) => [m.key, wire(outcomes.get(m.node.id)!)])) };
    if (outcomes.get(sink.id)!.status !== 'ran') return { status: 'failed', result, stored: [], reason: JSON.stringify(result) };
    await opts.store.publish(sink.key);
    return { status: 'ran', result, stored: [sink.key] };
  } finally {
    leases.release(sink.key);
  }
}

/** A failed job's reason: a JobResult as JSON, or plain text for a problem of the worker itself. */
function failure(e: Error, data: NodeJob): Done {
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
