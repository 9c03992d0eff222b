// A sweep's comparison report: <runs>/sweeps/<id>/report.html — the variants, the params that
// differ, the metrics side by side (mean ± sd [95% CI] over replicates) and each metric plotted
// against the swept value, with links to the variants' own reports.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { columnsOf, compare, formatSummary, summarize, type Column, type Comparison } from '../compare.js';
import { isRunId, readRecord, recordDir, type RunRecord, type SweepRecord } from '../runs.js';
import { writeInside } from '../safe-fs.js';
import { escapeHtml, figure, page, table, type Section } from './html.js';
import type { Row } from './run-data.js';
import { sweepSpec } from './specs.js';
import { toSvg } from './vega.js';

/** Metrics plotted (counts such as tp and n are left to the table). */
const PLOTTED = /^(sensitivity|specificity|macro_f1|accuracy|auc)$/;
const COUNTS = /^(tp|fp|tn|fn|n)$/;

export function sweepReportFile(runsDir: string, id: string): string {
  return join(runsDir, 'sweeps', id, 'report.html');
}

export function readSweepRecord(runsDir: string, id: string): SweepRecord | undefined {
  if (!isRunId(id)) return undefined;
  try {
    const s = JSON.parse(readFileSync(join(runsDir, 'sweeps', `${id}.json`), 'utf8')) as SweepRecord;
    return s && typeof s === 'object' && Array.isArray(s.runs) ? s : undefined;
  } catch {
    return undefined; // none, or damaged
  }
}

export async function sweepReportHtml(runsDir: string, sweep: SweepRecord): Promise<string> {
  const runs = sweep.runs.map((id) => readRecord(runsDir, id)).filter((r): r is RunRecord => r !== undefined);
  if (!runs.length) throw new Error(`sweep ${sweep.id}: none of its ${sweep.runs.length} run records is in ${runsDir}/records (removed by gc?); run  ctflow sweep ${sweep.file}  again`);
  const columns = columnsOf(runs);
  const cmp = compare(columns);
  const here = join(runsDir, 'sweeps', sweep.id);
  const sections: Section[] = [variantsSection(runs, runsDir, here), comparisonSection(cmp)];
  const plotted = await metricsAgainstValue(columns, cmp);
  if (plotted) sections.push(plotted);
  const lead = `<dl><dt>sweep</dt><dd>${escapeHtml(sweep.id)}</dd><dt>file</dt><dd>${escapeHtml(sweep.file)}</dd>`
    + `<dt>started</dt><dd>${escapeHtml(sweep.startedAt)}</dd><dt>variants</dt><dd>${columns.length}, up to ${Math.max(...columns.map((c) => c.runs.length))} seed(s) each</dd></dl>`;
  return page(`ctflow sweep ${runs[0].graph.split('.')[0]}`, lead, sections);
}

export async function writeSweepReport(runsDir: string, sweep: SweepRecord): Promise<string> {
  const html = await sweepReportHtml(runsDir, sweep);
  const file = sweepReportFile(runsDir, sweep.id);
  writeInside(runsDir, file, html);
  return file;
}

function variantsSection(runs: RunRecord[], runsDir: string, here: string): Section {
  const rows = runs.map((r) => {
    const nodes = Object.values(r.nodes);
    const report = join(recordDir(runsDir, r.id), 'report.html');
    const link = existsSync(report) ? `<a href="${escapeHtml(relative(here, report))}">${escapeHtml(r.id)}</a>` : escapeHtml(r.id);
    return [escapeHtml(r.sweep?.variant ?? r.graph), String(r.sweep?.seed ?? ''), link, `<span class="status-${r.status === 'ok' ? 'cached' : 'failed'}">${r.status}</span>`,
      String(nodes.filter((n) => n.status === 'ran').length), String(nodes.filter((n) => n.status === 'cached').length)];
  });
  return {
    id: 'variants',
    title: 'Variants',
    html: `<p>One run per variant and seed; a linked run has its own report (<code>ctflow report RUN</code> writes one for the others).</p>`
      + table(['variant', 'seed', 'run', 'status', 'ran', 'cached'], rows),
  };
}

function comparisonSection(cmp: Comparison): Section {
  const rows = [
    ...cmp.params.map((p) => [`<code>${escapeHtml(p.path)}</code>`, ...p.values.map(escapeHtml)]),
    ...cmp.metrics.map((m) => [escapeHtml(m.metric), ...m.values.map((v, i) => (m.best === i ? `<span class="best">${escapeHtml(formatSummary(v))}</span>` : escapeHtml(formatSummary(v))))]),
  ];
  return {
    id: 'comparison',
    title: 'Comparison',
    html: `<p>Params that differ between the variants, then every metric: mean ± sd [bootstrap 95% CI] over replicates; bold: best.</p>`
      + table(['', ...cmp.columns.map(escapeHtml)], rows),
  };
}

/** One chart per split: each metric against the swept value (numeric when one numeric param varies). */
async function metricsAgainstValue(columns: Column[], cmp: Comparison): Promise<Section | undefined> {
  const numeric = cmp.params.length === 1 && cmp.params[0].values.every((v) => v !== '' && Number.isFinite(Number(v)));
  const xs = numeric ? cmp.params[0].values.map(Number) : cmp.columns;
  const names = new Set(columns.flatMap((c) => c.runs.flatMap((r) => r.metrics.map((m) => m.metric))));
  const plotted = [...names].filter((m) => PLOTTED.test(m));
  const shown = new Set(plotted.length ? plotted : [...names].filter((m) => !COUNTS.test(m)));
  const bySplit = new Map<string, Row[]>();
  columns.forEach((c, i) => {
    const groups = new Map<string, { model: string; split: string; metric: string; values: number[] }>();
    for (const m of c.runs.flatMap((r) => r.metrics)) {
      if (!shown.has(m.metric)) continue;
      const k = [m.model, m.split, m.metric].join('\u0000');
      if (!groups.has(k)) groups.set(k, { model: m.model, split: m.split, metric: m.metric, values: [] });
      groups.get(k)!.values.push(m.value);
    }
    for (const g of groups.values()) {
      const s = summarize(g.values.filter((v) => !Number.isNaN(v)), g.metric);
      if (!s) continue;
      if (!bySplit.has(g.split)) bySplit.set(g.split, []);
      bySplit.get(g.split)!.push({ x: xs[i], model: g.model, metric: g.metric, mean: s.mean, lo: s.lo, hi: s.hi });
    }
  });
  if (!bySplit.size) return undefined;
  const title = numeric ? cmp.params[0].path : cmp.params.length ? cmp.params.map((p) => p.path).join(', ') : 'variant';
  const charts: string[] = [];
  for (const [split, rows] of bySplit) {
    charts.push(figure(await toSvg(sweepSpec(rows, { title, quantitative: numeric, order: cmp.columns }, split)), `Metrics of the ${escapeHtml(split)} split against ${escapeHtml(title)}; vertical bars: bootstrap 95% CI over replicates.`));
  }
  return { id: 'sweep-metrics', title: 'Metrics against the swept value', html: charts.join('') };
}
