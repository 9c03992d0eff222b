// The runs directory as the run browser lists it: one summary per record directory, one per
// recorded sweep (<runs>/sweeps: a row for its runs together), plus the runs in progress (their
// marks in <runs>/active, engine/live-runs.ts). A readable record is final
// (ctflow writes record.json once, by rename), so it is read once; a directory without one, or
// with a corrupt one, is looked at again (size and mtime) on each listing. Records are read
// lazily: a page of the newest runs needs only its own records (run ids carry their start time),
// while `indexed()` reads the rest in the background, a chunk at a time, for the sorts and filters
// that need every summary. A record that cannot be read (half-written, corrupt JSON, missing
// fields) is a summary with status "corrupt" or "incomplete" and the reason; it never throws.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { columnsOf } from '../../engine/compare.js';
import { liveRuns, type LiveMark } from '../../engine/live-runs.js';
import { isRunId, recordDir, type RunRecord, reviveMetrics, type SweepRecord } from '../../engine/runs.js';
import { runHeadline, sweepHeadline, type Headline } from './headline.js';

export type RunState = 'ok' | 'failed' | 'corrupt' | 'incomplete' | 'running';

export interface RunSummary {
  /** A run, or a sweep (a row for all of its runs: its variants and their replicates). */
  kind: 'run' | 'sweep';
  id: string;
  graph: string;
  started: string;
  seconds: number | null;
  status: RunState;
  /** Why the record could not be read (corrupt, incomplete). */
  problem?: string;
  commit: string | null;
  dirty: boolean | null;
  ran: number;
  cached: number;
  /** Per split, the headline metrics the record holds (headline.ts). */
  headline: Headline;
  /** The sweep a run belongs to. */
  sweep?: string;
  /** A sweep's runs and how many variants they are. */
  runs?: string[];
  variants?: number;
}

export interface SweepSummary { id: string; file: string; started: string; finished: string; runs: string[]; problem?: string }

interface Cached { stamp: string; summary: RunSummary; record?: RunRecord }

/** Records read per turn of the event loop while indexing in the background. */
const CHUNK = 64;

export class RunIndex {
  private readonly cache = new Map<string, Cached>();
  private readonly sweepFiles = new Map<string, SweepSummary>();
  /** Rows of sweeps whose every run record was readable (final, as those records are). */
  private readonly sweepRows = new Map<string, RunSummary>();
  private indexing?: Promise<void>;
  private counts = { read: 0, of: 0, done: false };
  private times?: { size: number; map: Map<string, number> };

  constructor(readonly runsDir: string) {}

  /** Ids of every record directory, recorded sweep and live run, newest first (by the start time
   * in the id; a sweep's runs share its start time). */
  ids(): string[] {
    const dir = join(this.runsDir, 'records');
    const ids = existsSync(dir) ? readdirSync(dir).filter(isRunId) : [];
    const seen = new Set(ids);
    for (const id of this.cache.keys()) if (!seen.has(id)) this.cache.delete(id);
    const sweeps = new Set(this.sweepIds());
    for (const map of [this.sweepRows, this.sweepFiles]) for (const id of map.keys()) if (!sweeps.has(id)) map.delete(id);
    for (const id of sweeps) {
      if (!seen.has(id)) ids.push(id);
      seen.add(id);
    }
    for (const m of this.live().keys()) if (!seen.has(m)) ids.push(m);
    const stamps = new Map(ids.map((id) => [id, stampOf(id)])); // once per id, not per comparison
    return ids.sort((a, b) => byText(stamps.get(b)!, stamps.get(a)!) || byText(a, b));
  }

  /** Summaries of these ids (records read now where not read yet). */
  summaries(ids: string[]): RunSummary[] {
    const live = this.live(), sweeps = new Set(this.sweepIds());
    return ids.map((id) => {
      if (sweeps.has(id) && !this.cache.has(id)) return this.sweepSummary(id);
      return live.has(id) && !existsSync(recordDir(this.runsDir, id)) ? liveSummary(live.get(id)!) : this.load(id).summary;
    });
  }

  /** Every run, newest first; waits until every record has been read once. */
  async list(): Promise<RunSummary[]> {
    await this.indexed();
    return this.summaries(this.ids());
  }

