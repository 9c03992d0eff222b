// The runs a Compare or Scans request names (?run=ID, repeated): checked as ids, read through the
// index, each with a short label; a run without a readable record is refused with the reason.
import { isRunId, type RunRecord } from '../../engine/runs.js';
import { Refused, type UiContext } from './context.js';

const MAX_RUNS = 50;

export function selectedRuns(ctx: UiContext, ids: string[] | undefined, min: number): RunRecord[] {
  const unique = [...new Set(ids ?? [])];
  if (unique.length < min || unique.length > MAX_RUNS) throw new Refused(400, `select ${min}–${MAX_RUNS} runs (got ${unique.length}): tick them on the Runs page`);
  return unique.map((id) => {
    const found = ctx.index.get(runId(id));
    if (!found) throw new Refused(404, `no run "${id}" in ${ctx.runsDir}`);
    if (!found.record) throw new Refused(400, `run "${id}" cannot be shown: ${found.summary.status}, ${found.summary.problem}`);
    return found.record;
  });
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
