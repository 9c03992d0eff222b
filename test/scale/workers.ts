// Worker processes for the scale-out tests and bench (test/scale/worker-main.ts), with their events.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Timing } from '../../engine/scale/queue.js';
import type { WorkerEvent } from '../../engine/scale/worker.js';

/**
 * Locks lost 15 s after a worker dies, looked for every second. A live worker renews its lock every
 * 7.5 s, so only an event loop blocked for 15 s loses one: a 2-core machine running a dozen other
 * processes stalls for seconds (4 s locks were lost there, and a job ran twice). The SIGKILL test
 * waits out one lock.
 */
export const TEST_TIMING: Timing = { lockMs: 15_000, stalledMs: 1000, maxStalls: 5 };

const MAIN = resolve('dist/test/scale/worker-main.js');

export class WorkerProcess {
  readonly events: WorkerEvent[] = [];
  private readonly proc: ChildProcess;
  private readonly waiters: (() => void)[] = [];
  private stderr = '';
  readonly exited: Promise<void>;

  constructor(redis: string, runs: string, prefix: string, concurrency = 1) {
    this.proc = spawn(process.execPath, [MAIN, redis, runs, prefix, String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as WorkerEvent);
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.exited = new Promise((r) => this.proc.once('exit', () => r()));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The first event (so far or to come) that `match` accepts. */
  async waitFor(match: (e: WorkerEvent) => boolean, withinMs = 30_000): Promise<WorkerEvent> {
    const until = Date.now() + withinMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode) throw new Error(`worker ${this.pid} exited: ${this.stderr}`);
      if (Date.now() > until) throw new Error(`worker ${this.pid}: no such event within ${withinMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** Keys this worker stored. */
  stored(): string[] {
    return this.events.flatMap((e) => (e.event === 'done' ? e.stored : []));
  }

  kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  stop(): Promise<void> {
    if (this.proc.exitCode === null && !this.proc.signalCode) this.proc.kill('SIGTERM');
    return this.exited;
  }
}
