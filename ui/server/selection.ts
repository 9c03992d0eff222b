// The runs a Compare or Scans request names (?run=ID and ?sweep=ID, repeated; a sweep stands for
// all of its runs): checked as ids, read through the index, each with a short label; a run
// without a readable record, or a sweep whose record cannot be read, is refused with the reason.
import { columnsOf } from '../../engine/compare.js';
import { isRunId, type RunRecord } from '../../engine/runs.js';
import { Refused, type UiContext } from './context.js';

/** Columns at most: runs, or a sweep's variants (its replicates share a column). */
export const MAX_COLUMNS = 50;
/** Runs at most in one request (a sweep's replicates included). */
const MAX_RUNS = 1000;

export interface Selection { run?: string[]; sweep?: string[] }

/** The records selected, at least `min` of them and at most MAX_COLUMNS columns (per run, or per
 * sweep variant when `byVariant`). */
export function selectedRuns(ctx: UiContext, sel: Selection, min: number, byVariant = false): RunRecord[] {
  const ids: string[] = [];
  for (const s of new Set(sel.sweep ?? [])) {
    const sweep = ctx.index.sweep(runId(s));
    if (!sweep) throw new Refused(404, `no sweep "${s}" in ${ctx.runsDir}`);
    if (sweep.problem) throw new Refused(400, `sweep "${s}" cannot be shown: ${sweep.problem}`);
    ids.push(...sweep.runs);
  }
  ids.push(...(sel.run ?? []));
  const unique = [...new Set(ids)];
  const what = byVariant ? 'runs or sweep variants' : 'runs';
  if (unique.length < min || unique.length > MAX_RUNS) throw new Refused(400, `select ${min}–${MAX_COLUMNS} ${what} (got ${unique.length} runs): tick them on the Runs page`);
  const records = unique.map((id) => {
    const found = ctx.index.get(runId(id));
    if (!found) throw new Refused(404, `no run "${id}" in ${ctx.runsDir}`);
    if (!found.record) throw new Refused(400, `run "${id}" cannot be shown: ${found.summary.status}, ${found.summary.problem}`);
    return found.record;
  });
  const columns = byVariant ? columnsOf(records).length : records.length;
  if (columns > MAX_COLUMNS) throw new Refused(400, `select ${min}–${MAX_COLUMNS} ${what} (got ${columns}): tick fewer on the Runs page`);
  return records;
}

/** A run id from a request, refused with 400 unless it is one plain path segment. */
export function runId(id: string): string {
  if (!isRunId(id)) throw new Refused(400, `"${id}" is not a run id`);
  return id;
}

/** Column names for runs: the graph name (a sweep replicate's names its seed), the run id where two share it. */
export function runLabels(runs: RunRecord[]): string[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.graph, (count.get(r.graph) ?? 0) + 1);
  return runs.map((r) => (count.get(r.graph)! > 1 ? r.id : r.graph));
}