  /** Read every record not read yet, then make every sweep's row, a chunk at a time (other
   * requests are served between chunks). */
  indexed(): Promise<void> {
    this.indexing ??= (async () => {
      const sweeps = new Set(this.sweepIds());
      const ids = this.ids().filter((id) => !sweeps.has(id) && !this.cache.has(id));
      this.counts.of = ids.length;
      for (let i = 0; i < ids.length; i += CHUNK) {
        await Promise.all(ids.slice(i, i + CHUNK).map(async (id) => {
          const file = join(recordDir(this.runsDir, id), 'record.json');
          const st = await stat(file).catch(() => undefined);
          const text = st && await readFile(file, 'utf8').catch(() => undefined);
          if (st && text !== undefined && !this.cache.has(id)) this.cache.set(id, { stamp: `${st.size}:${st.mtimeMs}`, ...read(id, text) });
        }));
        this.counts.read = Math.min(ids.length, i + CHUNK);
      }
      // Then the sweeps' rows (each a pass over its runs' metrics), a chunk per turn as well.
      const all = [...sweeps];
      for (let i = 0; i < all.length; i += CHUNK) {
        for (const id of all.slice(i, i + CHUNK)) this.sweepSummary(id);
        await new Promise((r) => setImmediate(r));
      }
      this.counts.done = true;
    })();
    return this.indexing;
  }

  /** How long the run that computed cache entry `key` took for it, from the records indexed so
   * far (the report's cache-hit times, without reading every record per page). */
  computedMs(key: string): number | undefined {
    if (this.times?.size !== this.cache.size) {
      const map = new Map<string, number>();
      for (const { record } of this.cache.values()) for (const n of Object.values(record?.nodes ?? {})) if (n.status === 'ran' && n.ms !== undefined) map.set(n.key, n.ms);
      this.times = { size: this.cache.size, map };
    }
    return this.times.map.get(key);
  }

  /** How far the background indexing is: records read of those it found unread when it began. */
  progress(): { read: number; of: number; done: boolean } {
    return { ...this.counts };
  }

  /** A run's summary, and its record when it could be read; undefined for an unknown id. A run in
   * progress without a record directory has its live mark. */
  get(id: string): { summary: RunSummary; record?: RunRecord; live?: LiveMark } | undefined {
    if (!isRunId(id)) return undefined;
    const live = this.live().get(id);
    if (!existsSync(recordDir(this.runsDir, id))) return live ? { summary: liveSummary(live), live } : undefined;
    return { ...this.load(id), live };
  }

  /** Marks of the runs in progress, by run id (a mark whose progress is malformed keeps no progress). */
  private live(): Map<string, LiveMark> {
    return new Map(liveRuns(this.runsDir).filter((m) => isRunId(m.run)).map((m) => [m.run, wellFormed(m.progress) ? m : { ...m, progress: undefined }]));
  }

