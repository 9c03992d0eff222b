// A worker_threads pool for the fused lung chain: slices are split into chunks that idle workers
// take in turn. Slices held in a SharedArrayBuffer are read in place; others are copied per chunk.
// A worker that fails or exits rejects the work in flight with its message or exit code.
import { Worker } from 'node:worker_threads';
import type { LungOptions } from './lung-area.js';
import type { LungReply, LungTask } from './pool-worker.js';

export interface LungBatchResult {
  /** Per slice: r0, r1, c0, c1 (end-exclusive). */
  boxes: Int32Array;
  areas: Int32Array;
}

interface Pending { resolve: (r: Int32Array) => void; reject: (e: Error) => void }

export class LungPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[] = [];
  private readonly queue: { task: LungTask; transfer: ArrayBuffer[]; pending: Pending }[] = [];
  private readonly inFlight = new Map<Worker, { id: number; pending: Pending }>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(readonly threads: number) {
    this.workers = Array.from({ length: threads }, (_, k) => {
      const worker = new Worker(new URL('./pool-worker.js', import.meta.url));
      worker.on('message', (m: LungReply) => this.settle(worker, m));
      worker.on('error', (e) => this.fail(new Error(`lung worker ${k} failed: ${e.message}`)));
      worker.on('exit', (code) => { if (code !== 0 && !this.closing) this.fail(new Error(`lung worker ${k} exited with code ${code}`)); });
      this.idle.push(worker);
      return worker;
    });
  }

  /** Boxes and areas of `count` h×w slices stored back to back in `pixels`, `chunk` slices per task. */
  async run(pixels: Int16Array, count: number, h: number, w: number, options: Partial<LungOptions> = {}, chunk = 16): Promise<LungBatchResult> {
    const n = h * w;
    if (pixels.length < count * n) throw new Error(`LungPool.run: ${pixels.length} pixels hold fewer than ${count} slices of ${h}×${w}`);
    const shared = pixels.buffer instanceof SharedArrayBuffer;
    const parts: Promise<void>[] = [];
    const boxes = new Int32Array(4 * count), areas = new Int32Array(count);
    for (let first = 0; first < count; first += chunk) {
      const m = Math.min(chunk, count - first);
      const task: LungTask = shared
        ? { id: 0, buffer: pixels.buffer, offset: pixels.byteOffset / 2 + first * n, count: m, h, w, options }
        : { id: 0, buffer: pixels.slice(first * n, (first + m) * n).buffer, offset: 0, count: m, h, w, options };
      parts.push(this.submit(task, shared ? [] : [task.buffer as ArrayBuffer]).then((res) => {
        for (let i = 0; i < m; i++) {
          boxes.set(res.subarray(5 * i, 5 * i + 4), 4 * (first + i));
          areas[first + i] = res[5 * i + 4];
        }
      }));
    }
    await Promise.all(parts);
    return { boxes, areas };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(task: LungTask, transfer: ArrayBuffer[]): Promise<Int32Array> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, pending: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!, { task, transfer, pending } = this.queue.shift()!;
      task.id = this.nextId++;
      this.inFlight.set(worker, { id: task.id, pending });
      worker.postMessage(task, transfer);
    }
  }

  private settle(worker: Worker, m: LungReply): void {
    const job = this.inFlight.get(worker);
    if (!job || job.id !== m.id) return;
    this.inFlight.delete(worker);
    this.idle.push(worker);
    if ('error' in m) job.pending.reject(new Error(`lung worker: ${m.error}`));
    else job.pending.resolve(m.results);
    this.pump();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const { pending } of this.inFlight.values()) pending.reject(e);
    for (const { pending } of this.queue.splice(0)) pending.reject(e);
    this.inFlight.clear();
  }
}
