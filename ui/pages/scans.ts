// Scans: one row per scan, each run's probability per model (mean over draws) and whether it is
// right at 0.5; filters "runs disagree" (the predicted classes differ), "all wrong", split and
// label; sorted by the spread of the probabilities, widest first. A scan opens its detail. Every
// matching row is shown, the table streamed as it is written (thousands of scans).
import type { UiContext } from '../server/context.js';
import { escapeHtml, query } from '../server/layout.js';
import { runData } from '../server/run-data.js';
import { probColumns, type ProbColumn } from '../server/scan-data.js';
import { runLabels, selectedRuns, type Selection } from '../server/selection.js';
import { streamedPage } from '../server/stream.js';

export interface ScansQuery extends Selection { filter?: string; split?: string; label?: string }

interface ScanRow { scan: string; split: string; label: number | null; probs: (number | null)[]; spread: number; disagree: boolean; allWrong: boolean }

async function scanTable(ctx: UiContext, sel: Selection): Promise<{ columns: (ProbColumn & { label: string })[]; rows: ScanRow[] }> {
  const runs = selectedRuns(ctx, sel, 1);
  const labels = runLabels(runs);
  const columns: (ProbColumn & { label: string })[] = [];
  for (const [i, r] of runs.entries()) {
    const data = runData(ctx, r);
    const cols = data ? await probColumns(data) : [];
    for (const c of cols) columns.push({ ...c, label: cols.length > 1 ? `${labels[i]} · ${c.model}` : labels[i] });
  }
  const scans = new Map<string, { split: string; label: number | null }>();
  for (const c of columns) for (const p of c.probs.values()) if (!scans.has(p.scan)) scans.set(p.scan, p);
  const rows = [...scans].map(([scan, { split, label }]): ScanRow => {
    const probs = columns.map((c) => c.probs.get(scan)?.prob ?? null);
    const known = probs.filter((p): p is number => p !== null);
    const calls = new Set(known.map((p) => p >= 0.5));
    return {
      scan, split, label, probs, spread: known.length ? Math.max(...known) - Math.min(...known) : 0,
      disagree: calls.size > 1, allWrong: label !== null && known.length > 0 && known.every((p) => (p >= 0.5 ? 1 : 0) !== label),
    };
  });
  rows.sort((a, b) => b.spread - a.spread || a.scan.localeCompare(b.scan));
  return { columns, rows };
}

export async function scansPage(ctx: UiContext, q: ScansQuery): Promise<Response> {
  const { columns, rows } = await scanTable(ctx, q);
  const sel = { run: q.run, sweep: q.sweep };
  const shown = rows.filter((r) => (q.filter !== 'disagree' || r.disagree) && (q.filter !== 'all-wrong' || r.allWrong)
    && (!q.split || r.split === q.split) && (!q.label || String(r.label) === q.label));
  const option = (value: string, text: string, current: string | undefined) => `<option value="${escapeHtml(value)}"${value === (current ?? '') ? ' selected' : ''}>${escapeHtml(text)}</option>`;
  const splits = [...new Set(rows.map((r) => r.split))].sort();
  const form = `<form class="filters" method="get" action="/scans">${Object.entries(sel).flatMap(([k, ids]) => [...new Set(ids)].map((r) => `<input type="hidden" name="${k}" value="${escapeHtml(r)}">`)).join('')}
<select name="filter">${option('', 'all scans', q.filter)}${option('disagree', 'runs disagree', q.filter)}${option('all-wrong', 'all wrong', q.filter)}</select>
<select name="split">${option('', 'any split', q.split)}${splits.map((s) => option(s, s, q.split)).join('')}</select>
<select name="label">${option('', 'any label', q.label)}${option('1', 'positive', q.label)}${option('0', 'negative', q.label)}</select>
<button>Filter</button> <span class="muted" id="count">${shown.length} of ${rows.length} scans</span></form>`;
  if (!columns.length) return streamedPage('Scans', [form, '<p class="muted">These runs have no stored predictions.</p>']);
  const head = `<tr><th>scan</th><th>split</th><th>label</th>${columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('')}<th class="num">spread</th></tr>`;
  const row = (r: ScanRow) => `<tr data-scan="${escapeHtml(r.scan)}"${r.disagree ? ' class="disagree"' : ''}><td><a href="/scan${query({ ...sel, scan: r.scan })}">${escapeHtml(r.scan)}</a></td>`
    + `<td>${escapeHtml(r.split)}</td><td>${r.label === null ? '—' : r.label === 1 ? 'positive' : 'negative'}</td>`
    + r.probs.map((p) => (p === null ? '<td class="muted">—</td>' : cell(p, r.label))).join('')
    + `<td class="num">${r.spread.toFixed(3)}</td></tr>\n`;
  return streamedPage('Scans', (function* () {
    yield `${form}<p class="muted">Probability of "positive" (mean over draws); ✓ right, ✗ wrong at 0.5.</p><table class="scans"><thead>${head}</thead><tbody>\n`;
    for (const r of shown) yield row(r);
    yield '</tbody></table>';
  })());
}

function cell(p: number, label: number | null): string {
  const right = label === null ? undefined : (p >= 0.5 ? 1 : 0) === label;
  return `<td class="num${right === false ? ' prob-wrong' : ''}" data-prob="${p}">${p.toFixed(3)}${right === undefined ? '' : right ? ' ✓' : ' ✗'}</td>`;
}
