// A worker_threads pool for the fused lung chain (and image-folder's JPEG decoding): slices are split into chunks that idle workers
// take in turn. Slices held back to back in a SharedArrayBuffer are read in place; others are
// copied per chunk, when a worker takes the chunk, into that worker's own shared buffer, reused
// from task to task (a worker's buffer is written only while it is idle). Copying every chunk of a
// scan up front held a second copy of it while the queue drained, and a fresh buffer a chunk was
// memory the allocator kept (issue 23).
// A worker that fails or exits rejects the work in flight with its message or exit code.
import { Worker } from 'node:worker_threads';
import type { LungOptions } from './lung-area.js';
import type { ChunkRead } from '../image-folder/wasm-jpeg.js';
import type { JpegTask, LungReply, LungTask } from './pool-worker.js';

export interface LungBatchResult {
  /** Per slice: r0, r1, c0, c1 (end-exclusive). */
  boxes: Int32Array;
  areas: Int32Array;
  /** Per slice, its filled mask (crop box, 0/1 bytes), when asked. */
  masks?: Uint8Array[];
}

/** One slice of any size. */
export interface LungImage { h: number; w: number; data: Int16Array }

type Reply = Exclude<LungReply, { error: string }>;
interface Pending { resolve: (r: Reply) => void; reject: (e: Error) => void }
/** A task's message, made when a worker takes it; `scratch(bytes)` is that worker's reusable buffer. */
type Make = (scratch: (bytes: number) => SharedArrayBuffer) => LungTask | JpegTask;

