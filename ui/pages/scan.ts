// Scan detail: one scan across the selected runs — each model's probability, the lung-area curve
// with each run's chosen window, a strip of its slices (thumbnails from the cached source slices
// through an HU window; the first run's window marked) and the slices each sequence sampler drew.
import { Refused, type UiContext } from '../server/context.js';
import { chart, escapeHtml, layout, query } from '../server/layout.js';
import { runData } from '../server/run-data.js';
import { probColumns, scanSequences, scanWindows, type ScanDraws, type ScanWindow } from '../server/scan-data.js';
import { runLabels, selectedRuns, type Selection } from '../server/selection.js';
import { LUNG_WINDOW } from '../server/thumbs.js';

/** Thumbnails at most: evenly spaced over a long scan. */
const STRIP = 64;

export async function scanPage(ctx: UiContext, sel: Selection, scan: string | undefined, hu: { level?: string; width?: string }): Promise<string> {
  if (!scan) throw new Refused(400, 'name a scan: ?scan=ID');
  const runs = selectedRuns(ctx, sel, 1);
  const labels = runLabels(runs);
  const level = numberOr(hu.level, LUNG_WINDOW.level), width = Math.max(1, numberOr(hu.width, LUNG_WINDOW.width));
  const probRows: string[] = [];
  const windows: Shown[] = [];
  const sampled: { run: string; label: string; s: ScanDraws }[] = [];
  let facts = '';
  for (const [i, r] of runs.entries()) {
    const data = runData(ctx, r);
    if (!data) continue;
    for (const c of await probColumns(data)) {
      const p = c.probs.get(scan);
      if (!p) continue;
      facts ||= `<dl class="facts"><dt>split</dt><dd>${escapeHtml(p.split)}</dd><dt>label</dt><dd>${p.label === null ? 'unlabelled' : p.label === 1 ? 'positive' : 'negative'}</dd></dl>`;
      const right = p.label === null ? '' : (p.prob >= 0.5 ? 1 : 0) === p.label ? ' ✓' : ' ✗';
      probRows.push(`<tr><td>${escapeHtml(labels[i])}</td><td>${escapeHtml(c.model)}</td><td class="num" data-prob="${p.prob}">${p.prob.toFixed(3)}${right}</td></tr>`);
    }
    for (const w of await scanWindows(data, scan)) windows.push({ run: r.id, label: `${labels[i]} · ${w.node}`, w });
    for (const s of await scanSequences(data, scan)) sampled.push({ run: r.id, label: `${labels[i]} · ${s.node}`, s });
  }
  if (!probRows.length && !windows.length) throw new Refused(404, `no run of these has scan "${scan}"`);
  const probs = probRows.length ? `<h2>Probabilities</h2><table class="probs"><thead><tr><th>run</th><th>model</th><th class="num">p(positive)</th></tr></thead><tbody>${probRows.join('')}</tbody></table>` : '';
  const first = windows.find((x) => x.w.slices);
  const counts = new Map<number, number>();
  for (const d of sampled.find((x) => x.run === first?.run)?.s.draws ?? []) for (const i of new Set(d)) counts.set(i, (counts.get(i) ?? 0) + 1);
  const strip = first ? thumbStrip(sel, scan, first, level, width, counts) : '<p class="muted">No stored slices for this scan.</p>';
  return layout(`Scan ${scan}`, facts + probs + areaChart(windows) + `<h2>Slices</h2>` + strip + drawsTable(sampled));
}

function drawsTable(sampled: { label: string; s: ScanDraws }[]): string {
  if (!sampled.length) return '';
  const rows = sampled.flatMap(({ label, s }) => s.draws.map((d, k) => `<tr data-sampler="${escapeHtml(label)}"><td>${k === 0 ? escapeHtml(label) : ''}</td><td class="num">${k}</td><td>${d.join(', ')}</td></tr>`)).join('');
  return `<h2>Slices each model sampled</h2><p class="muted">Slice indices of each draw of the sequence samplers (the first run's counts are under its thumbnails).</p>`
    + `<table class="draws"><thead><tr><th>run · sampler</th><th class="num">draw</th><th>slices</th></tr></thead><tbody>${rows}</tbody></table>`;
}

interface Shown { run: string; label: string; w: ScanWindow }

function areaChart(windows: Shown[]): string {
  if (!windows.some((x) => x.w.areas.length)) return '';
  const rows = windows.flatMap(({ label, w }) => [
    { type: 'window', run: label, lo: w.start - 0.5, hi: w.end - 0.5 },
    ...w.areas.map((a) => ({ type: 'area', run: label, x: a.x, area: a.area })),
  ]);
  const list = windows.map(({ label, w }) => `${escapeHtml(label)}: [${w.start}, ${w.end}) of ${w.nSlices}`).join('; ');
  return `<h2>Lung area and windows</h2>` + chart({
    width: 640, height: 220, config: { font: 'system-ui, sans-serif', legend: { labelLimit: 360 } }, data: { values: rows },
    layer: [
      { transform: [{ filter: "datum.type === 'window'" }], mark: { type: 'rect', opacity: 0.18 }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, color: { field: 'run', type: 'nominal', title: 'run · window node' } } },
      { transform: [{ filter: "datum.type === 'area'" }], mark: { type: 'line' }, encoding: { x: { field: 'x', type: 'quantitative', title: 'slice (position in scan)' }, y: { field: 'area', type: 'quantitative', title: 'lung area (px)' }, color: { field: 'run', type: 'nominal' } } },
    ],
  }, `Lung area per slice; shaded: each run's chosen window [start, end). ${list}.`);
}

function thumbStrip(sel: Selection, scan: string, first: Shown, level: number, width: number, counts: Map<number, number>): string {
  const n = first.w.nSlices || first.w.areas.length;
  const picks = n <= STRIP ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: STRIP }, (_, i) => Math.round((i * (n - 1)) / (STRIP - 1)));
  const imgs = picks.map((i) => {
    const inWindow = i >= first.w.start && i < first.w.end;
    const src = `/thumb${query({ run: first.run, scan, i: String(i), level: String(level), width: String(width) })}`;
    return `<figure><img src="${escapeHtml(src)}" alt="slice ${i}" class="${inWindow ? 'in-window' : ''}" width="96" height="96" loading="lazy"><figcaption>${i}${counts.get(i) ? ` <span class="sampled" title="in ${counts.get(i)} draws">·${counts.get(i)}</span>` : ''}</figcaption></figure>`;
  }).join('');
  const presets: [string, number, number][] = [['lung', -600, 1500], ['mediastinum', 40, 400], ['bone', 400, 1800]];
  const links = presets.map(([name, l, w]) => `<a href="${escapeHtml(`/scan${query({ ...sel, scan, level: String(l), width: String(w) })}`)}">${name}</a>`).join(' · ');
  return `<p class="muted">${escapeHtml(first.label)}: slices of the stored source, HU window level ${level}, width ${width} (${links}); outlined: its window [${first.w.start}, ${first.w.end}).</p><div class="thumbs">${imgs}</div>`;
}

function numberOr(s: string | undefined, fallback: number): number {
  const n = Number(s);
  return s !== undefined && s !== '' && Number.isFinite(n) ? n : fallback;
}
