// The coordinator side of --executor bullmq: the engine schedules the DAG as in a local run (a
// job starts when the jobs it reads from have finished) and hands each job to BullMQ under its
// cache key; workers on any machine run it. Two runs enqueueing the same key wait on one job.
// Nodes cached per scan run as shards of scans, a job each (engine/scale/shards.ts).
import { Queue, QueueEvents, type Job } from 'bullmq';
import { CorruptEntry, NodeFailure } from '../errors.js';
import type { ExecuteOptions, RemoteExecutor } from '../execute.js';
import type { NodeOutcome } from '../group-runner.js';
import type { Plan } from '../plan.js';
import { nodeJob, outcomesOf, type JobResult, type NodeJob } from './jobs.js';
import { isSharded, remoteGroups, runShards, type Shard } from './shards.js';
import { DEFAULT_PREFIX, DEFAULT_SHARD, JOB_OPTIONS, QUEUES, queueOf, type QueueKind } from './queue.js';
import { redisConnection } from './redis.js';

interface Connected {
  queues: Record<QueueKind, Queue<NodeJob, JobResult>>;
  events: Record<QueueKind, QueueEvents>;
  close(): Promise<void>;
}

/** A job's progress event: a node's progress, or a line it logged (`log`). */
type Progress = { key: string; done: number; total: number; info?: string } | { key: string; log: string };

/** What a running job's progress and stall events do (one listener per queue dispatches them). */
interface Watch { progress(p: Progress): void; stalled(): void }

export class BullExecutor implements RemoteExecutor {
  private connected?: Promise<Connected>;
  private readonly watching = new Map<string, Watch>();

  /** `shard`: scans per job of nodes cached per scan. */
  constructor(readonly redis: string, readonly prefix = DEFAULT_PREFIX, readonly shard = DEFAULT_SHARD) {}

  groups(plan: Plan): string[][] {
    return remoteGroups(plan, 'bullmq');
  }

  async run(plan: Plan, ids: string[], opts: ExecuteOptions): Promise<Map<string, NodeOutcome>> {
    if (isSharded(plan, ids)) return runShards(plan, ids, opts, this.shard, (shards, progress) => this.runShards(plan, ids, shards, progress, opts));
    const { queues, events } = await this.connect();
    const sink = ids[ids.length - 1];
    const key = plan.nodes.get(sink)!.key;
    const kind = queueOf(plan, sink);
    const byKey = new Map(ids.map((id) => [plan.nodes.get(id)!.key, id]));
    this.watching.set(key, {
      progress: (p) => {
        const id = byKey.get(p.key);
        if (!id) return;
        if ('log' in p) opts.events.log(id, p.log);
        else opts.events.progress(id, p.done, p.total, p.info);
      },
      stalled: () => opts.events.log(sink, `its worker was lost (job ${key.slice(0, 12)} stalled): back in the queue for another worker`),
    });
    ids.forEach((id) => opts.events.started(id));
    let ok = false;
    try {
      const result = await this.complete(queues[kind], events[kind], nodeJob(plan, ids, opts.concurrency, opts.backend), key, (r) => r.outcomes[key]?.status === 'failed' || opts.store.lookup(key).hit, opts);
      const outcomes = outcomesOf(plan, ids, result);
      ok = outcomes.get(sink)!.status !== 'failed';
      return outcomes;
    } finally {
      this.watching.delete(key);
      ids.forEach((id) => opts.events.finished(id, ok));
    }
  }

