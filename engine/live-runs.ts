// Marks of runs in progress, so that `ctflow gc` never removes what a live run holds or has just
// stored: while a run (or sweep) executes, <runs>/active/<run id>.json names its holder (host,
// pid and an expiry renewed as a lease's is), when it started and the cache keys it planned (null
// while it is still planning). gc keeps every planned key and every entry stored since the
// earliest live run started; a mark whose holder died is stale and ignored (engine/lease.ts).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LEASE_MS, stale, type LeaseInfo } from './lease.js';
import { writeInside } from './safe-fs.js';

export interface LiveMark extends LeaseInfo {
  run: string;
  startedAt: number;
  /** Keys the run planned (read or written); null while it is planning. */
  keys: string[] | null;
}

export class LiveRun {
  private readonly file: string;
  private mark: LiveMark;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly runsDir: string, run: string) {
    this.file = join(runsDir, 'active', `${run}.json`);
    this.mark = { run, startedAt: Date.now(), keys: null, host: hostname(), pid: process.pid, expires: 0, token: randomBytes(8).toString('hex') };
    this.write();
    this.timer = setInterval(() => {
      try {
        this.write();
      } catch {
        // the runs directory went away or filled up: the run itself will say so when it writes
      }
    }, LEASE_MS / 3);
    this.timer.unref();
  }

  /** Keys this run plans to read or store (added to those held: a replan keeps the earlier ones). */
  hold(keys: Iterable<string>): void {
    this.mark.keys = [...new Set([...(this.mark.keys ?? []), ...keys])];
    this.write();
  }

  end(): void {
    clearInterval(this.timer);
    rmSync(this.file, { force: true });
  }

  private write(): void {
    this.mark.expires = Date.now() + LEASE_MS;
    writeInside(this.runsDir, this.file, JSON.stringify(this.mark));
  }
}

/** Marks of runs that are live now (stale and unreadable marks are left out). */
export function liveRuns(runsDir: string): LiveMark[] {
  let names: string[];
  try {
    names = readdirSync(join(runsDir, 'active')).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: LiveMark[] = [];
  for (const n of names) {
    try {
      const m = JSON.parse(readFileSync(join(runsDir, 'active', n), 'utf8')) as LiveMark;
      if (typeof m.startedAt === 'number' && !stale(m)) out.push(m);
    } catch {
      // a mark being replaced, or damaged: not a live run
    }
  }
  return out;
}
