// Data-parallel training of a sequence model on several cores: `threads − 1` replicas in worker
// threads (replica-worker.ts), each with its own WebAssembly instance, take passes of a training step
// while this thread takes its own; trainStep (train.ts) sums the passes' gradients in pass order,
// whoever computed them, and takes one Adam step here. A replica computes a pass with the same code
// and the same WebAssembly build as this thread, and the passes are the same whatever the thread
// count (params.microbatch sets them), so a step on N threads has the bytes of a one-thread step.
import type * as TFJS from '@tensorflow/tfjs';
import { WorkerReplicas } from '../tf/worker-replicas.js';
import type { SeqNet } from './net.js';
import type { PassJob } from './pass.js';

export class Replicas {
  private constructor(private readonly workers: WorkerReplicas) {}

  /** Threads in all, this one included. */
  get threads(): number { return this.workers.count + 1; }

  /** `threads − 1` replicas of `net` on `backend`, started and ready. */
  static async start(net: SeqNet, backend: string, threads: number): Promise<Replicas> {
    const data = { backend, kind: net.kind, config: net.config, length: net.length };
    return new Replicas(await WorkerReplicas.start(new URL('./replica-worker.js', import.meta.url), data, threads - 1, 'training replica'));
  }

  /** Replica `i` (1 … threads − 1) computes `job` at `params` (in spec order); resolves to its loss and gradients. */
  pass(i: number, params: Float32Array[], job: PassJob): Promise<{ loss: number; grads: Float32Array[] }> {
    return this.workers.ask(i - 1, { ...job, params });
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}

/** The parameters' values in spec order, read once per step for every replica. */
export async function paramValues(net: SeqNet, params: Map<string, TFJS.Tensor>): Promise<Float32Array[]> {
  return Promise.all(net.specs.map(async (s) => (await params.get(s.name)!.data()) as Float32Array));
}
