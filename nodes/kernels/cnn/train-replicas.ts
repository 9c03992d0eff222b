// Data-parallel CNN training on several cores: `threads − 1` replicas in worker threads
// (train-worker.ts), each with its own WebAssembly instance and the network rebuilt from its config,
// compute passes of a training step (passes.ts) at the parameters they are sent, while the calling
// thread computes its own. A replica runs the same passGrads as the calling thread.
import { WorkerReplicas } from '../tf/worker-replicas.js';
import type { CnnConfig } from './architecture.js';
import type { Model } from './model.js';

/** A pass: its images (n·R·R floats), labels, and the size of the batch it is part of. */
export interface PassJob { x: Float32Array; y: Float32Array; batch: number }

/** A pass's results as arrays: the loss, the gradients of `names` in that order, BatchNorm statistics. */
export interface RemotePass {
  loss: number;
  names: string[];
  grads: Float32Array[];
  stats: { name: string; mean: Float32Array; variance: Float32Array; count: number }[];
}

export class TrainReplicas {
  private constructor(private readonly workers: WorkerReplicas) {}

  /** Threads in all, this one included. */
  get threads(): number { return this.workers.count + 1; }

  /** `threads − 1` replicas of the network of `cfg` on `backend`, started and ready. */
  static async start(cfg: CnnConfig, backend: string, threads: number): Promise<TrainReplicas> {
    return new TrainReplicas(await WorkerReplicas.start(new URL('./train-worker.js', import.meta.url), { backend, cfg }, threads - 1, 'CNN training replica'));
  }

  /** The parameters' values in spec order (running statistics included), read once per step for every replica. */
  async paramValues(m: Model): Promise<Float32Array[]> {
    return Promise.all(m.specs.map(async (s) => (await m.params.get(s.name)!.data()) as Float32Array));
  }

  /** Replica `i` (1 … threads − 1) computes the pass `job` at `params` (spec order). */
  pass(i: number, params: Float32Array[], job: PassJob): Promise<RemotePass> {
    return this.workers.ask<RemotePass>(i - 1, { ...job, params });
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
