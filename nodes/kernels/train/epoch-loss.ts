// An epoch's mean training loss from steps whose losses may still be on the device: a step gives
// its loss as a number (computed on the host) or as a scalar tensor (left where the backend keeps
// it), with a weight. Tensors are read back together every `every` of them (tf/loss-reader.ts: one
// readback of `every` floats, the only wait for the GPU) and at the epoch's end; the weighted sum is
// taken on the host in step order, in double precision, whatever `every` is: the same bytes as
// reading each loss at its step (wasm and cpu read every step, so their results do not change).
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { LossReader } from '../tf/loss-reader.js';

/** One batch's training: its loss (a number, or a scalar tensor this takes ownership of), and its weight in the epoch's mean. */
export interface StepResult { loss: number | TFJS.Scalar; weight: number }

export class EpochLoss {
  private readonly reader: LossReader;
  /** Steps not summed yet, in order: those since the first loss still unread. */
  private queued: { loss: number | null; weight: number }[] = [];
  private sum = 0;
  private weight = 0;

  constructor(tf: TF, every: number) {
    this.reader = new LossReader(tf, every);
  }

  async add(r: StepResult): Promise<void> {
    const { loss, weight } = r;
    this.queued.push({ loss: typeof loss === 'number' ? loss : null, weight });
    this.take(typeof loss === 'number' ? [] : await this.reader.add(loss));
  }

  /** The weighted mean of every step's loss (reads what is still on the device). */
  async mean(): Promise<number> {
    this.take(await this.reader.flush());
    return this.sum / this.weight;
  }

  dispose(): void {
    this.reader.dispose();
  }

  /** Fill the unread losses in order with `values`, then sum the steps from the front up to the first still unread. */
  private take(values: number[]): void {
    let v = 0;
    for (const q of this.queued) if (q.loss === null && v < values.length) q.loss = values[v++];
    let n = 0;
    for (const q of this.queued) {
      if (q.loss === null) break;
      this.sum += q.loss * q.weight;
      this.weight += q.weight;
      n++;
    }
    this.queued = this.queued.slice(n);
  }
}
