// A worker_threads pool for the fused lung chain (and the sources' slice reading: image-folder's JPEG,
// dicom-series' DICOM): slices are split into chunks that the workers
// take in turn, each worker holding up to DEPTH tasks so that it goes on with its next one while
// the main thread is busy elsewhere (a cropper's boxes, a scan's batch) and has not yet handled the
// last reply: with one task a worker, the workers waited for the main thread ≈ 13 % of a
// lung-window run. Slices held in a SharedArrayBuffer are read in place, in any order; others are
// copied per chunk, when a worker is handed the chunk, into one of that worker's own shared buffers
// (a slot per task it may hold), reused from task to task (a slot is written only while no task
// of that worker uses it). Copying every chunk of a
// scan up front held a second copy of it while the queue drained, and a fresh buffer a chunk was
// memory the allocator kept (issue 23). Filled masks come back the same way: a worker writes a
// chunk's masks into a second buffer of its slot, reused, and the main thread copies them, before
// that slot is handed another task, into one buffer for the whole call (scanBytes: a mapping of its
// own with room for every slice whole, so only the masks' pages become resident). A fresh array a
// slice and a chunk on the worker, freed by the main thread's collector, was what grew the
// workers' malloc arenas with the number of scans.
// The sources' chunks of slices come back in a worker's slabs (slabs.ts), shared, which the main thread
// holds until it gives them back (giveBack: the sources do when the scan's step has ended,
// engine/step-end.ts); the worker hears of it with its next file task and only then writes that
// slab again. Fresh buffers a chunk cost the workers the first touch of their pages and the main
// thread the full collections V8 runs as external memory grows (≈ 95 in a 20-scan run, 2 with slabs).
// A worker that fails or exits rejects the work in flight with its message or exit code.
import { Worker } from 'node:worker_threads';
import { scanBytes } from '../scan-pixels.js';
import type { LungOptions } from './lung-area.js';
import type { DicomChunk } from '../dicom/chunk-reader.js';
import type { ChunkRead } from '../image-folder/chunk-reader.js';
import type { FileTask, LungReply, LungTask } from './pool-worker.js';

export interface LungBatchResult {
  /** Per slice: r0, r1, c0, c1 (end-exclusive). */
  boxes: Int32Array;
  areas: Int32Array;
  /** Per slice, its filled mask (crop box, 0/1 bytes), when asked: views of one buffer of this call's own. */
  masks?: Uint8Array[];
}

/** One slice of any size. */
export interface LungImage { h: number; w: number; data: Int16Array }

type Reply = Exclude<LungReply, { error: string }>;
/** Tasks a worker holds at once: the one it runs and the next. */
const DEPTH = 2;
/** `receive` runs as the reply arrives, while the worker's buffers still hold what the task wrote. */
interface Pending { resolve: (r: Reply) => void; reject: (e: Error) => void; receive?: (r: Reply, masks: SharedArrayBuffer | undefined) => void }
/** A worker's reusable buffers (per slot): the chunk copied to it, and the masks it writes. */
type ScratchKind = 'copy' | 'masks';
/** A task's message, made when a worker takes it; `scratch(kind, bytes)` is one of that worker's reusable buffers. */
type Make = (scratch: (kind: ScratchKind, bytes: number) => SharedArrayBuffer) => LungTask | FileTask;

export class LungPool {
  private readonly workers: Worker[];
  private readonly queue: { make: Make; pending: Pending }[] = [];
  /** Per worker, the tasks it holds, in the order it answers them, and the slot of each. */
  private readonly inFlight = new Map<Worker, { id: number; pending: Pending; slot: number }[]>();
  /** Each worker's buffers per slot, each grown to the largest chunk it was needed for. */
  private readonly scratch = new Map<Worker, Partial<Record<ScratchKind, SharedArrayBuffer>>[]>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;
  /** Per worker, its slabs given back, for its next file task. */
  private readonly freed = new Map<Worker, number[]>();
  /** The slabs lent, by the buffer object their views hang from here. */
  private readonly lent = new WeakMap<ArrayBufferLike, { worker: Worker; slot: number }>();
  /** Slabs lent and not given back; the most slabs the workers kept (for tests and benches). */
  readonly slabs = { lent: 0, made: new Map<Worker, number>() };

