// Runs: every recorded run, every recorded sweep (one row for all of its runs, opening a Compare
// of its variants) and every run in progress, sortable, filterable and paginated on the server (a
// page of rows is rendered, never all 5,000). Headline metrics are columns chosen from what the
// records hold (headline.ts), on one split or on each run's test split, else validation, else
// train. Newest first, unfiltered, needs only the page's own records (ids carry their start
// time); another sort or a filter waits until the index has read every record once (in the
// background from the server's start). Rows are selected with checkboxes for Compare and Scans.
import { HEADLINE_METRICS, headlineColumns, shown } from '../server/headline.js';
import { escapeHtml, layout, query } from '../server/layout.js';
import { byText, type RunIndex, type RunSummary } from '../server/run-index.js';

const PAGE_SIZE = 50;

type Fixed = 'started' | 'graph' | 'status' | 'seconds' | 'ran' | 'cached' | 'id';
const COLUMNS: [Fixed, string][] = [['id', 'run'], ['graph', 'graph'], ['started', 'started'], ['seconds', 'took'], ['status', 'status'], ['ran', 'ran'], ['cached', 'cached']];
/** Sort keys of the metric columns: `m:` and the metric's name. */
const METRIC = 'm:';

export interface RunsQuery { q?: string; status?: string; kind?: string; split?: string; sort?: string; dir?: string; page?: string }

export async function runsPage(index: RunIndex, p: RunsQuery): Promise<string> {
  const metricSort = p.sort?.startsWith(METRIC) && HEADLINE_METRICS.has(p.sort.slice(METRIC.length));
  const sort = metricSort || COLUMNS.some(([k]) => k === p.sort) ? p.sort! : 'started';
  const dir = p.dir === 'asc' ? 'asc' : 'desc';
  const q = (p.q ?? '').trim().toLowerCase();
  const kind = p.kind === 'run' || p.kind === 'sweep' ? p.kind : '';
  const split = p.split ?? '';
  const wanted = Math.max(1, Number.parseInt(p.page ?? '1', 10) || 1);
  let total: number, matching: number, rows: RunSummary[], pages: number, page: number;
  if (sort === 'started' && dir === 'desc' && !q && !p.status && !kind) {
    const ids = index.ids();
    total = matching = ids.length;
    pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    page = Math.min(pages, wanted);
    rows = index.summaries(ids.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE));
  } else {
    const all = await index.list();
    const found = all.filter((r) => (!q || r.id.toLowerCase().includes(q) || r.graph.toLowerCase().includes(q) || (r.commit ?? '').startsWith(q))
      && (!p.status || r.status === p.status) && (!kind || r.kind === kind));
    const sign = dir === 'asc' ? 1 : -1;
    if (metricSort) {
      // Each row's value found once (not once per comparison); a row without it counts as the lowest.
      const metric = sort.slice(METRIC.length);
      const keyed = found.map((r) => ({ r, v: shown(r.headline, metric, split)?.value ?? -Infinity }));
      keyed.sort((a, b) => sign * ((a.v === b.v ? 0 : a.v - b.v) || byText(a.r.started, b.r.started)));
      found.splice(0, found.length, ...keyed.map((k) => k.r));
    } else found.sort((a, b) => sign * compareBy(a, b, sort as Fixed));
    total = all.length;
    matching = found.length;
    pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
    page = Math.min(pages, wanted);
    rows = found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  }
  // Metric columns: those the listed rows hold (a metric sorted by stays, even where this page lacks it).
  const held = headlineColumns(rows.map((r) => r.headline));
  const metrics = [...HEADLINE_METRICS.keys()].filter((m) => held.metrics.includes(m) || sort === METRIC + m);
  const keep = { q: p.q, status: p.status, kind, split };
  const header = (key: string, label: string) => {
    const next = sort === key && dir === 'desc' ? 'asc' : 'desc';
    const mark = sort === key ? (dir === 'desc' ? ' ▼' : ' ▲') : '';
    return `<a href="/${query({ ...keep, sort: key, dir: next })}">${label}${mark}</a>`;
  };
  const head = COLUMNS.map(([k, label]) => `<th>${header(k, label)}</th>`).join('')
    + metrics.map((m) => `<th class="num" data-metric="${m}">${header(METRIC + m, HEADLINE_METRICS.get(m)!)}</th>`).join('');
  const body = rows.map((r) => row(r, metrics, split)).join('\n');
  const pager = pages > 1
    ? `<p class="pager">${page > 1 ? `<a rel="prev" href="/${query({ ...keep, sort, dir, page: String(page - 1) })}">← previous</a>` : ''} page ${page} of ${pages} ${page < pages ? `<a rel="next" href="/${query({ ...keep, sort, dir, page: String(page + 1) })}">next →</a>` : ''}</p>`
    : '';
  const option = (value: string, text: string, current: string) => `<option value="${escapeHtml(value)}"${value === current ? ' selected' : ''}>${escapeHtml(text)}</option>`;
  const statuses = ['', 'ok', 'failed', 'running', 'corrupt', 'incomplete'].map((s) => option(s, s || 'any status', p.status ?? '')).join('');
  const kinds = [['', 'runs and sweeps'], ['run', 'runs'], ['sweep', 'sweeps']].map(([v, t]) => option(v, t, kind)).join('');
  const splits = [...new Set(['test', 'validation', 'train', ...held.splits, ...(split ? [split] : [])])].map((s) => option(s, `metrics on ${s}`, split)).join('');
  const html = `<form class="filters" method="get" action="/">
<input type="search" name="q" value="${escapeHtml(p.q ?? '')}" placeholder="run, graph or commit"> <select name="status">${statuses}</select> <select name="kind">${kinds}</select>
<select name="split" title="the split the metric columns show">${option('', 'metrics on test (else val, else tra)', split)}${splits}</select>
<input type="hidden" name="sort" value="${escapeHtml(sort)}"><input type="hidden" name="dir" value="${dir}"> <button>Filter</button>
<span class="muted" id="count">${matching} of ${total} runs and sweeps</span>${indexing(index)}</form>
<form method="get" action="/compare" id="selection">
<p class="actions"><button type="submit">Compare selected</button> <button type="submit" formaction="/scans">Scans of selected</button> <span class="muted">select 2–50 runs or sweep variants (a sweep brings all of its runs)</span></p>
<table class="runs"><thead><tr><th></th>${head}<th>commit</th></tr></thead><tbody>
${body}
</tbody></table></form>
${pager}`;
  return layout('Runs', html, 'Runs');
}

