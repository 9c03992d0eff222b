// CNN inference on several cores: `threads` replicas in worker threads (embed-worker.ts), each with
// its own WebAssembly instance, take forward passes as they come free. A pass gives the same bytes on
// any replica (the same predict() and WebAssembly build as the calling thread), so the embedder's
// output does not depend on the thread count.
import { Worker } from 'node:worker_threads';
import type { WeightEntry } from '../tf/weights.js';
import type { CnnConfig } from './architecture.js';

type Out = { embedding: Float32Array; prob: Float32Array };
interface Reply extends Partial<Out> { ready?: true; error?: string }
interface Job { x: Float32Array; k: number; resolve: (o: Out) => void; reject: (e: Error) => void }

export class EmbedPool {
  private readonly idle: number[] = [];
  private readonly pending: Job[] = [];
  private readonly running = new Map<number, Job>();

  private constructor(private readonly workers: Worker[]) {
    workers.forEach((w, i) => {
      w.on('message', (r: Reply) => this.settle(i, r));
      w.on('error', (e) => this.settle(i, { error: e.message }));
    });
  }

  /** `threads` replicas of the model of `cfg` and `entries` on `backend`, started and ready. */
  static async start(backend: string, cfg: CnnConfig, entries: WeightEntry[], threads: number): Promise<EmbedPool> {
    const url = new URL('./embed-worker.js', import.meta.url);
    const workers = Array.from({ length: threads }, () => new Worker(url, { workerData: { backend, cfg, entries } }));
    const ready = workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', (r: Reply) => (r.ready ? resolve() : reject(new Error(`embedding replica: ${r.error}`))));
      w.once('error', reject);
    }));
    try {
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    const pool = new EmbedPool(workers);
    pool.idle.push(...workers.keys());
    return pool;
  }

  /** Embeddings [k × embedding] and probabilities of `k` preprocessed slices `x`, on the next free replica. */
  predict(x: Float32Array, k: number): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.pending.push({ x, k, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length && this.pending.length) {
      const i = this.idle.shift()!, job = this.pending.shift()!;
      this.running.set(i, job);
      this.workers[i].postMessage({ x: job.x, k: job.k });
    }
  }

  private settle(i: number, r: Reply): void {
    const job = this.running.get(i);
    if (!job) return;
    this.running.delete(i);
    if (r.error !== undefined) job.reject(new Error(`embedding replica ${i + 1}: ${r.error}`));
    else job.resolve({ embedding: r.embedding!, prob: r.prob! });
    this.idle.push(i);
    this.dispatch();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
