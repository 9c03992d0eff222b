// Metrics of a run: every stored output of the `metrics` table type, read back into the run
// record (small tables), so that runs, compare and reports need no Arrow reading of their own.
// An entry's manifest carries its metrics rows (a summary the store writes when the entry is
// sealed, with the summarizer below), so a no-op rerun reads manifests only; entries sealed
// before manifests held them are read from the file.
import type { Plan } from './plan.js';
import type { Store, Summarizer } from './store.js';
import type { NodeDef, TableReader } from './types.js';

export interface MetricValue { model: string; split: string; metric: string; value: number }
export interface MetricRow extends MetricValue { node: string }

/** A manifest sealed before summaries were general held the metrics rows under `metrics`. */
type Legacy = { metrics?: Record<string, MetricValue[]> };

/** The outputs of `def` of the metrics table type. */
function metricsPorts(def: NodeDef): string[] {
  return Object.entries(def.outputs).filter(([, type]) => type.name === 'metrics').map(([port]) => port);
}

/** The summarizers of an entry of `def`: the rows of each metrics output. */
export function metricsSummaries(def: NodeDef): Record<string, Summarizer> {
  return Object.fromEntries(metricsPorts(def).map((port) => [port, metricValues]));
}

/** The rows of one metrics table. */
export async function metricValues(reader: TableReader): Promise<MetricValue[]> {
  const values: MetricValue[] = [];
  for await (const b of reader) {
    for (let i = 0; i < b.numRows; i++) {
      values.push({
        model: String(b.getChild('model')!.get(i)),
        split: String(b.getChild('split')!.get(i)),
        metric: String(b.getChild('metric')!.get(i)),
        value: Number(b.getChild('value')!.get(i)),
      });
    }
  }
  return values;
}

export async function collectMetrics(store: Store, plan: Plan): Promise<MetricRow[]> {
  const rows: MetricRow[] = [];
  for (const id of plan.graph.order) {
    const p = plan.nodes.get(id)!;
    for (const port of metricsPorts(p.node.def)) {
      const found = store.lookup(p.key);
      if (!found.hit) continue;
      let values = (found.manifest.summaries?.[port] ?? (found.manifest as Legacy).metrics?.[port]) as MetricValue[] | undefined;
      if (!values) {
        const reader = await store.reader(store.entryDir(p.key), found.manifest, port);
        try {
          values = await metricValues(reader);
        } finally {
          await reader.close();
        }
      }
      rows.push(...values.map((v) => ({ node: id, ...v })));
    }
  }
  return rows;
}
