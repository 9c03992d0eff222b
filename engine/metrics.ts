// Metrics of a run: every stored output of the `metrics` table type, read back into the run
// record (small tables), so that runs, compare and reports need no Arrow reading of their own.
import type { Plan } from './plan.js';
import type { Store } from './store.js';

export interface MetricRow { node: string; model: string; split: string; metric: string; value: number }

export async function collectMetrics(store: Store, plan: Plan): Promise<MetricRow[]> {
  const rows: MetricRow[] = [];
  for (const id of plan.graph.order) {
    const p = plan.nodes.get(id)!;
    for (const [port, type] of Object.entries(p.node.def.outputs)) {
      if (type.name !== 'metrics') continue;
      const found = store.lookup(p.key);
      if (!found.hit) continue;
      const reader = await store.reader(store.entryDir(p.key), found.manifest, port);
      try {
        for await (const b of reader) {
          for (let i = 0; i < b.numRows; i++) {
            rows.push({
              node: id,
              model: String(b.getChild('model')!.get(i)),
              split: String(b.getChild('split')!.get(i)),
              metric: String(b.getChild('metric')!.get(i)),
              value: Number(b.getChild('value')!.get(i)),
            });
          }
        }
      } finally {
        await reader.close();
      }
    }
  }
  return rows;
}
