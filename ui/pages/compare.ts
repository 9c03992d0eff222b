// Compare: 2–50 runs or sweep variants (replicates grouped as engine/compare.ts groups them; a
// sweep named by ?sweep=ID stands for all of its runs), streamed as it is made — the params that
// differ (a toggle shows all), every metric side by side as `ctflow compare` computes it (mean ±
// sd [bootstrap 95% CI] over replicates, best marked), the DAGs side by side with the nodes whose
// cache keys differ highlighted (and a table of the keys), and training and ROC curves of every
// run overlaid.
import { canonicalJson } from '../../engine/canonical.js';
import { columnsOf, compare, formatSummary, type Column } from '../../engine/compare.js';
import type { RunData } from '../../engine/report/run-data.js';
import type { RunRecord } from '../../engine/runs.js';
import type { UiContext } from '../server/context.js';
import { dagFigure } from '../server/dag.js';
import { runData } from '../server/run-data.js';
import { escapeHtml, query } from '../server/layout.js';
import { MAX_COLUMNS, runLabels, selectedRuns, type Selection } from '../server/selection.js';
import { FLUSH, streamedPage } from '../server/stream.js';
import { rocOverlay, trainingOverlay } from './curves.js';

/** The page, streamed: params and metrics first, then the DAGs and curves, which read cache entries. */
export function comparePage(ctx: UiContext, sel: Selection): Response {
  const runs = selectedRuns(ctx, sel, 2, true);
  const columns = columnsOf(runs);
  const result = compare(columns);
  const head = `<tr><th></th>${result.columns.map((c, i) => `<th>${escapeHtml(c)}<br><span class="muted">${columns[i].runs.length} run${columns[i].runs.length > 1 ? 's' : ''}</span></th>`).join('')}</tr>`;
  const differing = new Set(result.params.map((p) => p.path));
  const ids = runs.map((r) => r.id);
  return streamedPage(`Compare ${columns.length} columns`, (async function* () {
    yield ids.length <= MAX_COLUMNS ? `<p class="actions"><a href="/scans${query({ run: ids })}">Scans of these runs →</a></p>` : '';
    yield `<h2 id="params">Params</h2><p class="actions"><label><input type="checkbox" id="show-all"> show all params</label>`
      + `<span class="muted">${result.params.length} differ</span></p><table class="params"><thead>${head}</thead><tbody>`;
    for (const { path, values } of allParams(columns)) {
      yield `<tr class="${differing.has(path) ? 'differs' : 'same'}" data-param="${escapeHtml(path)}"><th>${escapeHtml(path)}</th>${values.map((v) => `<td><code>${escapeHtml(v)}</code></td>`).join('')}</tr>\n`;
    }
    yield '</tbody></table><h2 id="metrics">Metrics</h2>';
    if (!result.metrics.length) yield '<p class="muted">No metrics in these runs.</p>';
    else {
      yield `<p class="muted">mean ± sd [bootstrap 95% CI] over replicates; * best (${result.metrics.some((m) => !m.higherIsBetter) ? 'lowest for losses and times, ' : ''}highest otherwise).</p><table class="metrics"><thead>${head}</thead><tbody>`;
      for (const m of result.metrics) {
        yield `<tr data-metric="${escapeHtml(m.metric)}"><th>${escapeHtml(m.metric)}</th>${m.values.map((v, i) => {
          const attrs = v ? ` data-mean="${v.mean}" data-sd="${v.sd}" data-lo="${v.lo}" data-hi="${v.hi}" data-n="${v.n}"` : '';
          return `<td class="num${m.best === i ? ' best' : ''}"${attrs}>${escapeHtml(formatSummary(v))}${m.best === i ? ' *' : ''}</td>`;
        }).join('')}</tr>\n`;
      }
      yield '</tbody></table>';
    }
    yield FLUSH;
    const data = runs.map((r) => runData(ctx, r));
    const labels = runLabels(runs);
    yield keysTable(runs, labels, await dagFigures(ctx, runs, data, labels));
    yield FLUSH;
    const curves = [await trainingOverlay(data, labels), await rocOverlay(data, labels)].filter(Boolean).join('');
    if (curves) yield `<h2 id="curves">Curves</h2><div class="charts">${curves}</div>`;
  })(), { charts: true });
}

