// The report section "Lung area and chosen window", declared by area-window: for each `windows`
// output computed from a stored `areas` input, the areas of the first scans by slice position,
// the chosen window shaded.
import { escapeHtml, figure, type Section } from '../../../engine/report/html.js';
import type { PortRef, Row, RunData } from '../../../engine/report/run-data.js';
import { areaSpec } from '../../../engine/report/specs.js';
import { toSvg } from '../../../engine/report/vega.js';
import { Areas, Windows } from '../../tables.js';

/** Scans shown per window node (their batches are read; the rest are not). */
const SCANS = 8;

/** The window nodes whose areas input is stored: [window output, areas output]. */
export function windowNodes(data: RunData): [PortRef, PortRef][] {
  return data.outputsOfType(Windows.name).flatMap((w): [PortRef, PortRef][] => {
    const areas = data.input(w.node, 'areas');
    return areas && data.typeOf(areas) === Areas.name && data.stored(areas) && data.stored(w) ? [[w, areas]] : [];
  });
}

export async function lungAreaSection(data: RunData): Promise<Section | undefined> {
  const figures: string[] = [];
  for (const [w, a] of windowNodes(data)) {
    const windows = (await data.rows(w, ['scan_id', 'label', 'split', 'n_slices', 'start', 'end'], SCANS)) ?? [];
    const areas = (await data.rows(a, ['scan_id', 'slice_index', 'area'], SCANS)) ?? [];
    const names = new Map(windows.map((r) => [r.scan_id, `${r.scan_id} (${labelName(r.label)}, ${r.split})`]));
    const rows: Row[] = windows.map((r) => ({ type: 'window', scan: names.get(r.scan_id), lo: Number(r.start) - 0.5, hi: Number(r.end) - 0.5 }));
    const byScan = new Map<unknown, Row[]>();
    for (const r of areas) if (names.has(r.scan_id)) (byScan.get(r.scan_id) ?? byScan.set(r.scan_id, []).get(r.scan_id)!).push(r);
    for (const [scan, rs] of byScan) {
      rs.sort((x, y) => Number(x.slice_index) - Number(y.slice_index));
      rs.forEach((r, x) => rows.push({ type: 'area', scan: names.get(scan), x, area: r.area }));
    }
    if (!byScan.size) continue;
    const params = data.graph.nodes[w.node]?.params ?? {};
    const how = Object.entries(params).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
    figures.push(`<h3>${escapeHtml(w.node)} <span class="muted">(${escapeHtml(how)}; areas from ${escapeHtml(`${a.node}.${a.port}`)})</span></h3>`
      + figure(await toSvg(areaSpec(rows, [...byScan.keys()].map((s) => names.get(s) as string))), `Lung area per slice of the first ${byScan.size} scans; shaded: the chosen window [start, end).`));
  }
  if (!figures.length) return undefined;
  return { id: 'lung-area', title: 'Lung area and chosen window', html: figures.join('') };
}

export function labelName(label: unknown): string {
  return label === 1 ? 'positive' : label === 0 ? 'negative' : 'unlabelled';
}
