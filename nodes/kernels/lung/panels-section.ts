// The report section "Sample slices (Fig. 1)", declared by area-window: for a window node whose
// areas come down a chain of kinds that draw panels (cropper → median-filter → threshold →
// binary-dilation, whatever they are called), the original slice of a positive and a negative
// scan at the middle of its chosen window, drawn by each node of the chain with its own params.
import type { RecordBatch } from '../../../engine/arrow.js';
import { loadExport } from '../../../engine/lazy.js';
import { panelChain, type Chain } from '../../../engine/report/chain.js';
import { escapeHtml, figure, type Section } from '../../../engine/report/html.js';
import type { PortRef, RunData } from '../../../engine/report/run-data.js';
import { Slices } from '../../tables.js';
import { labelName, windowNodes } from './area-section.js';
import { images } from './batch.js';
import { panelRow, type Panel, type PanelStep, type PanelView, type Picture } from './panels.js';

/** Windows looked at to find a positive and a negative scan; panels drawn. */
const LOOK = 12, SHOWN = 3;
const VIEW: PanelView = { panel: 150, window: [-1000, 400] };

/** The first window node whose areas come from stored slices through at least one drawing node. */
function findChain(data: RunData): { w: PortRef; chain: Chain } | undefined {
  for (const [w, areas] of windowNodes(data)) {
    const chain = panelChain(data, areas);
    if (chain?.steps.length && data.typeOf(chain.source) === Slices.name && data.stored(chain.source)) return { w, chain };
  }
  return undefined;
}

export async function panelsSection(data: RunData): Promise<Section | undefined> {
  const found = findChain(data);
  if (!found) return undefined;
  const { w, chain } = found;
  const windows: { batch: number; scan: string; label: unknown; split: unknown; start: number; end: number }[] = [];
  await data.batches(w, (b, batch) => {
    for (let i = 0; i < b.numRows; i++) {
      windows.push({ batch, scan: String(b.getChild('scan_id')!.get(i)), label: b.getChild('label')!.get(i), split: b.getChild('split')!.get(i), start: b.getChild('start')!.get(i), end: b.getChild('end')!.get(i) });
    }
  }, 0, LOOK);
  const picks = [windows.find((x) => x.label === 1), windows.find((x) => x.label === 0)].filter((x) => x !== undefined);
  for (const x of windows) if (picks.length < SHOWN && !picks.includes(x)) picks.push(x);
  const steps = await Promise.all(chain.steps.map(async (s) => ({ ...s, draw: await loadExport<PanelStep>(s.draw) })));
  const figures: string[] = [];
  for (const pick of picks) {
    let batch: RecordBatch | undefined;
    await data.batches(chain.source, (b) => { batch = b; }, pick.batch, pick.batch + 1);
    if (!batch || String(batch.getChild('scan_id')!.get(0)) !== pick.scan) continue; // not one batch per scan in step with the windows
    const index = Array.from(batch.getChild('slice_index')!, Number);
    const order = index.map((_, i) => i).sort((a, b) => index[a] - index[b]);
    const at = order[Math.floor((pick.start + pick.end - 1) / 2)];
    if (at === undefined) continue;
    const panels: Panel[] = [];
    let picture: Picture = images(batch, 'pixels', `report of "${data.record.id}"`)[at];
    for (const s of steps) {
      const drawn = s.draw(picture, s.params, VIEW);
      panels.push(...drawn.panels);
      picture = drawn.out;
    }
    const png = await panelRow(panels, VIEW.panel);
    const caption = `Scan ${escapeHtml(pick.scan)} (${labelName(pick.label)}, ${escapeHtml(String(pick.split))}), slice ${index[at]}: the middle of its window [${pick.start}, ${pick.end}). Panels: ${escapeHtml(panels.map((p) => p.caption).join(' · '))}.`;
    figures.push(figure(`<img alt="${escapeHtml(`panels of scan ${pick.scan}`)}" src="data:image/png;base64,${png.toString('base64')}">`, caption));
  }
  if (!figures.length) return undefined;
  const nodes = chain.steps.map((s) => `<code>${escapeHtml(s.node)}</code> (${escapeHtml(Object.entries(s.params).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ') || 'no params')})`);
  return {
    id: 'panels',
    title: 'Sample slices (Fig. 1)',
    html: `<p>Slices of <code>${escapeHtml(chain.source.node)}</code> through the lung-area chain of <code>${escapeHtml(w.node)}</code>: ${nodes.join(' → ')}.</p>${figures.join('')}`,
  };
}
