// Graphs: each graph name with a recorded run; a graph's page plans its file (the file its latest
// run names) against the cache without running it: the DAG, and per node whether it would run and
// the first reason (as `ctflow status`), or that a process holds its lease and is computing it
// now. The page polls its state every 2 s, so a run in progress elsewhere shows as it goes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../engine/plan.js';
import type { ResolvedGraph } from '../../engine/report/run-data.js';
import { dagSection } from '../../engine/report/sections/dag.js';
import { isRunId, latestRun, type RunRecord } from '../../engine/runs.js';
import { resolved, Session } from '../../engine/session.js';
import type { Graph } from '../../engine/validate.js';
import { Refused, type UiContext } from '../server/context.js';
import { escapeHtml, layout } from '../server/layout.js';
import { indexedRunData } from '../server/run-data.js';

export async function graphsPage(ctx: UiContext): Promise<string> {
  const latest = new Map<string, { run: string; started: string }>();
  for (const r of await ctx.index.list()) if (r.started && !latest.has(r.graph)) latest.set(r.graph, { run: r.id, started: r.started });
  const rows = [...latest].sort(([a], [b]) => a.localeCompare(b)).map(([g, l]) => `<tr><td><a href="/graph/${encodeURIComponent(g)}">${escapeHtml(g)}</a></td><td><a href="/run/${encodeURIComponent(l.run)}">${escapeHtml(l.run)}</a></td><td>${escapeHtml(l.started)}</td></tr>`).join('');
  return layout('Graphs', `<table><thead><tr><th>graph</th><th>latest run</th><th>started</th></tr></thead><tbody>${rows}</tbody></table>`, 'Graphs');
}

interface Planned { record: RunRecord; graph: Graph; plan: Plan }

async function planOf(ctx: UiContext, name: string): Promise<Planned> {
  if (!isRunId(name)) throw new Refused(400, `"${name}" is not a graph name`);
  const record = latestRun(ctx.runsDir, name);
  if (!record) throw new Refused(404, `graph "${name}" has no readable latest run in ${ctx.runsDir}`);
  if (!existsSync(record.file)) throw new Refused(404, `graph "${name}": its file ${record.file} (named by run ${record.id}) is gone`);
  const session = new Session({ runsDir: ctx.runsDir, registry: ctx.registry });
  const { graph, issues } = session.load(record.file);
  if (!graph) throw new Refused(400, `${record.file} does not load now: ${issues.map((i) => `${i.line}:${i.col} ${i.message}`).join('; ')}`);
  return { record, graph, plan: await session.plan(graph) };
}

/** What each node would do now: "cached", "would run: <reason>" or "computing now (host pid N)". */
function nodeStates(ctx: UiContext, { graph, plan }: Planned): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of graph.order) {
    const p = plan.nodes.get(id)!;
    const lease = leaseOf(ctx, p.key);
    out[`node:${id}`] = !p.runs ? 'cached' : lease ? `computing now (${lease})` : `would run: ${p.reason}`;
  }
  const n = graph.order.filter((id) => plan.nodes.get(id)!.runs).length;
  out.summary = n ? `${n} of ${graph.order.length} nodes would run` : `all ${graph.order.length} nodes are cached: nothing would run`;
  return out;
}

function leaseOf(ctx: UiContext, key: string): string | undefined {
  try {
    const info = JSON.parse(readFileSync(join(ctx.store.cacheDir, 'leases', `${key}.lease`), 'utf8')) as { host: string; pid: number; expires: number };
    return info.expires > Date.now() ? `${info.host} pid ${info.pid}` : undefined;
  } catch {
    return undefined;
  }
}

export async function graphPage(ctx: UiContext, name: string): Promise<string> {
  const planned = await planOf(ctx, name);
  const { record, graph, plan } = planned;
  const states = nodeStates(ctx, planned);
  const nodes: RunRecord['nodes'] = {};
  for (const id of graph.order) {
    const p = plan.nodes.get(id)!;
    nodes[id] = { kind: p.node.kind, key: p.key, material: p.material, status: p.runs ? 'ran' : 'cached', reason: p.reason };
  }
  const data = indexedRunData(ctx, { ...record, nodes }, resolved(graph) as ResolvedGraph);
  const svg = ((await dagSection(data)).html.match(/<figure>[\s\S]*?<\/figure>/)?.[0] ?? '').replace(/>ran<\/text>/g, '>would run</text>');
  const rows = graph.order.map((id) => `<tr data-node="${escapeHtml(id)}"><td>${escapeHtml(id)}</td><td>${escapeHtml(plan.nodes.get(id)!.node.kind)}</td><td data-field="node:${escapeHtml(id)}">${escapeHtml(states[`node:${id}`])}</td></tr>`).join('');
  const body = `<p><code>${escapeHtml(record.file)}</code> (the file of run <a href="/run/${encodeURIComponent(record.id)}">${escapeHtml(record.id)}</a>), planned against the cache now, without running. Blue: would run; green: cached.</p>
<div data-poll="/graph/${encodeURIComponent(name)}/state"><p><b data-field="summary">${escapeHtml(states.summary)}</b> <span class="muted">(updated every 2 s)</span></p>${svg}
<table class="status"><thead><tr><th>node</th><th>kind</th><th>now</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return layout(`Graph ${name}`, body, 'Graphs');
}

export async function graphState(ctx: UiContext, name: string): Promise<Record<string, string>> {
  return nodeStates(ctx, await planOf(ctx, name));
}