  /** Ids of the recorded sweeps (<runs>/sweeps/ID.json). */
  private sweepIds(): string[] {
    const dir = join(this.runsDir, 'sweeps');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).filter(isRunId) : [];
  }

  /** A recorded sweep (its file is written once, by rename: read once), or undefined for an unknown id. */
  sweep(id: string): SweepSummary | undefined {
    if (!isRunId(id)) return undefined;
    const hit = this.sweepFiles.get(id);
    if (hit) return hit;
    const file = join(this.runsDir, 'sweeps', `${id}.json`);
    if (!existsSync(file)) return undefined;
    let found: SweepSummary;
    try {
      const s = JSON.parse(readFileSync(file, 'utf8')) as SweepRecord;
      if (!s || !Array.isArray(s.runs) || typeof s.startedAt !== 'string') throw new Error('is not a sweep record (no runs or start time)');
      found = { id, file: String(s.file), started: s.startedAt, finished: String(s.finishedAt ?? ''), runs: s.runs.filter((r) => typeof r === 'string' && isRunId(r)) };
      this.sweepFiles.set(id, found);
    } catch (e) {
      found = { id, file: '', started: '', finished: '', runs: [], problem: `sweeps/${id}.json ${e instanceof SyntaxError ? `is not valid JSON (${e.message})` : (e as Error).message}` };
    }
    return found;
  }

  /** A sweep as one row: its runs' counts summed, its headline over its variants (replicates averaged). */
  private sweepSummary(id: string): RunSummary {
    const hit = this.sweepRows.get(id);
    if (hit) return hit;
    const s = this.sweep(id)!;
    const base = { ...brokenSummary(id, 'corrupt', s.problem ?? ''), kind: 'sweep' as const, graph: id.replace(/^sweep-/, '').replace(/-\d{8}T\d{6}-[0-9a-f]{4}$/, ''), runs: s.runs };
    if (s.problem) return base;
    const loaded = s.runs.map((r) => this.load(r));
    const records = loaded.flatMap((l) => (l.record ? [l.record] : []));
    const took = (Date.parse(s.finished) - Date.parse(s.started)) / 1000;
    const missing = s.runs.length - records.length;
    const row: RunSummary = {
      ...base, started: s.started, seconds: Number.isFinite(took) ? took : null,
      status: missing ? 'incomplete' : records.some((r) => r.status === 'failed') ? 'failed' : 'ok',
      problem: missing ? `${missing} of its ${s.runs.length} run records cannot be read` : undefined,
      commit: records[0]?.provenance?.git?.commit ?? null, dirty: records[0]?.provenance?.git?.dirty ?? null,
      ran: loaded.reduce((a, l) => a + l.summary.ran, 0), cached: loaded.reduce((a, l) => a + l.summary.cached, 0),
      headline: sweepHeadline(records), variants: columnsOf(records).length,
    };
    if (!missing) this.sweepRows.set(id, row);
    return row;
  }

  private load(id: string): Cached {
    const hit = this.cache.get(id);
    if (hit?.record) return hit;
    const file = join(recordDir(this.runsDir, id), 'record.json');
    let stamp = 'missing';
    try {
      const st = statSync(file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch { /* no record.json yet: incomplete */ }
    if (hit && hit.stamp === stamp) return hit;
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch { /* gone since the stat: incomplete */ }
    const entry = { stamp, ...read(id, text) };
    this.cache.set(id, entry);
    return entry;
  }
}

function wellFormed(p: LiveMark['progress']): boolean {
  if (p === undefined) return true;
  if (!p || typeof p.graph !== 'string' || !p.nodes || typeof p.nodes !== 'object') return false;
  return Object.values(p.nodes).every((n) => n && typeof n.kind === 'string' && typeof n.state === 'string' && Array.isArray(n.in) && n.in.every((x) => typeof x === 'string'));
}

/** The start time a run id carries (YYYYMMDDTHHMMSS), or "" for an id without one. */
function stampOf(id: string): string {
  return /-(\d{8}T\d{6})-[0-9a-f]{4}$/.exec(id)?.[1] ?? '';
}

function brokenSummary(id: string, status: RunState, problem: string): RunSummary {
  return { kind: 'run', id, graph: id.replace(/-\d{8}T\d{6}-[0-9a-f]{4}$/, ''), started: '', seconds: null, status, problem, commit: null, dirty: null, ran: 0, cached: 0, headline: {} };
}

function liveSummary(m: LiveMark): RunSummary {
  const nodes = Object.values(m.progress?.nodes ?? {});
  return {
    ...brokenSummary(m.run, 'running', `in progress on ${m.host} (pid ${m.pid})`),
    started: new Date(m.startedAt).toISOString(),
    ran: nodes.filter((n) => n.state === 'ran').length, cached: nodes.filter((n) => n.state === 'cached').length,
  };
}

function read(id: string, text: string | undefined): { summary: RunSummary; record?: RunRecord } {
  const broken = (status: RunState, problem: string) => ({ summary: brokenSummary(id, status, problem) });
  if (text === undefined) return broken('incomplete', 'no record.json (the run is in progress, or was stopped before it was recorded)');
  let record: RunRecord;
  try {
    record = JSON.parse(text) as RunRecord;
  } catch (e) {
    return broken('corrupt', `record.json is not valid JSON (${(e as Error).message})`);
  }
  const problem = shapeProblem(record);
  if (problem) return broken('corrupt', `record.json ${problem}`);
  record = reviveMetrics(record);
  const nodes = Object.values(record.nodes);
  const took = (Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000;
  return {
    record,
    summary: {
      kind: 'run', id, graph: record.graph, started: record.startedAt, seconds: Number.isFinite(took) ? took : null,
      status: record.status === 'failed' ? 'failed' : 'ok',
      commit: record.provenance?.git?.commit ?? null, dirty: record.provenance?.git?.dirty ?? null,
      ran: nodes.filter((n) => n.status === 'ran').length, cached: nodes.filter((n) => n.status === 'cached').length,
      headline: runHeadline(record.metrics), sweep: record.sweep?.id,
    },
  };
}

/** What a record lacks that the pages rely on, or undefined when it has it all. */
function shapeProblem(r: RunRecord): string | undefined {
  if (!r || typeof r !== 'object') return 'is not an object';
  if (typeof r.graph !== 'string' || typeof r.startedAt !== 'string') return 'has no graph name or start time';
  if (!r.nodes || typeof r.nodes !== 'object') return 'has no nodes';
  for (const [id, n] of Object.entries(r.nodes)) {
    if (!n || typeof n.kind !== 'string' || typeof n.key !== 'string' || !n.material || typeof n.material.params !== 'object') return `has a malformed node "${id}"`;
  }
  if (!Array.isArray(r.metrics)) return 'has no metrics list';
  return undefined;
}

/** Code-unit order (ids and ISO times are ASCII; localeCompare is ~10× slower over 5,000 rows). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
