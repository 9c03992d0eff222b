// Debug figure in the style of the paper's fig. 1, for one slice: a row of panels — original
// (crop box in red), crop, filtered, mask, filled mask, lung (filled − mask) — as a PNG. Each lung
// kind draws its own panels (its `report.panel`): a step takes the picture upstream and the node's
// params, and gives its panels and the picture it passes on; a report composes the steps of the
// chain the graph has, and renderPanels composes all four with one set of options.
import type { Image } from './batch.js';
import { cropBox, cropPixels } from './crop.js';
import { fillHoles } from './fill.js';
import { LUNG_DEFAULTS, type LungOptions } from './lung-area.js';
import { rankFilter } from './rank-filter.js';
import { threshold } from './threshold.js';

/** How panels are drawn: the side of each square panel, and the HU range shown black to white. */
export interface PanelView {
  panel: number;
  window: [number, number];
}

export interface PanelOptions extends LungOptions, PanelView {}

type Rgb = [number, number, number];
/** One panel: an h×w picture (colour of pixel i, row-major) and its caption. */
export interface Panel { h: number; w: number; caption: string; color: (i: number) => Rgb }
/** What flows down the chain: an int16 HU slice or a 0/1 mask. */
export type Picture = Image<Int16Array | Uint8Array>;
/** One kind's part: its panels for `input` drawn with the node's params, and the picture it passes on. */
export type PanelStep = (input: Picture, params: Record<string, unknown>, view: PanelView) => { panels: Panel[]; out: Picture };

const GAP = 4;
const WHITE: Rgb = [255, 255, 255], BLACK: Rgb = [0, 0, 0], RED: Rgb = [255, 40, 40], GREEN: Rgb = [80, 220, 120];
const options = (params: Record<string, unknown>): LungOptions => ({ ...LUNG_DEFAULTS, ...params });
const gray = (px: Int16Array | Uint8Array, [lo, hi]: [number, number]) => (i: number): Rgb => {
  const v = Math.round(Math.min(1, Math.max(0, (px[i] - lo) / (hi - lo))) * 255);
  return [v, v, v];
};
const binary = (m: Uint8Array) => (i: number): Rgb => (m[i] ? WHITE : BLACK);

/** cropper: the original slice with its crop box in red, and the crop. */
export const cropPanels: PanelStep = ({ h, w, data }, params, view) => {
  const o = options(params);
  const box = cropBox(data as Int16Array, h, w, o.air, o.margin);
  const crop = { h: box.r1 - box.r0, w: box.c1 - box.c0, data: cropPixels(data as Int16Array, w, box) };
  const edge = Math.max(1, Math.ceil(Math.max(h, w) / view.panel));
  const original = gray(data, view.window);
  return {
    panels: [
      { h, w, caption: 'original (crop box red)', color: (i) => (onBoxEdge(i % w, Math.floor(i / w), box, edge) ? RED : original(i)) },
      { ...crop, caption: 'crop', color: gray(crop.data, view.window) },
    ],
    out: crop,
  };
};

/** median-filter: the filtered slice. */
export const filterPanels: PanelStep = ({ h, w, data }, params, view) => {
  const o = options(params);
  const filtered = o.size > 1 ? rankFilter(data as Int16Array, h, w, o.size, o.filter, o.edge) : data;
  return { panels: [{ h, w, caption: 'filtered', color: gray(filtered, view.window) }], out: { h, w, data: filtered } };
};

/** threshold: the tissue mask. */
export const thresholdPanels: PanelStep = ({ h, w, data }, params) => {
  const o = options(params);
  const mask = threshold(data as Int16Array, o.t, o.op);
  return { panels: [{ h, w, caption: 'mask', color: binary(mask) }], out: { h, w, data: mask } };
};

/** binary-dilation: the filled mask, and the lung (filled − mask) in green. */
export const fillPanels: PanelStep = ({ h, w, data }) => {
  const mask = data as Uint8Array;
  const { filled } = fillHoles(mask, h, w);
  return {
    panels: [
      { h, w, caption: 'filled mask', color: binary(filled) },
      { h, w, caption: 'lung = filled − mask', color: (i) => (filled[i] && !mask[i] ? GREEN : BLACK) },
    ],
    out: { h, w, data: filled },
  };
};

/** PNG of the six panels for an h×w int16 slice: the whole chain, drawn with one set of options. */
export async function renderPanels(slice: Int16Array, h: number, w: number, opts: Partial<PanelOptions> = {}): Promise<Buffer> {
  const o: PanelOptions = { ...LUNG_DEFAULTS, panel: 256, window: [-1000, 400], ...opts };
  const panels: Panel[] = [];
  let picture: Picture = { h, w, data: slice };
  for (const step of [cropPanels, filterPanels, thresholdPanels, fillPanels]) {
    const drawn = step(picture, { ...o }, o);
    panels.push(...drawn.panels);
    picture = drawn.out;
  }
  return panelRow(panels, o.panel);
}

/** PNG of `panels` side by side, each fitted into a square of side `P`. */
export async function panelRow(panels: Panel[], P: number): Promise<Buffer> {
  const W = panels.length * (P + GAP) - GAP;
  const out = Buffer.alloc(P * W * 3, 24);
  panels.forEach((pic, k) => draw(out, W, k * (P + GAP), P, pic));
  const sharp = (await import('sharp')).default;
  return sharp(out, { raw: { width: W, height: P, channels: 3 } }).png().toBuffer();
}

function onBoxEdge(x: number, y: number, b: { r0: number; r1: number; c0: number; c1: number }, t: number): boolean {
  const inside = x >= b.c0 - t && x < b.c1 + t && y >= b.r0 - t && y < b.r1 + t;
  const core = x >= b.c0 && x < b.c1 && y >= b.r0 && y < b.r1;
  return inside && !core;
}

/** Nearest-neighbour fit of `pic` into the P×P square at column x0 of the RGB image `out`. */
function draw(out: Buffer, W: number, x0: number, P: number, pic: Panel): void {
  const scale = Math.min(P / pic.h, P / pic.w);
  const dh = Math.max(1, Math.round(pic.h * scale)), dw = Math.max(1, Math.round(pic.w * scale));
  const oy = (P - dh) >> 1, ox = x0 + ((P - dw) >> 1);
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(pic.h - 1, Math.floor(y / scale));
    for (let x = 0; x < dw; x++) {
      const rgb = pic.color(sy * pic.w + Math.min(pic.w - 1, Math.floor(x / scale)));
      out.set(rgb, ((oy + y) * W + ox + x) * 3);
    }
  }
}
