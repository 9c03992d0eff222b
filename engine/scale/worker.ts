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
import { Leases } from '../lease.js';
import type { Registry } from '../registry.js';
import type { JobResult, NodeJob } from './jobs.js';
import type { CoreBudget } from '../slots.js';
import { runNodeJob } from './run-job.js';
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
  /** The cores this worker's model jobs share (--threads; default: the machine's). */
  cores?: CoreBudget;
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

async function processJob(job: Job<NodeJob, JobResult>, opts: WorkerOptions, leases: Leases, scratch: string, emit: (e: WorkerEvent) => void): Promise<JobResult> {
  const jobId = job.id!;
  emit({ event: 'active', job: jobId, nodes: job.data.nodes.map((n) => n.id) });
  const done = await runNodeJob(job.data, {
    store: opts.store, registry: opts.registry, leases, scratch: join(scratch, jobId.slice(0, 16)), allowCommands: opts.allowCommands, cores: opts.cores,
    log: (node, key, message) => {
      emit({ event: 'log', job: jobId, node, message });
      void job.updateProgress({ key, log: message }).catch(() => {}); // the coordinator prints it
    },
    progress: (key, done, total, info) => void job.updateProgress({ key, done, total, info }).catch(() => {}),
  });
  emit({ event: 'done', job: jobId, status: done.status, stored: done.stored, ...(done.reason ? { error: done.reason } : {}) });
  if (done.reason) throw new Error(done.reason);
  return done.result;
}