function row(r: RunSummary, metrics: string[], split: string): string {
  const broken = r.status !== 'ok' && r.status !== 'failed';
  const check = broken ? '' : `<input type="checkbox" name="${r.kind}" value="${escapeHtml(r.id)}" aria-label="select ${escapeHtml(r.id)}">`;
  const commit = r.commit ? `<code title="${escapeHtml(r.commit)}">${escapeHtml(r.commit.slice(0, 8))}</code>${r.dirty ? '<span class="muted" title="uncommitted changes">+</span>' : ''}` : '';
  const name = r.kind === 'sweep'
    ? `<span class="kind">sweep</span> <a href="/compare${query({ sweep: r.id })}">${escapeHtml(r.id)}</a> <span class="muted">${r.variants ?? 0} variant${r.variants === 1 ? '' : 's'}, ${r.runs?.length ?? 0} runs</span>`
    : `<a href="/run/${encodeURIComponent(r.id)}">${escapeHtml(r.id)}</a>${r.sweep ? ` <span class="muted">in <a href="/compare${query({ sweep: r.sweep })}">${escapeHtml(r.sweep)}</a></span>` : ''}`;
  const cells = metrics.map((m) => {
    const v = shown(r.headline, m, split);
    return v ? `<td class="num" data-value="${v.value}" title="${escapeHtml(`${v.model}, ${v.split}`)}">${v.value.toFixed(3)}${split || v.split === 'test' ? '' : ` <span class="muted">${escapeHtml(v.split.slice(0, 3))}</span>`}</td>` : '<td></td>';
  }).join('');
  return `<tr data-run="${escapeHtml(r.id)}" data-kind="${r.kind}"><td>${check}</td><td>${name}</td><td>${escapeHtml(r.graph)}</td>`
    + `<td>${escapeHtml(r.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td class="num">${r.seconds === null ? '' : `${r.seconds.toFixed(1)} s`}</td>`
    + `<td class="status-${r.status}"${r.problem ? ` title="${escapeHtml(r.problem)}"` : ''}>${r.status}${r.problem ? ` <span class="muted">${escapeHtml(r.problem)}</span>` : ''}</td>`
    + `<td class="num">${r.ran}</td><td class="num">${r.cached}</td>${cells}<td>${commit}</td></tr>`;
}

/** While the background index is still reading records: how far, since another sort or a filter waits for it. */
function indexing(index: RunIndex): string {
  const { read, of, done } = index.progress();
  return done ? '' : `<span class="muted" id="indexing">(reading records for other sorts and filters: ${read} of ${of})</span>`;
}

function compareBy(a: RunSummary, b: RunSummary, key: Fixed): number {
  switch (key) {
    case 'seconds': return (a.seconds ?? -1) - (b.seconds ?? -1);
    case 'ran': case 'cached': return a[key] - b[key];
    default: return byText(a[key], b[key]) || byText(a.started, b.started);
  }
}
