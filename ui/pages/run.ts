// Run: the run's report content (the sections of engine/report, drawn from the record, graph.json
// and the cache entries it names) under its facts, streamed a section at a time. A run without a readable record says why; one
// still being recorded polls /run/ID/state and reloads when its record lands; a run in progress
// (a live mark, no record yet) shows its nodes' progress (live-run.ts).
import { escapeHtml } from '../../engine/report/html.js';
import type { RunData } from '../../engine/report/run-data.js';
import { reportSections } from '../../engine/report/run-report.js';
import { Refused, type UiContext } from '../server/context.js';
import { layout, query } from '../server/layout.js';
import { FLUSH, streamedPage } from '../server/stream.js';
import { loadRunData } from '../server/run-data.js';
import type { RunSummary } from '../server/run-index.js';
import { liveRunPage, liveState } from './live-run.js';

/** The run's page: its report streamed section by section (each read from the cache as it is
 * sent), or, without a record, a page saying why (live while the run is in progress). */
export async function runPage(ctx: UiContext, id: string): Promise<string | Response> {
  const found = ctx.index.get(id);
  if (!found) return sweepEnded(ctx, id);
  const { summary, record } = found;
  const title = `Run ${id}`;
  if (!record && found.live) return liveRunPage(ctx, found.live);
  if (!record) {
    const live = summary.status === 'incomplete' ? ` data-poll="/run/${encodeURIComponent(id)}/state" data-poll-until="recorded"` : '';
    const graph = `<p>While it runs, <a href="/graph/${encodeURIComponent(summary.graph)}">graph ${escapeHtml(summary.graph)}</a> shows its nodes as they are computed.</p>`;
    return layout(title, `<p class="problem status-${summary.status}"${live}><b>${summary.status}</b>: ${escapeHtml(summary.problem ?? '')}</p>${summary.status === 'incomplete' ? graph : ''}`);
  }
  const sweep = record.sweep ? `<a href="/compare?sweep=${encodeURIComponent(record.sweep.id)}">${escapeHtml(record.sweep.id)}</a>, variant ${escapeHtml(record.sweep.variant)}, seed ${record.sweep.seed}` : undefined;
  const facts = factsOf(summary, sweep);
  let data: RunData;
  try {
    data = loadRunData(ctx, record);
  } catch (e) {
    return layout(title, facts + `<p class="problem">${escapeHtml((e as Error).message)}</p>`);
  }
  const links = `<p class="actions"><a href="/scans?run=${encodeURIComponent(id)}">Scans of this run</a> · <a href="/graph/${encodeURIComponent(record.graph)}">Graph ${escapeHtml(record.graph)} now</a></p>`;
  return streamedPage(title, (async function* () {
    yield facts + links;
    for (const make of await reportSections(data)) {
      yield FLUSH;
      try {
        const s = await make(data);
        if (s) yield `<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>${s.html}</section>\n`;
      } catch (e) {
        yield `<section class="problem"><h2>${escapeHtml(make.name.replace(/Section$/, ''))}</h2><p>could not be drawn: ${escapeHtml((e as Error).message)}</p></section>\n`;
      }
    }
  })(), { charts: true });
}

/** A sweep is live under its own id, but recorded as one run per variant: once it ends, its page
 * (reloaded by the live page) links them. Any other unknown id is refused. */
function sweepEnded(ctx: UiContext, id: string): string {
  const sweep = ctx.index.sweep(id);
  if (!sweep || sweep.problem) throw new Refused(404, `no run "${id}" in ${ctx.runsDir}`);
  const runs = sweep.runs.map((r) => `<li><a href="/run/${encodeURIComponent(r)}">${escapeHtml(r)}</a></li>`).join('');
  return layout(`Sweep ${id}`, `<p>This sweep of <code>${escapeHtml(sweep.file)}</code> has ended; its ${sweep.runs.length} runs: <a href="${escapeHtml(`/compare${query({ sweep: id })}`)}">compare its variants</a> · <a href="${escapeHtml(`/scans${query({ sweep: id })}`)}">scans</a></p><ul>${runs}</ul>`);
}

/** The run's facts; `sweep` is HTML. */
function factsOf(s: RunSummary, sweep: string | undefined): string {
  const rows: [string, string][] = [
    ['graph', s.graph], ['status', s.status], ['started', s.started], ['took', s.seconds === null ? '' : `${s.seconds.toFixed(1)} s`],
    ['nodes', `${s.ran} ran, ${s.cached} cached`], ['code', s.commit ? `${s.commit.slice(0, 12)}${s.dirty ? ' (with uncommitted changes)' : ''}` : 'not a git checkout'],
    ...(sweep ? [['sweep', sweep] as [string, string]] : []),
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${k === 'sweep' ? v : escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** What a poll of an unrecorded run learns: whether its record is readable yet, and while it
 * runs, its nodes' states. */
export function runState(ctx: UiContext, id: string): Record<string, string | boolean> {
  const found = ctx.index.get(id);
  const recorded = found?.record !== undefined;
  if (!found) return liveState(undefined, false); // a mark gone with no record: settled
  return { ...liveState(found.live, recorded), status: found.summary.status, ...(found.summary.problem ? { problem: found.summary.problem } : {}) };
}
