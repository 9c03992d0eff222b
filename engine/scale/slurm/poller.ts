// Waits on Slurm jobs by polling: one `scontrol show job` per round for every job waited on,
// the interval growing from `minMs` by half each quiet round up to `maxMs` (a controller serves
// many users: do not hammer it), back to `minMs` when a job is added. A job the controller no
// longer remembers (it finished more than MinJobAge ago) ends as state "UNKNOWN".
import { SlurmError } from './client.js';
import { finished, showJobs, type JobState } from './state.js';

export interface PollTiming { minMs: number; maxMs: number }

interface Waiter { resolve(s: JobState): void; reject(e: Error): void; tick(): void; misses: number }

/** Rounds a job may be missing from the controller's list before it counts as gone. */
const MISSES = 3;
/** Failed polls in a row before the waits fail. */
const FAILURES = 5;

export class Poller {
  private readonly waiting = new Map<string, Waiter>();
  private timer?: NodeJS.Timeout;
  private delay: number;
  private failures = 0;

  constructor(readonly timing: PollTiming) {
    this.delay = timing.minMs;
  }

  /** Resolves with the job's final state; `tick` runs after every round it is still waited on. */
  wait(id: string, tick: () => void = () => {}): Promise<JobState> {
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, tick, misses: 0 });
      this.delay = this.timing.minMs;
      this.schedule();
    });
  }

  /** The ids still waited on. */
  get active(): string[] {
    return [...this.waiting.keys()];
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || !this.waiting.size) return;
    this.timer = setTimeout(() => void this.round(), this.delay);
  }

  private async round(): Promise<void> {
    let jobs: Map<string, JobState>;
    try {
      jobs = await showJobs();
      this.failures = 0;
    } catch (e) {
      if (++this.failures >= FAILURES) {
        const err = new SlurmError(`lost contact with the Slurm controller (${FAILURES} polls failed): ${(e as Error).message}`);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      }
      jobs = new Map();
    }
    let changed = false;
    for (const [id, w] of this.waiting) {
      const s = jobs.get(id);
      if (!s && this.failures) continue;
      if (!s && ++w.misses < MISSES) continue;
      const state = s ?? { id, state: 'UNKNOWN', reason: 'the controller no longer knows the job', exitCode: '', node: '' };
      if (finished(state)) {
        this.waiting.delete(id);
        w.resolve(state);
        changed = true;
      } else {
        w.tick();
      }
    }
    this.delay = changed ? this.timing.minMs : Math.min(this.timing.maxMs, Math.round(this.delay * 1.5));
    this.timer = undefined;
    this.schedule();
  }
}
