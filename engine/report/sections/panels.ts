// Fig. 1-style panels for a few sample slices: for a window node fed by the lung chain
// (cropper → median-filter? → threshold → binary-dilation → area-window), the original slice of
// a positive and a negative scan at the middle of its chosen window, rendered with the chain's
// own params: original (crop box red), crop, filtered, mask, filled mask, lung.
import type { RecordBatch } from '../../arrow.js';
import { escapeHtml, figure, type Section } from '../html.js';
import type { PortRef, RunData } from '../run-data.js';
import { labelName, windowNodes } from './lung-area.js';

/** Windows looked at to find a positive and a negative scan; panels drawn. */
const LOOK = 12, SHOWN = 3, PANEL = 150;
const CAPTIONS = ['original (crop box red)', 'crop', 'filtered', 'mask', 'filled mask', 'lung = filled − mask'];

interface Chain { source: PortRef; options: Record<string, unknown> }

/** The stored slices the chain starts from and its params, or undefined for any other shape. */
function chainOf(data: RunData, areas: PortRef): Chain | undefined {
  const kind = (id: string) => data.record.nodes[id]?.kind;
  const params = (id: string) => data.graph.nodes[id]?.params ?? {};
  if (kind(areas.node) !== 'binary-dilation') return undefined;
  const mask = data.input(areas.node, 'masks');
  if (!mask || kind(mask.node) !== 'threshold') return undefined;
  let up = data.input(mask.node, 'slices');
  const filter = up && kind(up.node) === 'median-filter' ? params(up.node) : { size: 1 };
  if (up && kind(up.node) === 'median-filter') up = data.input(up.node, 'slices');
  if (!up || kind(up.node) !== 'cropper') return undefined;
  const source = data.input(up.node, 'slices');
  if (!source || data.typeOf(source) !== 'slices' || !data.stored(source)) return undefined;
  return { source, options: { ...params(up.node), ...filter, ...params(mask.node) } };
}

export async function panelsSection(data: RunData): Promise<Section | undefined> {
  const found = windowNodes(data).map(([w, a]) => ({ w, chain: chainOf(data, a) })).find((x) => x.chain);
  if (!found) return undefined;
  const { w, chain } = found as { w: PortRef; chain: Chain };
  const windows: { batch: number; scan: string; label: unknown; split: unknown; start: number; end: number }[] = [];
  await data.batches(w, (b, batch) => {
    for (let i = 0; i < b.numRows; i++) {
      windows.push({ batch, scan: String(b.getChild('scan_id')!.get(i)), label: b.getChild('label')!.get(i), split: b.getChild('split')!.get(i), start: b.getChild('start')!.get(i), end: b.getChild('end')!.get(i) });
    }
  }, 0, LOOK);
  const picks = [windows.find((x) => x.label === 1), windows.find((x) => x.label === 0)].filter((x) => x !== undefined);
  for (const x of windows) if (picks.length < SHOWN && !picks.includes(x)) picks.push(x);
  const { renderPanels } = await import('../../../nodes/kernels/lung/panels.js');
  const { images } = await import('../../../nodes/kernels/lung/batch.js');
  const figures: string[] = [];
  for (const pick of picks) {
    let batch: RecordBatch | undefined;
    await data.batches(chain.source, (b) => { batch = b; }, pick.batch, pick.batch + 1);
    if (!batch || String(batch.getChild('scan_id')!.get(0)) !== pick.scan) continue; // not one batch per scan in step with the windows
    const index = Array.from(batch.getChild('slice_index')!, Number);
    const order = index.map((_, i) => i).sort((a, b) => index[a] - index[b]);
    const at = order[Math.floor((pick.start + pick.end - 1) / 2)];
    if (at === undefined) continue;
    const img = images(batch, 'pixels', `report of "${data.record.id}"`)[at];
    const png = await renderPanels(img.data, img.h, img.w, { ...chain.options, panel: PANEL });
    const caption = `Scan ${escapeHtml(pick.scan)} (${labelName(pick.label)}, ${escapeHtml(String(pick.split))}), slice ${index[at]}: the middle of its window [${pick.start}, ${pick.end}). Panels: ${CAPTIONS.join(' · ')}.`;
    figures.push(figure(`<img alt="${escapeHtml(`panels of scan ${pick.scan}`)}" src="data:image/png;base64,${png.toString('base64')}">`, caption));
  }
  if (!figures.length) return undefined;
  const opts = Object.entries(chain.options).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
  return {
    id: 'panels',
    title: 'Sample slices (Fig. 1)',
    html: `<p>Slices of <code>${escapeHtml(chain.source.node)}</code> through the lung-area chain of <code>${escapeHtml(w.node)}</code>, with its params (${escapeHtml(opts)}).</p>${figures.join('')}`,
  };
}