export class LungPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[] = [];
  private readonly queue: { make: Make; pending: Pending }[] = [];
  private readonly inFlight = new Map<Worker, { id: number; pending: Pending }>();
  /** Each worker's copy buffer, grown to the largest chunk copied for it. */
  private readonly scratch = new Map<Worker, SharedArrayBuffer>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  /** `unrefIdle`: an idle worker does not keep the process alive (a pool nobody closes). */
  constructor(readonly threads: number, private readonly opts: { unrefIdle?: boolean } = {}) {
    this.workers = Array.from({ length: threads }, (_, k) => {
      const worker = new Worker(new URL('./pool-worker.js', import.meta.url));
      worker.on('message', (m: LungReply) => this.settle(worker, m));
      worker.on('error', (e) => this.fail(new Error(`lung worker ${k} failed: ${e.message}`)));
      worker.on('exit', (code) => { if (code !== 0 && !this.closing) this.fail(new Error(`lung worker ${k} exited with code ${code}`)); });
      if (opts.unrefIdle) worker.unref();            // after the listeners: adding a 'message' listener refs the port again
      this.idle.push(worker);
      return worker;
    });
  }

  /** Boxes and areas of `count` h×w slices stored back to back in `pixels`, `chunk` slices per task. */
  async run(pixels: Int16Array, count: number, h: number, w: number, options: Partial<LungOptions> = {}, chunk = 16): Promise<LungBatchResult> {
    const n = h * w;
    if (pixels.length < count * n) throw new Error(`LungPool.run: ${pixels.length} pixels hold fewer than ${count} slices of ${h}×${w}`);
    const shared = pixels.buffer;
    if (!(shared instanceof SharedArrayBuffer)) {
      return this.runImages(Array.from({ length: count }, (_, i) => ({ h, w, data: pixels.subarray(i * n, (i + 1) * n) })), options, false, chunk);
    }
    const dims = (m: number) => Int32Array.from({ length: 2 * m }, (_, k) => (k % 2 === 0 ? h : w));
    return this.collect(count, options, false, chunk, (first, m) => ({ buffer: shared, offset: pixels.byteOffset / 2 + first * n, dims: dims(m) }));
  }

  /**
   * Boxes, areas and (with `masks`) filled masks of slices of any sizes. A chunk whose slices lie
   * back to back in one SharedArrayBuffer is read in place; any other chunk is copied to its worker.
   * `boxes` (r0, r1, c0, c1 a slice): their crop boxes, when the caller has them.
   */
  async runImages(images: readonly LungImage[], options: Partial<LungOptions>, masks: boolean, chunk = 16, boxes?: Int32Array): Promise<LungBatchResult> {
    return this.collect(images.length, options, masks, chunk, (first, m, scratch) => {
      const given = boxes?.slice(4 * first, 4 * (first + m));
      const part = images.slice(first, first + m), dims = new Int32Array(2 * m);
      part.forEach((im, i) => {
        if (im.data.length !== im.h * im.w) throw new Error(`LungPool.runImages: slice ${first + i} has ${im.data.length} pixels, expected ${im.h}×${im.w}`);
        dims[2 * i] = im.h;
        dims[2 * i + 1] = im.w;
      });
      const head = part[0].data;
      if (head.buffer instanceof SharedArrayBuffer && contiguous(part)) return { buffer: head.buffer, offset: head.byteOffset / 2, dims, boxes: given };
      const length = part.reduce((s, im) => s + im.data.length, 0), buffer = scratch(2 * length), copy = new Int16Array(buffer, 0, length);
      part.reduce((at, im) => (copy.set(im.data, at), at + im.data.length), 0);
      return { buffer, offset: 0, dims, boxes: given };
    });
  }

  private async collect(
    count: number, options: Partial<LungOptions>, masks: boolean, chunk: number,
    task: (first: number, m: number, scratch: (bytes: number) => SharedArrayBuffer) => Pick<LungTask, 'buffer' | 'offset' | 'dims' | 'boxes'>,
  ): Promise<LungBatchResult> {
    const boxes = new Int32Array(4 * count), areas = new Int32Array(count);
    const out: Uint8Array[] | undefined = masks ? new Array<Uint8Array>(count) : undefined;
    const parts: Promise<void>[] = [];
    for (let first = 0; first < count; first += chunk) {
      const m = Math.min(chunk, count - first);
      const make: Make = (scratch) => ({ id: 0, ...task(first, m, scratch), options, masks });
      parts.push(this.submit(make).then((reply) => {
        const res = reply as Extract<Reply, { results: Int32Array }>;
        for (let i = 0, at = 0; i < m; i++) {
          const [r0, r1, c0, c1, area] = res.results.subarray(5 * i, 5 * i + 5);
          boxes.set([r0, r1, c0, c1], 4 * (first + i));
          areas[first + i] = area;
          if (out) {
            const size = (r1 - r0) * (c1 - c0);
            out[first + i] = res.masks!.subarray(at, at + size);
            at += size;
          }
        }
      }));
    }
    await Promise.all(parts);
    return { boxes, areas, masks: out };
  }

  /**
   * JPEG slice files read, checked and decoded on a worker by libjpeg-turbo as WebAssembly into HU
   * through `table` (image-folder/wasm-jpeg.ts: what it made of each file); null when the package is absent.
   */
  async decodeJpegFiles(files: readonly string[], table: Int16Array): Promise<ChunkRead | null> {
    const reply = await this.submit(() => ({ id: 0, files, table }));
    return (reply as Extract<Reply, { chunk: unknown }>).chunk;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(make: Make): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ make, pending: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const { make, pending } = this.queue.shift()!;
      const worker = this.idle.at(-1)!;
      let task: LungTask | JpegTask;
      try {
        task = make((bytes) => {
          let b = this.scratch.get(worker);
          if (!b || b.byteLength < bytes) this.scratch.set(worker, b = new SharedArrayBuffer(bytes));
          return b;
        });
      } catch (e) {
        pending.reject(e as Error);
        continue;
      }
      this.idle.pop();
      task.id = this.nextId++;
      this.inFlight.set(worker, { id: task.id, pending });
      if (this.opts.unrefIdle) worker.ref();
      worker.postMessage(task);
    }
  }

  private settle(worker: Worker, m: LungReply): void {
    const job = this.inFlight.get(worker);
    if (!job || job.id !== m.id) return;
    this.inFlight.delete(worker);
    this.idle.push(worker);
    if (this.opts.unrefIdle) worker.unref();
    if ('error' in m) job.pending.reject(new Error(`lung worker: ${m.error}`));
    else job.pending.resolve(m);
    this.pump();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const { pending } of this.inFlight.values()) pending.reject(e);
    for (const { pending } of this.queue.splice(0)) pending.reject(e);
    this.inFlight.clear();
  }
}

/** Whether each slice starts where the one before it ends, in the same buffer. */
function contiguous(part: readonly LungImage[]): boolean {
  return part.every((im, i) => i === 0 || (im.data.buffer === part[i - 1].data.buffer &&
    im.data.byteOffset === part[i - 1].data.byteOffset + part[i - 1].data.byteLength));
}
