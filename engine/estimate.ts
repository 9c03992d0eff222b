// How long the nodes that will run took before: the same key, else the same kind and params,
// else the mean of the kind's earlier runs. Used to announce a sweep's duration.
import { canonicalJson } from './canonical.js';
import type { Plan } from './plan.js';
import type { RunRecord } from './runs.js';

export function estimateMs(plan: Plan, history: RunRecord[]): { ms: number; known: number; unknown: string[] } {
  const byKey = new Map<string, number>();
  const byParams = new Map<string, number>();
  const byKind = new Map<string, number[]>();
  for (const r of history) {
    for (const n of Object.values(r.nodes)) {
      if (n.status !== 'ran' || n.ms === undefined) continue;
      byKey.set(n.key, n.ms);
      byParams.set(`${n.kind} ${canonicalJson(n.material.params)}`, n.ms);
      byKind.set(n.kind, [...(byKind.get(n.kind) ?? []), n.ms]);
    }
  }
  let ms = 0;
  let known = 0;
  const unknown: string[] = [];
  for (const [id, p] of plan.nodes) {
    if (!p.runs) continue;
    const kindRuns = byKind.get(p.node.kind);
    const t = byKey.get(p.key) ?? byParams.get(`${p.node.kind} ${canonicalJson(p.node.params)}`) ?? (kindRuns ? kindRuns.reduce((a, b) => a + b, 0) / kindRuns.length : undefined);
    if (t === undefined) unknown.push(id);
    else {
      ms += t;
      known++;
    }
  }
  return { ms, known, unknown };
}
