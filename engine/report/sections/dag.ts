// The graph as it ran: nodes in rows by depth, coloured by what happened to them (ran,
// cached, failed …), with their times; a table below gives rows and the reason each node ran.
import { seconds } from '../../commands/common.js';
import type { NodeRecord } from '../../runs.js';
import { escapeHtml, table, type Section } from '../html.js';
import type { RunData } from '../run-data.js';

const W = 168, H = 50, GAP_X = 20, GAP_Y = 30, PAD = 8;

const FILL: Record<NodeRecord['status'], [string, string]> = {
  ran: ['#dce9f7', '#1d5fa8'],
  cached: ['#dff2e3', '#2b7a3d'],
  failed: ['#f9dedc', '#b3261e'],
  skipped: ['#f4f4f4', '#b3261e'],
  'not-needed': ['#f4f4f4', '#999999'],
};

export async function dagSection(data: RunData): Promise<Section> {
  const nodes = data.record.nodes;
  const ids = Object.keys(nodes);
  const inputsOf = (id: string) => Object.values(data.graph.nodes[id]?.in ?? {}).map((r) => r.slice(0, r.lastIndexOf('.'))).filter((n) => n in nodes);
  const depth = new Map<string, number>();
  for (const id of ids) depth.set(id, Math.max(-1, ...inputsOf(id).map((n) => depth.get(n) ?? 0)) + 1); // ids are in run order
  const rows: string[][] = [];
  for (const id of ids) (rows[depth.get(id)!] ??= []).push(id);
  // Top to bottom, one row per depth, each row centred: pipelines are deep rather than wide.
  const widest = Math.max(...rows.map((r) => r.length));
  const at = new Map<string, { x: number; y: number }>();
  rows.forEach((row, d) => row.forEach((id, i) => at.set(id, { x: PAD + ((widest - row.length) * (W + GAP_X)) / 2 + i * (W + GAP_X), y: PAD + d * (H + GAP_Y) })));
  const rightOf = (d: number) => at.get(rows[d][rows[d].length - 1])!.x + W;
  let lanes = 0, laneRight = 0;
  const edges = ids.flatMap((id) => [...new Set(inputsOf(id))].map((from) => {
    const a = at.get(from)!, b = at.get(id)!, da = depth.get(from)!, db = depth.get(id)!;
    const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y, my = (y1 + y2) / 2;
    let d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 4}`;
    if (db - da > 1) {
      // Past the rows between: down a lane right of them, so the line is not hidden by their boxes.
      const lane = Math.max(...rows.slice(da + 1, db).map((_, k) => rightOf(da + 1 + k))) + 12 + 8 * lanes++;
      laneRight = Math.max(laneRight, lane);
      d = `M${x1},${y1} L${x1},${y1 + GAP_Y / 2 - 4} L${lane},${y1 + GAP_Y / 2 - 4} L${lane},${y2 - GAP_Y / 2 + 4} L${x2},${y2 - GAP_Y / 2 + 4} L${x2},${y2 - 4}`;
    }
    return `<path d="${d}" fill="none" stroke="#888" stroke-width="1.2" marker-end="url(#arrow)"/>`;
  }));
  const width = Math.max(PAD * 2 + widest * (W + GAP_X) - GAP_X, laneRight + PAD);
  const height = PAD * 2 + rows.length * (H + GAP_Y) - GAP_Y;
  const boxes = ids.map((id) => {
    const n = nodes[id], { x, y } = at.get(id)!, [fill, stroke] = FILL[n.status];
    const dashed = data.graph.nodes[id]?.cache === false ? ' stroke-dasharray="4 3"' : '';
    const took = n.status === 'cached' ? data.computedMs(n.key) : undefined;
    const time = n.ms !== undefined ? ` ${seconds(n.ms)}` : took !== undefined ? ` (took ${seconds(took)})` : '';
    return `<g class="dag-node" data-node="${escapeHtml(id)}" data-status="${n.status}"><title>${escapeHtml(`${id} (${n.kind}): ${n.status} — ${n.reason}`)}</title>`
      + `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${dashed}/>`
      + `<text x="${x + 8}" y="${y + 18}" font-size="13" font-weight="600" fill="#222">${escapeHtml(clip(id, 22))}</text>`
      + `<text x="${x + 8}" y="${y + 34}" font-size="11" fill="#555">${escapeHtml(clip(n.kind, 26))}</text>`
      + `<text x="${x + 8}" y="${y + 46}" font-size="11" fill="${stroke}">${n.status}${time}</text></g>`;
  });
  const svg = `<svg class="dag" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`
    + `<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#888"/></marker></defs>`
    + edges.join('') + boxes.join('') + '</svg>';

  const listing = ids.map((id) => {
    const n = nodes[id];
    const counts = n.rows ?? (n.status === 'cached' ? data.storedRows(n.key) : undefined);
    const outRows = counts ? Object.entries(counts).map(([p, r]) => `${r} ${p}`).join(', ') : '';
    const took = n.status === 'cached' ? data.computedMs(n.key) : undefined;
    const time = n.ms !== undefined ? seconds(n.ms) : took !== undefined ? `<span class="muted">(${seconds(took)})</span>` : '';
    return [escapeHtml(id), escapeHtml(n.kind), `<span class="status-${n.status}">${n.status}</span>`, time, escapeHtml(outRows), escapeHtml(n.error ?? n.reason)];
  });
  const count = (s: string) => ids.filter((id) => nodes[id].status === s).length;
  return {
    id: 'dag',
    title: 'Graph',
    html: `<p>${count('ran')} ran, ${count('cached')} cached${count('failed') ? `, ${count('failed')} failed` : ''}${count('skipped') ? `, ${count('skipped')} skipped` : ''}. `
      + `Blue: ran; green: cache hit (in brackets: the time the run that computed it took); red: failed; dashed: not stored (<code>cache: false</code>).</p>`
      + `<figure>${svg}</figure>` + table(['node', 'kind', 'status', 'time', 'rows', 'why'], listing),
  };
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
