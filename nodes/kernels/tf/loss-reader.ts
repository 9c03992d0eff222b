// The training loss read back every N steps instead of every step: each step's loss stays a scalar
// tensor on the device; every N-th step they are stacked and read at once (one readback, which
// waits for the GPU only then). With N = 1 it is the plain per-step read.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from './backend.js';

export class LossReader {
  private pending: TFJS.Scalar[] = [];

  /** `every`: steps per readback (≥ 1). */
  constructor(private readonly tf: TF, readonly every: number) {
    if (!Number.isInteger(every) || every < 1) throw new Error(`loss readback interval must be a whole number ≥ 1, not ${every}`);
  }

  /** Take ownership of a step's loss; every `every`-th call resolves to the values of the steps since the last read, else to []. */
  async add(loss: TFJS.Scalar): Promise<number[]> {
    this.pending.push(loss);
    return this.pending.length >= this.every ? this.flush() : [];
  }

  /** Read back whatever is pending (the end of an epoch), in step order. */
  async flush(): Promise<number[]> {
    if (!this.pending.length) return [];
    const losses = this.pending;
    this.pending = [];
    const stacked = this.tf.stack(losses);
    this.tf.dispose(losses);
    try {
      return Array.from(await stacked.data());
    } finally {
      stacked.dispose();
    }
  }

  dispose(): void {
    this.tf.dispose(this.pending);
    this.pending = [];
  }
}
