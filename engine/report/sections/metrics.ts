// The evaluator's metrics shaped like the paper's Table 1: one row per model (and Mean-k) and
// split, the best value of each column within a split in bold.
import type { MetricRow } from '../../metrics.js';
import { escapeHtml, table, type Section } from '../html.js';
import type { RunData } from '../run-data.js';

const COLUMNS: [string, string][] = [
  ['sensitivity', 'SE'], ['specificity', 'SP'], ['macro_f1', 'Macro-F1'], ['accuracy', 'Acc'], ['auc', 'AUC'],
  ['tp', 'TP'], ['fp', 'FP'], ['tn', 'TN'], ['fn', 'FN'], ['n', 'scans'],
];
const RANKED = new Set(['sensitivity', 'specificity', 'macro_f1', 'accuracy', 'auc']);
const COUNTS = new Set(['tp', 'fp', 'tn', 'fn', 'n']);

export async function metricsSection(data: RunData): Promise<Section | undefined> {
  const metrics = data.record.metrics;
  if (!metrics.length) return undefined;
  const byRow = new Map<string, { node: string; split: string; model: string; values: Map<string, number> }>();
  for (const m of metrics) {
    const k = [m.node, m.split, m.model].join('\u0000');
    if (!byRow.has(k)) byRow.set(k, { node: m.node, split: m.split, model: m.model, values: new Map() });
    byRow.get(k)!.values.set(m.metric, m.value);
  }
  const rows = [...byRow.values()];
  const known = new Set(COLUMNS.map(([m]) => m));
  const extra = [...new Set(metrics.map((m) => m.metric).filter((m) => !known.has(m)))].map((m): [string, string] => [m, m]);
  const shown = [...COLUMNS.filter(([m]) => rows.some((r) => r.values.has(m))), ...extra];
  const best = bestPerSplit(metrics, new Set(shown.map(([m]) => m).filter((m) => RANKED.has(m))));
  const nodes = new Set(rows.map((r) => r.node));
  const header = [...(nodes.size > 1 ? ['node'] : []), 'split', 'model', ...shown.map(([, h]) => escapeHtml(h))];
  const body = rows.map((r) => [
    ...(nodes.size > 1 ? [escapeHtml(r.node)] : []), escapeHtml(r.split), escapeHtml(r.model),
    ...shown.map(([m]) => {
      const v = r.values.get(m);
      if (v === undefined) return '—';
      const text = Number.isNaN(v) ? 'n/a' : COUNTS.has(m) ? String(Math.round(v * 10) / 10) : v.toFixed(3);
      return best.get(`${r.node}\u0000${r.split}\u0000${m}`) === v ? `<span class="best">${text}</span>` : text;
    }),
  ]);
  return {
    id: 'metrics',
    title: 'Metrics (Table 1)',
    html: `<p>Sensitivity, specificity, macro-F1, accuracy and AUC per model and split, as in the paper's Table 1; a model name with "(Mean k)" scores the mean probability of k slice draws. Bold: best in its split.</p>`
      + table(header, body, 'metrics'),
  };
}

function bestPerSplit(metrics: MetricRow[], ranked: Set<string>): Map<string, number> {
  const best = new Map<string, number>();
  for (const m of metrics) {
    if (!ranked.has(m.metric) || Number.isNaN(m.value)) continue;
    const k = `${m.node}\u0000${m.split}\u0000${m.metric}`;
    best.set(k, Math.max(best.get(k) ?? -Infinity, m.value));
  }
  return best;
}
