// A run in progress (no record yet, a live mark in <runs>/active): its DAG and a table of its
// nodes, each pending, cached, running (with the progress it last reported and the rows it has
// written so far), ran (with the rows it wrote per output) or failed, from
// the progress the engine keeps in the mark (engine/live-runs.ts). The page polls
// /run/ID/state every 2 s and updates in place; once the run is recorded (or its mark is gone)
// it reloads, to the run's report.
import type { ResolvedGraph } from '../../engine/report/run-data.js';
import type { LiveMark, NodeProgress } from '../../engine/live-runs.js';
import type { RunRecord } from '../../engine/runs.js';
import type { UiContext } from '../server/context.js';
import { dagFigure } from '../server/dag.js';
import { escapeHtml, layout } from '../server/layout.js';

export async function liveRunPage(ctx: UiContext, mark: LiveMark): Promise<string> {
  const state = liveState(mark, false);
  const poll = `data-poll="/run/${encodeURIComponent(mark.run)}/state" data-poll-until="settled"`;
  const facts = `<dl class="facts"><dt>status</dt><dd class="status-running">running</dd><dt>started</dt><dd>${escapeHtml(new Date(mark.startedAt).toISOString())}</dd>`
    + `<dt>where</dt><dd>${escapeHtml(`${mark.host}, pid ${mark.pid}`)}</dd></dl>`;
  const nodes = mark.progress?.nodes;
  if (!nodes) return layout(`Run ${mark.run}`, `${facts}<div ${poll}><p><b data-field="summary">${escapeHtml(state.summary as string)}</b></p></div>`);
  const { record, graph } = drawable(mark, nodes);
  const svg = await dagFigure(ctx, record, graph, { attrs: (id) => ({ 'data-live': String(state[`live:${id}`]) }), label: (id) => String(state[`dag:${id}`]) });
  const rows = Object.entries(nodes).map(([id, n]) => `<tr data-node="${escapeHtml(id)}"><td>${escapeHtml(id)}</td><td>${escapeHtml(n.kind)}</td><td data-field="node:${escapeHtml(id)}">${escapeHtml(String(state[`node:${id}`]))}</td></tr>`).join('');
  const body = `${facts}<div ${poll}><p><b data-field="summary">${escapeHtml(state.summary as string)}</b> <span class="muted">(updated every 2 s; grey: pending, amber: running, blue: ran, green: cached, red: failed)</span></p>${svg}`
    + `<table class="status"><thead><tr><th>node</th><th>kind</th><th>now</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return layout(`Run ${mark.run}`, body);
}

/** What a poll of a live run learns: per node its state in words (node:ID), in short for its DAG
 * box (dag:ID) and as the box's colour (live:ID), a summary, and whether the run has settled (recorded, or its mark gone). */
export function liveState(mark: LiveMark | undefined, recorded: boolean): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = { recorded, settled: recorded || !mark };
  const nodes = mark?.progress?.nodes;
  if (!nodes) {
    out.summary = mark ? 'planning…' : 'no longer running';
    return out;
  }
  const all = Object.values(nodes);
  for (const [id, n] of Object.entries(nodes)) {
    out[`node:${id}`] = words(n);
    out[`dag:${id}`] = n.state === 'running' && n.total !== undefined ? `running ${n.done}/${n.total}` : n.state;
    out[`live:${id}`] = n.state === 'running' ? 'computing' : n.state;
  }
  const count = (s: NodeProgress['state']) => all.filter((n) => n.state === s).length;
  out.summary = `${count('ran') + count('cached')} of ${all.length} nodes done (${count('ran')} ran, ${count('cached')} cached), ${count('running')} running, ${count('pending')} pending`
    + (count('failed') ? `, ${count('failed')} failed` : '');
  return out;
}

function words(n: NodeProgress): string {
  const rows = n.rows && typeof n.rows === 'object' ? Object.entries(n.rows).map(([port, r]) => `${r} ${port}`).join(', ') : '';
  if (n.state === 'ran' && rows) return `ran: ${rows}`;
  if (n.state !== 'running') return n.state;
  const at = n.total === undefined ? 'running' : `running: ${n.done} of ${n.total}${n.info ? ` (${n.info})` : ''}`;
  return rows ? `${at}; ${rows} so far` : at;
}

/** A record and resolved graph with just what the DAG drawing reads: kinds and edges. */
function drawable(mark: LiveMark, nodes: Record<string, NodeProgress>): { record: RunRecord; graph: ResolvedGraph } {
  const material = { kind: '', version: 0, impl: '', params: {}, inputs: {} };
  const record = {
    id: mark.run, graph: mark.progress!.graph, file: '', startedAt: new Date(mark.startedAt).toISOString(), finishedAt: '', status: 'ok', metrics: [],
    provenance: { git: { commit: null, dirty: null } },
    nodes: Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, { kind: n.kind, key: '', material: { ...material, kind: n.kind }, status: 'ran', reason: n.state }])),
  } as unknown as RunRecord;
  const graph: ResolvedGraph = {
    name: mark.progress!.graph, seed: 0, file: '',
    nodes: Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, { kind: n.kind, params: {}, in: Object.fromEntries(n.in.map((up, i) => [`in${i}`, `${up}.out`])), cache: true }])),
  };
  return { record, graph };
}