  /** `unrefIdle`: an idle worker does not keep the process alive (a pool nobody closes). */
  constructor(readonly threads: number, private readonly opts: { unrefIdle?: boolean } = {}) {
    this.workers = Array.from({ length: threads }, (_, k) => {
      const worker = new Worker(new URL('./pool-worker.js', import.meta.url));
      worker.on('message', (m: LungReply) => this.settle(worker, m));
      worker.on('error', (e) => this.fail(new Error(`lung worker ${k} failed: ${e.message}`)));
      worker.on('exit', (code) => { if (code !== 0 && !this.closing) this.fail(new Error(`lung worker ${k} exited with code ${code}`)); });
      if (opts.unrefIdle) worker.unref();            // after the listeners: adding a 'message' listener refs the port again
      this.inFlight.set(worker, []);
      this.freed.set(worker, []);
      this.scratch.set(worker, Array.from({ length: DEPTH }, () => ({})));
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
    const offsets = (first: number, m: number) => Int32Array.from({ length: m }, (_, i) => pixels.byteOffset / 2 + (first + i) * n);
    return this.collect(count, options, undefined, evenly(count, chunk), (first, m) => ({ buffer: shared, offsets: offsets(first, m), dims: dims(m) }));
  }

  /**
   * Boxes, areas and (with `masks`) filled masks of slices of any sizes. Consecutive slices in one
   * SharedArrayBuffer (a slab) are a chunk of their own, read in place wherever they lie in it (a
   * series ordered by position need not be in file order); any other chunk is copied to its worker.
   * `boxes` (r0, r1, c0, c1 a slice): their crop boxes, when the caller has them.
   */
  async runImages(images: readonly LungImage[], options: Partial<LungOptions>, masks: boolean, chunk = 16, boxes?: Int32Array): Promise<LungBatchResult> {
    // where each slice's mask goes in the call's buffer: as if the box were the whole slice
    const room = masks ? new Float64Array(images.length + 1) : undefined;
    images.forEach((im, i) => { if (room) room[i + 1] = room[i] + im.h * im.w; });
    return this.collect(images.length, options, room, runs(images, chunk), (first, m, scratch) => {
      const given = boxes?.slice(4 * first, 4 * (first + m));
      const part = images.slice(first, first + m), dims = new Int32Array(2 * m);
      part.forEach((im, i) => {
        if (im.data.length !== im.h * im.w) throw new Error(`LungPool.runImages: slice ${first + i} has ${im.data.length} pixels, expected ${im.h}×${im.w}`);
        dims[2 * i] = im.h;
        dims[2 * i + 1] = im.w;
      });
      const head = part[0].data.buffer;
      if (head instanceof SharedArrayBuffer && part.every((im) => im.data.buffer === head)) {
        return { buffer: head, offsets: Int32Array.from(part, (im) => im.data.byteOffset / 2), dims, boxes: given };
      }
      const length = part.reduce((s, im) => s + im.data.length, 0), buffer = scratch('copy', 2 * length), copy = new Int16Array(buffer, 0, length);
      const offsets = new Int32Array(m);
      part.reduce((at, im, i) => (copy.set(im.data, at), offsets[i] = at, at + im.data.length), 0);
      return { buffer, offsets, dims, boxes: given };
    });
  }

  /** `chunks`: [first, count] a task. `room`, when masks are asked: slice i's mask goes at byte room[i] of the call's buffer (room[count] bytes). */
  private async collect(
    count: number, options: Partial<LungOptions>, room: Float64Array | undefined, chunks: readonly (readonly [number, number])[],
    task: (first: number, m: number, scratch: (kind: ScratchKind, bytes: number) => SharedArrayBuffer) => Pick<LungTask, 'buffer' | 'offsets' | 'dims' | 'boxes'>,
  ): Promise<LungBatchResult> {
    const boxes = new Int32Array(4 * count), areas = new Int32Array(count);
    const all = room && scanBytes(room[count]), out = room && new Array<Uint8Array>(count);
    const parts: Promise<Reply>[] = [];
    for (const [first, m] of chunks) {
      const make: Make = (scratch) => ({ id: 0, ...task(first, m, scratch), options, masks: room && scratch('masks', room[first + m] - room[first]) });
      // synchronous, before the worker can take another task and write its masks buffer again
      const receive = (reply: Reply, written: SharedArrayBuffer | undefined) => {
        const { results } = reply as Extract<Reply, { results: Int32Array }>;
        for (let i = 0, at = 0; i < m; i++) {
          const [r0, r1, c0, c1, area] = results.subarray(5 * i, 5 * i + 5);
          boxes.set([r0, r1, c0, c1], 4 * (first + i));
          areas[first + i] = area;
          if (room && all && out && written) {
            const size = (r1 - r0) * (c1 - c0), to = room[first + i];
            all.set(new Uint8Array(written, at, size), to);
            out[first + i] = all.subarray(to, to + size);
            at += size;
          }
        }
      };
      parts.push(this.submit(make, receive));
    }
    await Promise.all(parts);
    return { boxes, areas, masks: out };
  }

  /**
   * JPEG slice files read, checked and decoded on a worker by libjpeg-turbo (native addon or WebAssembly) into HU
   * through `table` (image-folder/chunk-reader.ts: what it made of each file).
   */
  async decodeJpegFiles(files: readonly string[], table: Int16Array): Promise<ChunkRead> {
    const reply = await this.submit(() => ({ id: 0, files, table, freed: [] }));
    return (reply as Extract<Reply, { chunk: unknown }>).chunk as ChunkRead;
  }

  /** DICOM files read, parsed and converted to HU on a worker (dicom/chunk-reader.ts: what it made of each file). */
  async decodeDicomFiles(files: readonly string[]): Promise<DicomChunk> {
    const reply = await this.submit(() => ({ id: 0, dicom: files, freed: [] }));
    return (reply as Extract<Reply, { chunk: unknown }>).chunk as DicomChunk;
  }

  /**
   * Give back the slabs among `buffers` (those of ChunkRead.pixels): nothing reads their views
   * any more; the worker writes them again. Any other buffer, or one given back already, is ignored.
   */
  giveBack(buffers: Iterable<ArrayBufferLike>): void {
    for (const b of buffers) {
      const l = this.lent.get(b);
      if (!l) continue;
      this.lent.delete(b);
      this.slabs.lent--;
      this.freed.get(l.worker)?.push(l.slot);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(make: Make, receive?: Pending['receive']): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ make, pending: { resolve, reject, receive } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      // the worker holding the fewest tasks, while one holds fewer than DEPTH
      const worker = this.workers.reduce((a, b) => (this.inFlight.get(b)!.length < this.inFlight.get(a)!.length ? b : a));
      const held = this.inFlight.get(worker)!;
      if (held.length >= DEPTH) return;
      const { make, pending } = this.queue.shift()!;
      const slot = [...Array(DEPTH).keys()].find((k) => !held.some((t) => t.slot === k))!;
      let task: LungTask | FileTask;
      try {
        task = make((kind, bytes) => {
          const mine = this.scratch.get(worker)![slot];
          const have = mine[kind];
          return have && have.byteLength >= bytes ? have : (mine[kind] = new SharedArrayBuffer(bytes));
        });
      } catch (e) {
        pending.reject(e as Error);
        continue;
      }
      task.id = this.nextId++;
      if ('freed' in task) task.freed = this.freed.get(worker)!.splice(0);
      held.push({ id: task.id, pending, slot });
      if (this.opts.unrefIdle) worker.ref();
      worker.postMessage(task);
    }
  }

  private settle(worker: Worker, m: LungReply): void {
    const held = this.inFlight.get(worker)!;
    if (held[0]?.id !== m.id) return;
    const job = held.shift()!;
    if (this.opts.unrefIdle && held.length === 0) worker.unref();
    if ('chunk' in m && m.slot >= 0) {
      this.lent.set(m.chunk.pixels.buffer, { worker, slot: m.slot });
      this.slabs.lent++;
      this.slabs.made.set(worker, m.slabs);
    }
    if ('error' in m) job.pending.reject(new Error(`lung worker: ${m.error}`));
    else {
      try {
        job.pending.receive?.(m, this.scratch.get(worker)![job.slot].masks);
        job.pending.resolve(m);
      } catch (e) {
        job.pending.reject(e as Error);
      }
    }
    this.pump();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const held of this.inFlight.values()) for (const { pending } of held.splice(0)) pending.reject(e);
    for (const { pending } of this.queue.splice(0)) pending.reject(e);
  }
}

/** [first, count] chunks of `chunk` slices. */
const evenly = (count: number, chunk: number): [number, number][] =>
  Array.from({ length: Math.ceil(count / chunk) }, (_, k) => [k * chunk, Math.min(chunk, count - k * chunk)]);

/**
 * [first, count] chunks of at most `chunk` slices: a run of slices in one SharedArrayBuffer (read
 * in place), or of slices in other buffers (copied).
 */
function runs(images: readonly LungImage[], chunk: number): [number, number][] {
  const out: [number, number][] = [];
  for (let first = 0; first < images.length;) {
    const buffer = images[first].data.buffer, shared = buffer instanceof SharedArrayBuffer;
    let end = first + 1;
    while (end < images.length && end - first < chunk &&
      (shared ? images[end].data.buffer === buffer : !(images[end].data.buffer instanceof SharedArrayBuffer))) end++;
    out.push([first, end - first]);
    first = end;
  }
  return out;
}
