// The BullMQ queues of node jobs: one for model (heavy) kinds and one for the rest, so that a
// worker bounds model jobs separately; the options jobs are added with; lock and stall timing.
import type { Plan } from '../plan.js';

export const QUEUES = { light: 'nodes', heavy: 'models' } as const;
export type QueueKind = keyof typeof QUEUES;

/** Redis key prefix of ctflow's queues (tests use their own, so that runs never meet). */
export const DEFAULT_PREFIX = 'ctflow';

export interface Timing {
  /** A worker's lock on a job lasts this long unless renewed (BullMQ lockDuration). */
  lockMs: number;
  /** How often workers look for jobs whose lock expired, i.e. whose worker was lost (stalledInterval). */
  stalledMs: number;
  /** A job whose worker was lost more often than this fails (maxStalledCount). */
  maxStalls: number;
}

export const DEFAULT_TIMING: Timing = { lockMs: 30_000, stalledMs: 30_000, maxStalls: 3 };

/**
 * A node's failure is deterministic, so a failed job is not retried (a worker lost mid-job is a
 * stall, not a failure: the job goes back to the queue). A failed job is removed, so that a later
 * run enqueues it afresh; a completed one is kept a day, so that runs arriving late see it done.
 */
export const JOB_OPTIONS = { attempts: 1, removeOnFail: true, removeOnComplete: { age: 24 * 3600 } };

/**
 * Scans per shard unless --shard says otherwise. Measured (docs/cache-partitions.md, Figures): a
 * shard job's own cost (Redis, the worker's key checks) did not show above the noise, ≈ 0.2 s at
 * most, against ≈ 0.9 s a 64² scan and ≈ 20 s a 512² scan of the lung chain; 8 keeps it under 3 %
 * and still makes 38 jobs of 300 scans to share.
 */
export const DEFAULT_SHARD = 8;

/** The queue of the job whose stored (last) node is `sink`. */
export function queueOf(plan: Plan, sink: string): QueueKind {
  return plan.nodes.get(sink)!.node.def.heavy ? 'heavy' : 'light';
}
