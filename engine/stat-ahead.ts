// A source's scans with their files' stat numbers, statted on a worker thread a few scans ahead
// of planning (issue 16: at 84,000 files the stat calls were ≈ 40 % of a no-op rerun's main
// thread). While planning compares scan i with the fingerprint memo, the worker stats the next
// ones on the other core. A scan whose folder the memo does not know (a first run) is also hashed
// there, by two such threads in turn: planning's first run of the 300-scan folder hashed 6 GB on
// the main thread alone while the other core waited (`ctflow status` 7.1–7.5 s, now 4.5–4.7). A
// source's first INLINE_FILES files are statted (and hashed) on the main thread, so a small data
// set never waits for a thread to start.
import { Worker } from 'node:worker_threads';
import { statPacked } from './stat-pack.js';
import type { ScanFiles } from './types.js';

/** Files statted on the main thread before the worker takes over. */
export const INLINE_FILES = 2000;
/** Scans listed and sent to the workers ahead of the one planning is at. */
const AHEAD = 6;

/**
 * One worker for the process, started when first needed and stopped when the last listing that
 * uses it ends (its memory is not kept through the run); it keeps the process alive only while a
 * request is out.
 */
class StatThread {
  private worker?: Worker;
  private next = 0;
  private users = 0;
  private readonly pending = new Map<number, { resolve: (s: Stats) => void; reject: (e: Error) => void }>();

  /** The files' numbers; with `hash`, also their hashes (fingerprint.ts's hashPacked). */
  stat(files: readonly string[], hash: boolean): Promise<Stats> {
    const w = this.worker ?? this.start();
    const id = this.next++;
    if (this.pending.size === 0) w.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, files: files.join('\0'), hash });
    });
  }

  use(): void {
    this.users++;
  }

  async release(): Promise<void> {
    if (--this.users > 0 || !this.worker) return;
    const w = this.worker;
    this.worker = undefined;
    await w.terminate();
  }

  private start(): Worker {
    const w = new Worker(new URL('./stat-worker.js', import.meta.url));
    w.on('message', ({ id, stats, digests }: { id: number } & Stats) => {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      if (this.pending.size === 0) w.unref();
      p.resolve({ stats, digests });
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`the thread that stats input files stopped: ${e.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    w.unref(); // after the listeners: adding a 'message' listener refs the port again
    this.worker = w;
    return w;
  }
}

/** A scan's numbers (stat-pack.ts) and, when it was hashed beside planning, hashPacked's digests. */
interface Stats { stats: Float64Array; digests?: Uint8Array }

/** threads[0] stats; scans to hash go to both in turn. */
const threads = [new StatThread(), new StatThread()];

type Ahead = { scan: ScanFiles; stats?: Promise<Stats> } | { error: unknown };

/**
 * `scans` in order, each with its files' numbers (stat-pack.ts): on a worker once more than
 * `inline` files were listed, and there hashed too when `toHash(scan)` (then `digests`: see
 * FileFingerprints.hashes). A failure to list a scan is thrown at that scan's turn, after the
 * scans before it, as without the look-ahead.
 */
export async function* withStats(scans: AsyncIterable<ScanFiles>, inline = INLINE_FILES, toHash: (scan: ScanFiles) => boolean = () => false):
  AsyncIterable<{ scan: ScanFiles } & Stats> {
  const it = scans[Symbol.asyncIterator]();
  const queue: Ahead[] = [];
  for (const t of threads) t.use();
  let listed = 0, hashed = 0, done = false;
  const pull = async () => {
    try {
      const r = await it.next();
      if (r.done) return void (done = true);
      listed += r.value.files.length;
      const hash = listed > inline && toHash(r.value);
      const stats = listed > inline ? (hash ? threads[hashed++ % threads.length] : threads[0]).stat(r.value.files, hash) : undefined;
      stats?.catch(() => {}); // awaited in its turn; not an unhandled rejection if planning stops before it
      queue.push({ scan: r.value, stats });
    } catch (error) {
      done = true;
      queue.push({ error });
    }
  };
  try {
    for (;;) {
      while (!done && queue.length < AHEAD) await pull();
      const head = queue.shift();
      if (!head) return;
      if ('error' in head) throw head.error;
      yield { scan: head.scan, ...(head.stats ? await head.stats : { stats: statPacked(head.scan.files) }) };
    }
  } finally {
    await Promise.all(threads.map((t) => t.release()));
    await it.return?.();
  }
}
