// Runs: every recorded run and every run in progress, sortable, filterable and paginated on the
// server (a page of rows is rendered, never all 5,000). Newest first, unfiltered, needs only the
// page's own records (run ids carry their start time); another sort or a filter waits until the
// index has read every record once (in the background from the server's start). Rows are
// selected with checkboxes for Compare and Scans.
import { byText, type RunIndex, type RunSummary } from '../server/run-index.js';
import { escapeHtml, layout, query } from '../server/layout.js';

const PAGE_SIZE = 50;

type Key = 'started' | 'graph' | 'status' | 'seconds' | 'ran' | 'cached' | 'headline' | 'id';
const COLUMNS: [Key, string][] = [['id', 'run'], ['graph', 'graph'], ['started', 'started'], ['seconds', 'took'], ['status', 'status'], ['ran', 'ran'], ['cached', 'cached'], ['headline', 'macro-F1']];

export interface RunsQuery { q?: string; status?: string; sort?: string; dir?: string; page?: string }

export async function runsPage(index: RunIndex, p: RunsQuery): Promise<string> {
  const sort = (COLUMNS.some(([k]) => k === p.sort) ? p.sort : 'started') as Key;
  const dir = p.dir === 'asc' ? 'asc' : 'desc';
  const q = (p.q ?? '').trim().toLowerCase();
  const wanted = Math.max(1, Number.parseInt(p.page ?? '1', 10) || 1);
  let total: number, matching: number, rows: RunSummary[], pages: number, page: number;
  if (sort === 'started' && dir === 'desc' && !q && !p.status) {
    const ids = index.ids();
    total = matching = ids.length;
    pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    page = Math.min(pages, wanted);
    rows = index.summaries(ids.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE));
  } else {
    const all = await index.list();
    const found = all.filter((r) => (!q || r.id.toLowerCase().includes(q) || r.graph.toLowerCase().includes(q) || (r.commit ?? '').startsWith(q)) && (!p.status || r.status === p.status));
    found.sort((a, b) => compareBy(a, b, sort) * (dir === 'asc' ? 1 : -1));
    total = all.length;
    matching = found.length;
    pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
    page = Math.min(pages, wanted);
    rows = found.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  }
  const keep = { q: p.q, status: p.status };
  const head = COLUMNS.map(([k, label]) => {
    const next = sort === k && dir === 'desc' ? 'asc' : 'desc';
    const mark = sort === k ? (dir === 'desc' ? ' ▼' : ' ▲') : '';
    return `<th><a href="/${query({ ...keep, sort: k, dir: next })}">${label}${mark}</a></th>`;
  }).join('');
  const body = rows.map((r) => {
    const broken = r.status !== 'ok' && r.status !== 'failed';
    const check = broken ? '' : `<input type="checkbox" name="run" value="${escapeHtml(r.id)}" aria-label="select ${escapeHtml(r.id)}">`;
    const commit = r.commit ? `<code title="${escapeHtml(r.commit)}">${escapeHtml(r.commit.slice(0, 8))}</code>${r.dirty ? '<span class="muted" title="uncommitted changes">+</span>' : ''}` : '';
    const f1 = r.headline ? `${r.headline.value.toFixed(3)} <span class="muted">${escapeHtml(r.headline.model)}, ${r.headline.split}</span>` : '';
    return `<tr data-run="${escapeHtml(r.id)}"><td>${check}</td><td><a href="/run/${encodeURIComponent(r.id)}">${escapeHtml(r.id)}</a></td><td>${escapeHtml(r.graph)}</td>`
      + `<td>${escapeHtml(r.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td class="num">${r.seconds === null ? '' : `${r.seconds.toFixed(1)} s`}</td>`
      + `<td class="status-${r.status}"${r.problem ? ` title="${escapeHtml(r.problem)}"` : ''}>${r.status}${r.problem ? ` <span class="muted">${escapeHtml(r.problem)}</span>` : ''}</td>`
      + `<td class="num">${r.ran}</td><td class="num">${r.cached}</td><td class="num">${f1}</td><td>${commit}</td></tr>`;
  }).join('\n');
  const pager = pages > 1
    ? `<p class="pager">${page > 1 ? `<a rel="prev" href="/${query({ ...keep, sort, dir, page: String(page - 1) })}">← newer</a>` : ''} page ${page} of ${pages} ${page < pages ? `<a rel="next" href="/${query({ ...keep, sort, dir, page: String(page + 1) })}">older →</a>` : ''}</p>`
    : '';
  const statuses = ['', 'ok', 'failed', 'running', 'corrupt', 'incomplete'].map((s) => `<option value="${s}"${s === (p.status ?? '') ? ' selected' : ''}>${s || 'any status'}</option>`).join('');
  const html = `<form class="filters" method="get" action="/">
<input type="search" name="q" value="${escapeHtml(p.q ?? '')}" placeholder="run, graph or commit"> <select name="status">${statuses}</select>
<input type="hidden" name="sort" value="${sort}"><input type="hidden" name="dir" value="${dir}"> <button>Filter</button>
<span class="muted" id="count">${matching} of ${total} runs</span>${indexing(index)}</form>
<form method="get" action="/compare" id="selection">
<p class="actions"><button type="submit">Compare selected</button> <button type="submit" formaction="/scans">Scans of selected</button> <span class="muted">select 2–50 runs</span></p>
<table class="runs"><thead><tr><th></th>${head}<th>commit</th></tr></thead><tbody>
${body}
</tbody></table></form>
${pager}`;
  return layout('Runs', html, 'Runs');
}

/** While the background index is still reading records: how far, since another sort or a filter waits for it. */
function indexing(index: RunIndex): string {
  const { read, of, done } = index.progress();
  return done ? '' : `<span class="muted" id="indexing">(reading records for other sorts and filters: ${read} of ${of})</span>`;
}

function compareBy(a: RunSummary, b: RunSummary, key: Key): number {
  switch (key) {
    case 'seconds': return (a.seconds ?? -1) - (b.seconds ?? -1);
    case 'ran': case 'cached': return a[key] - b[key];
    case 'headline': return (a.headline?.value ?? -1) - (b.headline?.value ?? -1);
    default: return byText(a[key], b[key]) || byText(a.started, b.started);
  }
}
