// Debug figure in the style of the paper's fig. 1, for one slice: a row of six panels — original
// (crop box in red), crop, filtered, mask, filled mask, lung (filled − mask) — as a PNG.
import { cropBox, cropPixels } from './crop.js';
import { fillHoles } from './fill.js';
import { LUNG_DEFAULTS, type LungOptions } from './lung-area.js';
import { rankFilter } from './rank-filter.js';
import { threshold } from './threshold.js';

export interface PanelOptions extends LungOptions {
  /** Side of each square panel in pixels. */
  panel: number;
  /** HU range shown from black to white. */
  window: [number, number];
}

type Rgb = [number, number, number];
interface Picture { h: number; w: number; color: (i: number) => Rgb }

const GAP = 4;

/** PNG of the six panels for an h×w int16 slice. */
export async function renderPanels(slice: Int16Array, h: number, w: number, options: Partial<PanelOptions> = {}): Promise<Buffer> {
  const o: PanelOptions = { ...LUNG_DEFAULTS, panel: 256, window: [-1000, 400], ...options };
  const box = cropBox(slice, h, w, o.air, o.margin);
  const ch = box.r1 - box.r0, cw = box.c1 - box.c0;
  const crop = cropPixels(slice, w, box);
  const filtered = o.size > 1 ? rankFilter(crop, ch, cw, o.size, o.filter, o.edge) : crop;
  const mask = threshold(filtered, o.t, o.op);
  const { filled } = fillHoles(mask, ch, cw);
  const [lo, hi] = o.window;
  const gray = (px: Int16Array) => (i: number): Rgb => {
    const v = Math.round(Math.min(1, Math.max(0, (px[i] - lo) / (hi - lo))) * 255);
    return [v, v, v];
  };
  const binary = (m: Uint8Array, on: Rgb) => (i: number): Rgb => (m[i] ? on : [0, 0, 0]);
  const white: Rgb = [255, 255, 255];
  const pictures: Picture[] = [
    { h, w, color: (i) => (onBoxEdge(i % w, Math.floor(i / w), box, Math.max(1, Math.ceil(Math.max(h, w) / o.panel))) ? [255, 40, 40] : gray(slice)(i)) },
    { h: ch, w: cw, color: gray(crop) },
    { h: ch, w: cw, color: gray(filtered) },
    { h: ch, w: cw, color: binary(mask, white) },
    { h: ch, w: cw, color: binary(filled, white) },
    { h: ch, w: cw, color: (i) => (filled[i] && !mask[i] ? [80, 220, 120] : [0, 0, 0]) },
  ];
  const P = o.panel, W = pictures.length * (P + GAP) - GAP;
  const out = Buffer.alloc(P * W * 3, 24);
  pictures.forEach((pic, k) => draw(out, W, k * (P + GAP), P, pic));
  const sharp = (await import('sharp')).default;
  return sharp(out, { raw: { width: W, height: P, channels: 3 } }).png().toBuffer();
}

function onBoxEdge(x: number, y: number, b: { r0: number; r1: number; c0: number; c1: number }, t: number): boolean {
  const inside = x >= b.c0 - t && x < b.c1 + t && y >= b.r0 - t && y < b.r1 + t;
  const core = x >= b.c0 && x < b.c1 && y >= b.r0 && y < b.r1;
  return inside && !core;
}

/** Nearest-neighbour fit of `pic` into the P×P square at column x0 of the RGB image `out`. */
function draw(out: Buffer, W: number, x0: number, P: number, pic: Picture): void {
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
