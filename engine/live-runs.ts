// Marks of runs in progress, so that `ctflow gc` never removes what a live run holds or has just
// stored: while a run (or sweep) executes, <runs>/active/<run id>.json names its holder (host,
// pid and an expiry renewed as a lease's is), when it started and the cache keys it planned (null
// while it is still planning). gc keeps every planned key and every entry stored since the
// earliest live run started; a mark whose holder died is stale and ignored (engine/lease.ts).
// The mark also carries the run's progress for the run browser (ui/): each node's state (pending,
// cached, running, ran, failed), the last progress it reported and the rows it has written (while
// it runs too, from the engine's own counts), rewritten (atomically, as every mark) at most once
// a second while nodes change.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LEASE_MS, stale, type LeaseInfo } from './lease.js';
import { writeInside } from './safe-fs.js';

export type NodeState = 'pending' | 'cached' | 'running' | 'ran' | 'failed';

export interface NodeProgress {
  kind: string;
  /** The nodes it reads from. */
  in: string[];
  state: NodeState;
  /** The last progress the node reported (ctx.progress): done of total, and what it is at. */
  done?: number;
  total?: number;
  info?: string;
  /** Rows written per output port: so far while it runs, in all once it ran. */
  rows?: Record<string, number>;
}

export interface LiveProgress { graph: string; nodes: Record<string, NodeProgress>; updatedAt: number }

export interface LiveMark extends LeaseInfo {
  run: string;
  startedAt: number;
  /** Keys the run planned (read or written); null while it is planning. */
  keys: string[] | null;
  /** Node states, once the run has planned. */
  progress?: LiveProgress;
}

/** What watch() needs of a plan: each node's kind and inputs, and whether it runs. */
interface PlanLike { nodes: Iterable<[string, { runs: boolean; node: { kind: string; inputs: Record<string, { node: string }> } }]> }

/** The execution events whose node states the mark follows. */
interface StateEvents {
  /** `rows`: the node's rows written per output so far, updated in place as it writes. */
  started(node: string, rows?: Record<string, number>): void;
  finished(node: string, ok: boolean, rows?: Record<string, number>): void;
  progress(node: string, done: number, total: number, info?: string): void;
}

/** Progress is written at most this often (each write replaces one small file). */
const PROGRESS_MS = 1000;

export class LiveRun {
  private readonly file: string;
  private mark: LiveMark;
  private readonly timer: NodeJS.Timeout;
  private lastWrite = 0;
  private pending?: NodeJS.Timeout;
  /** The live row counts of the nodes running now (the engine's own, updated as they write). */
  private readonly counting = new Map<string, Record<string, number>>();
  private counter?: NodeJS.Timeout;

  constructor(private readonly runsDir: string, run: string) {
    this.file = join(runsDir, 'active', `${run}.json`);
    this.mark = { run, startedAt: Date.now(), keys: null, host: hostname(), pid: process.pid, expires: 0, token: randomBytes(8).toString('hex') };
    this.write();
    this.timer = setInterval(() => this.renew(), LEASE_MS / 3);
    this.timer.unref();
  }

  /** Keys this run plans to read or store (added to those held: a replan keeps the earlier ones). */
  hold(keys: Iterable<string>): void {
    this.mark.keys = [...new Set([...(this.mark.keys ?? []), ...keys])];
    this.write();
  }

  /** Follow the node states of an execution of `plan`: returns `events` with each state change
   * also noted in the mark (written at most once a second). */
  watch<E extends StateEvents>(graph: string, plan: PlanLike, events: E): E {
    const nodes: Record<string, NodeProgress> = {};
    for (const [id, p] of plan.nodes) nodes[id] = { kind: p.node.kind, in: [...new Set(Object.values(p.node.inputs).map((r) => r.node))], state: p.runs ? 'pending' : 'cached' };
    this.mark.progress = { graph, nodes, updatedAt: Date.now() };
    this.renew();
    const note = (id: string, change: Partial<NodeProgress>) => {
      if (!nodes[id]) return;
      Object.assign(nodes[id], change);
      this.mark.progress!.updatedAt = Date.now();
      this.soon();
    };
    // Rows of the nodes running are looked at once a second; the mark is written when they grew.
    clearInterval(this.counter);
    this.counter = setInterval(() => {
      const grown = [...this.counting].filter(([id, rows]) => nodes[id] && JSON.stringify(rows) !== JSON.stringify(nodes[id].rows ?? {}));
      for (const [id, rows] of grown) note(id, { rows: { ...rows } });
    }, PROGRESS_MS);
    this.counter.unref();
    return {
      ...events,
      started: (id: string, rows?: Record<string, number>) => {
        events.started(id, rows);
        if (rows) this.counting.set(id, rows);
        note(id, { state: 'running' });
      },
      finished: (id: string, ok: boolean, rows?: Record<string, number>) => {
        events.finished(id, ok, rows);
        this.counting.delete(id);
        note(id, { state: ok ? 'ran' : 'failed', ...(rows ? { rows: { ...rows } } : {}) });
      },
      progress: (id: string, done: number, total: number, info?: string) => { events.progress(id, done, total, info); note(id, { done, total, info }); },
    };
  }

  end(): void {
    clearInterval(this.timer);
    clearInterval(this.counter);
    clearTimeout(this.pending);
    rmSync(this.file, { force: true });
  }

  /** Write the mark once PROGRESS_MS has passed since the last write (one write pending at most). */
  private soon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.renew();
    }, Math.max(0, this.lastWrite + PROGRESS_MS - Date.now()));
    this.pending.unref();
  }

  private renew(): void {
    try {
      this.write();
    } catch {
      // the runs directory went away or filled up: the run itself will say so when it writes
    }
  }

  private write(): void {
    this.mark.expires = Date.now() + LEASE_MS;
    this.lastWrite = Date.now();
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