  /** Each shard a job of the queue of the group's last node, waited on together. */
  private async runShards(plan: Plan, ids: string[], shards: Shard[], progress: (s: Shard, key: string, done: number, total: number) => void, opts: ExecuteOptions): Promise<PromiseSettledResult<JobResult>[]> {
    const { queues, events } = await this.connect();
    const sink = ids[ids.length - 1];
    const kind = queueOf(plan, sink);
    return Promise.allSettled(shards.map(async (s) => {
      this.watching.set(s.id, {
        progress: (p) => {
          if ('log' in p) opts.events.log(ids.find((id) => s.job.nodes.some((n) => n.id === id && n.parts![0].key === p.key)) ?? sink, p.log);
          else progress(s, p.key, p.done, p.total);
        },
        stalled: () => opts.events.log(sink, `its worker was lost (shard job ${s.id.slice(0, 12)}, scans ${s.scans[0]} … ${s.scans[s.scans.length - 1]}, stalled): back in the queue for another worker`),
      });
      try {
        // Done when a member failed, or every stored member's scans of the shard are stored.
        const done = (r: JobResult) => Object.values(r.outcomes).some((o) => o.status === 'failed' || o.status === 'skipped') ||
          s.job.nodes.every((n) => !n.cache || n.parts!.every((p) => opts.store.lookup(p.key).hit));
        return await this.complete(queues[kind], events[kind], s.job, s.id, done, opts);
      } finally {
        this.watching.delete(s.id);
      }
    }));
  }

  /** Enqueue (or join) the job named `key` and wait for it; `done` says whether its entries are in the store. */
  private async complete(queue: Queue<NodeJob, JobResult>, events: QueueEvents, data: NodeJob, key: string, done: (r: JobResult) => boolean, opts: ExecuteOptions): Promise<JobResult> {
    const sink = data.nodes[data.nodes.length - 1].id;
    for (let attempt = 1; ; attempt++) {
      const job = await queue.add(data.nodes[data.nodes.length - 1].kind, data, { ...JOB_OPTIONS, jobId: key });
      const result = await outcome(job, events);
      if (typeof result === 'string') throw new NodeFailure(sink, new Error(`${result} (on a worker)`));
      if (result.corrupt) throw new CorruptEntry(result.corrupt.key, result.corrupt.node, result.corrupt.reason);
      if (done(result)) return result;
      if (attempt > 1) {
        throw new NodeFailure(sink, new Error(`its job finished but the entry is not in ${opts.store.root}: do the workers' --cache and this run's --runs name the same shared directory?`));
      }
      // A job kept from an earlier run whose entry was removed since (ctflow gc): run it again.
      await queue.remove(key);
    }
  }

  private connect(): Promise<Connected> {
    this.connected ??= (async () => {
      const connections = [redisConnection(this.redis), redisConnection(this.redis), redisConnection(this.redis)];
      const opts = (i: number) => ({ connection: connections[i], prefix: this.prefix });
      const queues = { light: new Queue<NodeJob, JobResult>(QUEUES.light, opts(0)), heavy: new Queue<NodeJob, JobResult>(QUEUES.heavy, opts(0)) };
      const events = { light: new QueueEvents(QUEUES.light, opts(1)), heavy: new QueueEvents(QUEUES.heavy, opts(2)) };
      const all = [...Object.values(queues), ...Object.values(events)];
      const seen = new Set<string>();
      const report = (e: Error) => {
        if (!seen.has(e.message)) console.error(`ctflow: Redis at ${this.redis}: ${e.message}`);
        seen.add(e.message);
      };
      for (const q of Object.values(queues)) {
        q.on('error', report);
        q.setMaxListeners(0); // each job waited on listens for the queue closing: a sweep waits on many
      }
      for (const q of Object.values(events)) {
        q.on('error', report);
        q.on('progress', ({ jobId, data }) => this.watching.get(jobId)?.progress(data as unknown as Progress));
        q.on('stalled', ({ jobId }) => this.watching.get(jobId)?.stalled());
      }
      await Promise.all(all.map((x) => x.waitUntilReady()));
      return {
        queues, events,
        async close() {
          await Promise.all(all.map((x) => x.close()));
          await Promise.all(connections.map((c) => c.quit()));
        },
      };
    })();
    return this.connected;
  }

  /** Close the connections, if any were opened. */
  async close(): Promise<void> {
    const c = this.connected;
    this.connected = undefined;
    await (await c?.catch(() => undefined))?.close();
  }
}

/** The job's result; a failed job's reason parsed back into one, or as text when it is not one. */
async function outcome(job: Job<NodeJob, JobResult>, events: QueueEvents): Promise<JobResult | string> {
  try {
    return await job.waitUntilFinished(events);
  } catch (e) {
    const reason = (e as Error).message;
    try {
      return JSON.parse(reason) as JobResult;
    } catch {
      return reason;
    }
  }
}
