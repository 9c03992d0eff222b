// Data-parallel CNN training on several cores: `threads − 1` replicas in worker threads
// (train-worker.ts), each with its own WebAssembly instance and the network rebuilt from its config,
// compute passes of a training step (passes.ts) at the parameters of the step, while the calling
// thread computes its own. A replica runs the same passGrads as the calling thread.
// What crosses threads per step is flat: the parameters (running statistics included, spec order)
// written once into shared memory that every replica reads, and each pass's gradients back as one
// vector in Adam's flat layout (adam.ts), transferred, not copied.
import { WorkerReplicas } from '../tf/worker-replicas.js';
import type { CnnConfig, ParamSpec } from './architecture.js';
import type { Model } from './model.js';

/** A pass: its images (n·R·R floats), labels, and the size of the batch it is part of. */
export interface PassJob { x: Float32Array; y: Float32Array; batch: number }

/** A pass's results as arrays: the loss, the gradients of `names` end to end in that order, BatchNorm statistics. */
export interface RemotePass {
  loss: number;
  names: string[];
  grads: Float32Array;
  stats: { name: string; mean: Float32Array; variance: Float32Array; count: number }[];
}

const numel = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);

export class TrainReplicas {
  /** The step's parameters, spec order, end to end: written here, read by every replica. */
  private shared: Float32Array | null = null;

  private constructor(private readonly workers: WorkerReplicas) {}

  /** Threads in all, this one included. */
  get threads(): number { return this.workers.count + 1; }

  /** `threads − 1` replicas of the network of `cfg` on `backend`, started and ready. */
  static async start(cfg: CnnConfig, backend: string, threads: number): Promise<TrainReplicas> {
    return new TrainReplicas(await WorkerReplicas.start(new URL('./train-worker.js', import.meta.url), { backend, cfg }, threads - 1, 'CNN training replica'));
  }

  /**
   * Write the parameters' values (running statistics included) into the shared buffer the replicas
   * read, once per step, before its passes are sent (and not again until they have answered).
   */
  async share(m: Model): Promise<void> {
    const total = m.specs.reduce((a, s) => a + numel(s), 0);
    if (this.shared?.length !== total) this.shared = new Float32Array(new SharedArrayBuffer(4 * total));
    let at = 0;
    for (const s of m.specs) {
      this.shared.set((await m.params.get(s.name)!.data()) as Float32Array, at);
      at += numel(s);
    }
  }

  /** Replica `i` (1 … threads − 1) computes the pass `job` at the parameters last shared. */
  pass(i: number, job: PassJob): Promise<RemotePass> {
    if (!this.shared) throw new Error('CNN training replicas: share() the parameters before sending passes');
    return this.workers.ask<RemotePass>(i - 1, { ...job, params: this.shared });
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
