// Data-parallel training of a sequence model on several cores: `threads − 1` replicas in worker
// threads (replica-worker.ts), each with its own WebAssembly instance, take passes of a training step
// while this thread takes its own; trainStep (train.ts) sums the passes' gradients in pass order,
// whoever computed them, and takes one Adam step here. A replica computes a pass with the same code
// and the same WebAssembly build as this thread, and the passes are the same whatever the thread
// count (params.microbatch sets them), so a step on N threads has the bytes of a one-thread step.
import { Worker } from 'node:worker_threads';
import type * as TFJS from '@tensorflow/tfjs';
import type { SeqNet } from './net.js';
import type { PassJob } from './pass.js';

interface Reply { ready?: true; loss?: number; grads?: Float32Array[]; error?: string }

export class Replicas {
  private constructor(private readonly workers: Worker[], private readonly queues: ((r: Reply) => void)[][]) {}

  /** Threads in all, this one included. */
  get threads(): number { return this.workers.length + 1; }

  /** `threads − 1` replicas of `net` on `backend`, started and ready. */
  static async start(net: SeqNet, backend: string, threads: number): Promise<Replicas> {
    const url = new URL('./replica-worker.js', import.meta.url);
    const workers = Array.from({ length: threads - 1 }, () => new Worker(url, { workerData: { backend, kind: net.kind, config: net.config, length: net.length } }));
    const queues = workers.map(() => [] as ((r: Reply) => void)[]);
    const pool = new Replicas(workers, queues);
    workers.forEach((w, i) => {
      w.on('message', (r: Reply) => queues[i].shift()?.(r));
      w.on('error', (e) => { for (const q of queues[i].splice(0)) q({ error: e.message }); });
    });
    await Promise.all(workers.map((_, i) => pool.reply(i)));
    return pool;
  }

  private reply(i: number): Promise<Reply> {
    return new Promise((resolve) => this.queues[i].push(resolve));
  }

  /** Replica `i` (1 … threads − 1) computes `job` at `params` (in spec order); resolves to its loss and gradients. */
  async pass(i: number, params: Float32Array[], job: PassJob): Promise<{ loss: number; grads: Float32Array[] }> {
    const answer = this.reply(i - 1);
    this.workers[i - 1].postMessage({ ...job, params });
    const r = await answer;
    if (r.error !== undefined) throw new Error(`training replica ${i}: ${r.error}`);
    return { loss: r.loss!, grads: r.grads! };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The parameters' values in spec order, read once per step for every replica. */
export async function paramValues(net: SeqNet, params: Map<string, TFJS.Tensor>): Promise<Float32Array[]> {
  return Promise.all(net.specs.map(async (s) => (await params.get(s.name)!.data()) as Float32Array));
}
