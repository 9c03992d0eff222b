import { seconds } from './common.js';
import type { MetricRow } from '../metrics.js';
import type { RunOutcome } from '../session.js';

/** One line per node (status, time, rows, why it ran) and a total. */
export function formatRunSummary(out: RunOutcome, ms: number): string {
  const lines: string[] = [];
  const nodes = Object.entries(out.record.nodes);
  const w = Math.max(6, ...nodes.map(([id]) => id.length));
  for (const [id, n] of nodes) {
    const rows = n.rows ? Object.entries(n.rows).map(([p, r]) => `${r} ${p}`).join(', ') : '';
    const time = n.ms !== undefined ? seconds(n.ms) : '';
    const why = n.status === 'ran' || n.status === 'failed' ? `  (${n.reason})` : '';
    lines.push(`${n.status.padEnd(10)} ${id.padEnd(w)} ${time.padStart(8)}  ${rows}${why}`);
    const met = problems(n.notes);
    if (n.status === 'cached' && met) lines.push(`${''.padEnd(10)} ${id.padEnd(w)} ${''.padStart(8)}  noted when computed: ${met}`);
  }
  const count = (s: string) => nodes.filter(([, n]) => n.status === s).length;
  lines.push(`${out.record.status === 'ok' ? 'done' : 'FAILED'}: ${count('ran')} ran, ${count('cached')} cached${count('failed') ? `, ${count('failed')} failed` : ''}${count('skipped') ? `, ${count('skipped')} skipped` : ''} in ${seconds(ms)}; record ${out.recordDir}`);
  return lines.join('\n');
}

const TABLE1: [string, string][] = [['sensitivity', 'SE'], ['specificity', 'SP'], ['macro_f1', 'Macro-F1'], ['accuracy', 'Acc'], ['auc', 'AUC'], ['n', 'scans']];

/** The metrics of a run shaped like the paper's Table 1: one row per model (and Mean-k), per split. */
export function formatMetricsTable(metrics: MetricRow[]): string {
  if (!metrics.length) return '';
  const rows = new Map<string, Map<string, number>>();
  for (const m of metrics) {
    const k = `${m.split}\u0000${m.model}`;
    (rows.get(k) ?? rows.set(k, new Map()).get(k)!).set(m.metric, m.value);
  }
  const out: string[][] = [['split', 'model', ...TABLE1.map(([, h]) => h)]];
  for (const [k, vals] of rows) {
    const [split, model] = k.split('\u0000');
    out.push([split, model, ...TABLE1.map(([m]) => (vals.has(m) ? (m === 'n' ? String(vals.get(m)) : fmt(vals.get(m)!)) : '—'))]);
  }
  const w = out[0].map((_, i) => Math.max(...out.map((r) => r[i].length)));
  return out.map((r, j) => r.map((v, i) => (i < 2 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  ') + (j === 0 ? '\n' + w.map((x) => '-'.repeat(x)).join('  ') : '')).join('\n');
}

function fmt(x: number): string {
  return Number.isNaN(x) ? 'n/a' : x.toFixed(3);
}

/** What a node noted as lists (skipped slices, dropped scans), counted: "skippedSlices 1, emptyScans 2". */
function problems(notes: Record<string, unknown> | undefined): string {
  return Object.entries(notes ?? {}).filter(([, v]) => Array.isArray(v) && v.length > 0).map(([k, v]) => `${k} ${(v as unknown[]).length}`).join(', ');
}
