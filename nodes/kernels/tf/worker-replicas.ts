// Worker threads that each answer one message at a time, in order: the replicas of data-parallel
// training (cnn/train-replicas.ts) and of the sequence models (seq/replicas.ts). A worker posts
// { ready: true } once started, then one reply per message; a reply with `error`, or the worker
// failing, rejects that message's promise with the error named after the replica.
import { Worker } from 'node:worker_threads';

interface Reply { ready?: true; error?: string }

export class WorkerReplicas {
  private readonly queues: ((r: Reply) => void)[][];

  private constructor(private readonly workers: Worker[], private readonly what: string) {
    this.queues = workers.map(() => []);
    workers.forEach((w, i) => {
      w.on('message', (r: Reply) => this.queues[i].shift()?.(r));
      w.on('error', (e) => { for (const q of this.queues[i].splice(0)) q({ error: e.message }); });
    });
  }

  /** `count` workers of the script at `url` with `workerData`, started and ready; `what` names them in errors. */
  static async start(url: URL, workerData: unknown, count: number, what: string): Promise<WorkerReplicas> {
    const pool = new WorkerReplicas(Array.from({ length: count }, () => new Worker(url, { workerData })), what);
    try {
      await Promise.all(pool.workers.map((_, i) => pool.answer(i)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get count(): number { return this.workers.length; }

  private answer<R>(i: number): Promise<R> {
    return new Promise((resolve, reject) => this.queues[i].push((r) => (r.error !== undefined ? reject(new Error(`${this.what} ${i + 1}: ${r.error}`)) : resolve(r as R))));
  }

  /** Worker `i` (0-based) answers `message`; resolves to its reply. */
  ask<R>(i: number, message: unknown, transfer: ArrayBuffer[] = []): Promise<R> {
    const reply = this.answer<R>(i);
    this.workers[i].postMessage(message, transfer);
    return reply;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
