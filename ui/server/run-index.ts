// The runs directory as the run browser lists it: one summary per record directory. A readable
// record is final (ctflow writes record.json once, by rename), so it is read once; a directory
// without one, or with a corrupt one, is looked at again (size and mtime) on each listing. Listing
// 5,000 runs costs a readdir. A record that cannot be read (half-written, corrupt JSON, missing
// fields) is a summary with status "corrupt" or "incomplete" and the reason; it never throws.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isRunId, recordDir, type RunRecord, reviveMetrics } from '../../engine/runs.js';

export type RunState = 'ok' | 'failed' | 'corrupt' | 'incomplete';

export interface RunSummary {
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
  /** The best macro-F1 of any model on the test split (else validation), when the run has metrics. */
  headline: { value: number; model: string; split: string } | null;
  sweep?: string;
}

export interface SweepSummary { id: string; file: string; started: string; runs: string[]; problem?: string }

interface Cached { stamp: string; summary: RunSummary; record?: RunRecord }

export class RunIndex {
  private readonly cache = new Map<string, Cached>();

  constructor(readonly runsDir: string) {}

  /** Every record directory, newest first. */
  list(): RunSummary[] {
    const dir = join(this.runsDir, 'records');
    const ids = existsSync(dir) ? readdirSync(dir).filter(isRunId) : [];
    const seen = new Set(ids);
    for (const id of this.cache.keys()) if (!seen.has(id)) this.cache.delete(id);
    return ids.map((id) => this.load(id).summary).sort((a, b) => byText(b.started, a.started) || byText(a.id, b.id));
  }

  /** A run's summary, and its record when it could be read; undefined for an unknown id. */
  get(id: string): { summary: RunSummary; record?: RunRecord } | undefined {
    if (!isRunId(id) || !existsSync(recordDir(this.runsDir, id))) return undefined;
    return this.load(id);
  }

  sweeps(): SweepSummary[] {
    const dir = join(this.runsDir, 'sweeps');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.json') && isRunId(f)).map((f): SweepSummary => {
      const id = f.slice(0, -'.json'.length);
      try {
        const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { file: string; startedAt: string; runs: string[] };
        if (!Array.isArray(s.runs) || typeof s.startedAt !== 'string') throw new Error('not a sweep record');
        return { id, file: String(s.file), started: s.startedAt, runs: s.runs.filter((r) => typeof r === 'string' && isRunId(r)) };
      } catch (e) {
        return { id, file: '', started: '', runs: [], problem: (e as Error).message };
      }
    }).sort((a, b) => byText(b.started, a.started));
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
    const entry = { stamp, ...read(id, file, stamp === 'missing') };
    this.cache.set(id, entry);
    return entry;
  }
}

function read(id: string, file: string, missing: boolean): { summary: RunSummary; record?: RunRecord } {
  const broken = (status: RunState, problem: string): { summary: RunSummary } => ({
    summary: { id, graph: id.replace(/-\d{8}T\d{6}-[0-9a-f]{4}$/, ''), started: '', seconds: null, status, problem, commit: null, dirty: null, ran: 0, cached: 0, headline: null },
  });
  if (missing) return broken('incomplete', 'no record.json (the run is in progress, or was stopped before it was recorded)');
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
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
      id, graph: record.graph, started: record.startedAt, seconds: Number.isFinite(took) ? took : null,
      status: record.status === 'failed' ? 'failed' : 'ok',
      commit: record.provenance?.git?.commit ?? null, dirty: record.provenance?.git?.dirty ?? null,
      ran: nodes.filter((n) => n.status === 'ran').length, cached: nodes.filter((n) => n.status === 'cached').length,
      headline: headline(record), sweep: record.sweep?.id,
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

function headline(r: RunRecord): RunSummary['headline'] {
  const f1 = r.metrics.filter((m) => m.metric === 'macro_f1' && Number.isFinite(m.value));
  const split = f1.some((m) => m.split === 'test') ? 'test' : 'validation';
  const best = f1.filter((m) => m.split === split).sort((a, b) => b.value - a.value)[0];
  return best ? { value: best.value, model: best.model, split } : null;
}

/** Code-unit order (ids and ISO times are ASCII; localeCompare is ~10× slower over 5,000 rows). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