/** Every param of each column's first run, path → value per column (compare() keeps those that differ). */
function allParams(columns: Column[]): { path: string; values: string[] }[] {
  const maps = columns.map((c) => new Map(Object.entries(c.runs[0].nodes).flatMap(([id, n]) => [
    [`${id}.kind`, n.kind] as [string, string], ...Object.entries(n.material.params).map(([k, v]): [string, string] => [`${id}.${k}`, canonicalJson(v)]),
  ])));
  return [...new Set(maps.flatMap((m) => [...m.keys()]))].sort().map((path) => ({ path, values: maps.map((m) => m.get(path) ?? '—') }));
}

/** The two (or more) DAGs side by side as one table: each node's cache key per run, rows whose keys differ marked. */
function keysTable(runs: RunRecord[], labels: string[], dags: string): string {
  const ids = [...new Set(runs.flatMap((r) => Object.keys(r.nodes)))];
  const rows = ids.map((id) => {
    const keys = runs.map((r) => r.nodes[id]?.key);
    const differs = new Set(keys).size > 1;
    return `<tr class="${differs ? 'differs' : ''}" data-node="${escapeHtml(id)}"><th>${escapeHtml(id)}</th>${runs.map((r) => {
      const n = r.nodes[id];
      return n ? `<td><code>${n.key.slice(0, 10)}</code> <span class="status-${n.status}">${n.status}</span></td>` : '<td class="muted">—</td>';
    }).join('')}</tr>`;
  }).join('\n');
  const n = ids.filter((id) => new Set(runs.map((r) => r.nodes[id]?.key)).size > 1).length;
  return `<h2 id="dags">Graphs</h2><p class="muted">${n} of ${ids.length} nodes differ in cache key (marked): they or something upstream changed.</p>${dags}`
    + `<table class="keys"><thead><tr><th>node</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** Graphs drawn side by side at most (runs with the same cache keys share one drawing). */
const MAX_DAGS = 6;

/** The runs' DAGs, one per distinct set of cache keys, each node outlined where the runs differ:
 * orange where its cache key is not the same in every run, purple dashed where some run lacks it. */
async function dagFigures(ctx: UiContext, runs: RunRecord[], data: (RunData | undefined)[], labels: string[]): Promise<string> {
  const ids = [...new Set(runs.flatMap((r) => Object.keys(r.nodes)))];
  const diff = new Map(ids.map((id) => {
    const keys = runs.map((r) => r.nodes[id]?.key);
    return [id, keys.some((k) => k === undefined) ? 'absent' : new Set(keys).size > 1 ? 'differs' : 'same'];
  }));
  const drawn = new Map<string, { i: number; names: string[] }>();
  runs.forEach((r, i) => {
    const sig = Object.entries(r.nodes).map(([id, n]) => `${id}=${n.key}`).sort().join(',');
    if (drawn.has(sig)) drawn.get(sig)!.names.push(labels[i]);
    else if (data[i]) drawn.set(sig, { i, names: [labels[i]] });
  });
  const shown = [...drawn.values()].slice(0, MAX_DAGS);
  const figures = await Promise.all(shown.map(async ({ i, names }) => `<div class="dag-of" data-run="${escapeHtml(runs[i].id)}"><h3>${escapeHtml(names.join(', '))}</h3>`
    + await dagFigure(ctx, runs[i], data[i]!.graph, { attrs: (id) => ({ 'data-diff': diff.get(id)! }) }) + '</div>'));
  const more = drawn.size > MAX_DAGS ? `<p class="muted">${drawn.size - MAX_DAGS} more distinct graphs not drawn (see the table).</p>` : '';
  return figures.length ? `<p class="muted">Outlined orange: the node's cache key differs between the runs (it or something upstream changed); purple dashed: not every run has the node.</p><div class="dags">${figures.join('')}</div>${more}` : '';
}
