// Slow, obviously correct versions of the lung kernels, for the tests to compare against.
import { rngFrom } from '../../../engine/rng.js';

export type Edge = 'reflect' | 'replicate';

/** scipy.ndimage's border modes, written from their definitions. */
export function pad(i: number, n: number, edge: Edge): number {
  if (edge === 'replicate') return Math.min(n - 1, Math.max(0, i));
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;   // mirror about the edge (edge pixel repeated)
  return i;
}

/** Sort-based rank filter: the median or the minimum of each padded window. */
export function filter(src: Int16Array, h: number, w: number, k: number, rank: 'median' | 'minimum', edge: Edge): Int16Array {
  const r = (k - 1) / 2, out = new Int16Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const win: number[] = [];
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) win.push(src[pad(y + dy, h, edge) * w + pad(x + dx, w, edge)]);
      win.sort((a, b) => a - b);
      out[y * w + x] = rank === 'median' ? win[(win.length - 1) / 2] : win[0];
    }
  }
  return out;
}

/** 4-connected components by breadth-first search; labels in raster order of first pixel. */
export function components(on: (i: number) => boolean, h: number, w: number): Int32Array {
  const lab = new Int32Array(h * w);
  let next = 0;
  for (let s = 0; s < h * w; s++) {
    if (!on(s) || lab[s]) continue;
    lab[s] = ++next;
    const queue = [s];
    while (queue.length) {
      const p = queue.pop()!, y = Math.floor(p / w), x = p % w;
      for (const [yy, xx] of [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]]) {
        const q = yy * w + xx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w && on(q) && !lab[q]) { lab[q] = next; queue.push(q); }
      }
    }
  }
  return lab;
}

/** Bounding box [r0, r1, c0, c1] of the largest component (first label on ties), or null. */
export function largestBox(img: Int16Array, h: number, w: number, air: number): number[] | null {
  const lab = components((i) => img[i] > air, h, w);
  const size = new Map<number, number>();
  lab.forEach((l) => l && size.set(l, (size.get(l) ?? 0) + 1));
  let best = 0;
  for (const [l, n] of size) if (!best || n > size.get(best)! || (n === size.get(best)! && l < best)) best = l;
  if (!best) return null;
  let r0 = h, r1 = 0, c0 = w, c1 = 0;
  lab.forEach((l, i) => {
    if (l !== best) return;
    const y = Math.floor(i / w), x = i % w;
    r0 = Math.min(r0, y); r1 = Math.max(r1, y + 1); c0 = Math.min(c0, x); c1 = Math.max(c1, x + 1);
  });
  return [r0, r1, c0, c1];
}

/** Fill holes by flooding the background from the border. */
export function fill(mask: Uint8Array, h: number, w: number): Uint8Array {
  const lab = components((i) => !mask[i], h, w);
  const outside = new Set<number>();
  lab.forEach((l, i) => {
    const y = Math.floor(i / w), x = i % w;
    if (l && (y === 0 || x === 0 || y === h - 1 || x === w - 1)) outside.add(l);
  });
  return Uint8Array.from(mask, (m, i) => (m || !outside.has(lab[i]) ? 1 : 0));
}

/**
 * Random int16 image: 1–3 "bodies" (+40 HU) on air (−1000), each with up to 3 "lungs" (−850)
 * inside, Gaussian-ish noise, rare large outliers and pixels at exactly −400.
 */
export function randomSlice(seed: string, h: number, w: number): Int16Array {
  const rng = rngFrom(seed), img = new Int16Array(h * w);
  const blobs: { y: number; x: number; ry: number; rx: number; v: number }[] = [];
  for (let b = 0, nb = 1 + Math.floor(rng() * 3); b < nb; b++) {
    const body = { y: rng() * h, x: rng() * w, ry: 2 + (rng() * h) / 2, rx: 2 + (rng() * w) / 2, v: 40 };
    blobs.push(body);
    for (let l = 0, nl = Math.floor(rng() * 4); l < nl; l++) {
      const f = 0.2 + rng() * 0.4;
      blobs.push({ y: body.y + (rng() - 0.5) * body.ry, x: body.x + (rng() - 0.5) * body.rx, ry: f * body.ry, rx: f * body.rx, v: -850 });
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = -1000;
      for (const b of blobs) if (((y - b.y) / b.ry) ** 2 + ((x - b.x) / b.rx) ** 2 <= 1) v = b.v;
      const u = rng();
      img[y * w + x] = u < 0.02 ? -400 : Math.round(v + (rng() - 0.5) * (u < 0.06 ? 1200 : 90));
    }
  }
  return img;
}
