// Compare runs: only the params that differ, and the metrics side by side with the best marked.
// Replicates (runs of one variant under several seeds) are summarised as mean ± sd with a
// bootstrap 95% confidence interval.
import { canonicalJson } from './canonical.js';
import { rngFrom } from './rng.js';
import type { RunRecord } from './runs.js';

export interface Column { label: string; runs: RunRecord[] }

export interface Comparison {
  columns: string[];
  params: { path: string; values: string[] }[];
  metrics: { metric: string; values: (Summary | null)[]; best: number | null; higherIsBetter: boolean }[];
}

export interface Summary { mean: number; sd: number; n: number; lo: number; hi: number }

const LOWER_IS_BETTER = /loss|error|fpr|fnr|time|seconds/i;

/** Group runs that differ only by seed (replicates of one sweep variant). */
export function columnsOf(runs: RunRecord[]): Column[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const label = r.sweep ? r.graph.replace(/\.s\d+$/, '') : r.id;
    groups.set(label, [...(groups.get(label) ?? []), r]);
  }
  return [...groups].map(([label, rs]) => ({ label, runs: rs }));
}

export function compare(columns: Column[]): Comparison {
  const paramsOf = (r: RunRecord) => {
    const out = new Map<string, string>();
    for (const [id, n] of Object.entries(r.nodes)) {
      for (const [k, v] of Object.entries(n.material.params)) out.set(`${id}.${k}`, canonicalJson(v));
      out.set(`${id}.kind`, n.kind);
    }
    return out;
  };
  const perColumn = columns.map((c) => paramsOf(c.runs[0]));
  const paths = [...new Set(perColumn.flatMap((m) => [...m.keys()]))].sort();
  const params = paths
    .map((path) => ({ path, values: perColumn.map((m) => m.get(path) ?? '—') }))
    .filter((row) => new Set(row.values).size > 1);

  const names = [...new Set(columns.flatMap((c) => c.runs.flatMap((r) => r.metrics.map(metricName))))].sort();
  const metrics = names.map((metric) => {
    // A metric undefined on a run (NaN: the AUC of a one-class split) is left out of its mean.
    const values = columns.map((c) => summarize(c.runs.flatMap((r) => r.metrics.filter((m) => metricName(m) === metric).map((m) => m.value)).filter((v) => Number.isFinite(v)), metric));
    const higherIsBetter = !LOWER_IS_BETTER.test(metric);
    let best: number | null = null;
    values.forEach((v, i) => {
      if (v && (best === null || (higherIsBetter ? v.mean > values[best]!.mean : v.mean < values[best]!.mean))) best = i;
    });
    if (values.filter(Boolean).length < 2) best = null;
    return { metric, values, best, higherIsBetter };
  });
  return { columns: columns.map((c) => c.label), params, metrics };
}

function metricName(m: { model: string; split: string; metric: string }): string {
  return `${m.model} ${m.split} ${m.metric}`;
}

export function summarize(xs: number[], seedLabel = ''): Summary | null {
  if (!xs.length) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  const [lo, hi] = bootstrapCi(xs, seedLabel);
  return { mean, sd, n: xs.length, lo, hi };
}

/** Percentile bootstrap 95% interval of the mean (2000 resamples, seeded: reports are stable). */
export function bootstrapCi(xs: number[], seedLabel = '', resamples = 2000): [number, number] {
  if (xs.length < 2) return [xs[0], xs[0]];
  const rng = rngFrom(`bootstrap:${seedLabel}:${xs.join(',')}`);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[Math.floor(rng() * xs.length)];
    means[b] = s / xs.length;
  }
  means.sort();
  return [means[Math.floor(0.025 * resamples)], means[Math.ceil(0.975 * resamples) - 1]];
}

export function formatSummary(s: Summary | null): string {
  if (!s) return '—';
  const f = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));
  return s.n > 1 ? `${f(s.mean)} ± ${f(s.sd)} [${f(s.lo)}, ${f(s.hi)}]` : f(s.mean);
}

export function formatComparison(c: Comparison, format: 'table' | 'md' | 'csv' | 'json'): string {
  if (format === 'json') return JSON.stringify(c, null, 2);
  const header = ['', ...c.columns];
  const rows: string[][] = [
    ...c.params.map((p) => [p.path, ...p.values]),
    ...c.metrics.map((m) => [m.metric, ...m.values.map((v, i) => formatSummary(v) + (m.best === i ? (format === 'csv' ? '' : ' *') : ''))]),
  ];
  if (format === 'csv') {
    const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [header, ...rows].map((r) => r.map(esc).join(',')).join('\n');
  }
  if (format === 'md') {
    return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n\n`*` best';
  }
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(header), sep, ...c.params.map((_, i) => line(rows[i]))];
  if (c.metrics.length) out.push(sep, ...rows.slice(c.params.length).map(line));
  else out.push('(no metrics in these runs)');
  return out.join('\n') + (c.metrics.some((m) => m.best !== null) ? '\n* best' : '');
}
