// Bronchovascular trees: each lung's volume is sampled with points, then split recursively
// (space colonisation, coarsely): a branch runs toward the centroid of the points it supplies.
// Pulmonary arteries travel with the bronchi (the bronchus beside each of the first
// generations); veins form a second tree draining toward the left atrium.
import type { Rng } from '../../../engine/rng.js';
import { uniform } from './math.js';
import type { Patient, Segment } from './patient.js';
import { only, type Raster } from './raster.js';
import { cavityAt, insideLung, spineAt, tracheaAt } from './sections.js';
import { T } from './tissues.js';

type P3 = [number, number, number];

/** Points sampled uniformly in one lung, x y z interleaved. */
function lungCloud(rng: Rng, p: Patient, side: -1 | 1, m: number): Float64Array {
  const c = cavityAt(p, 0.7 * p.L);
  const pts = new Float64Array(3 * m);
  let k = 0;
  for (let tries = 0; tries < m * 60 && k < m; tries++) {
    const z = uniform(rng, 0.02, 1) * p.L;
    const x = c.x + side * uniform(rng, 0, 1.1) * c.rx;
    const y = uniform(rng, c.y - 1.1 * c.ryA, c.y + 1.1 * c.ryP);
    if (insideLung(p, x, y, z, side)) { pts[3 * k] = x; pts[3 * k + 1] = y; pts[3 * k + 2] = z; k++; }
  }
  return pts.subarray(0, 3 * k);
}

/** Reorder positions [lo, hi) of idx/key so that position k holds the k-th smallest key (quickselect). */
function select(idx: Int32Array, key: Float64Array, lo: number, hi: number, k: number): void {
  hi -= 1;
  while (hi > lo) {
    const pivot = key[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (key[i] < pivot) i++;
      while (key[j] > pivot) j--;
      if (i <= j) {
        const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        const u = key[i]; key[i] = key[j]; key[j] = u;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The points of a lung and scratch space to split them recursively. */
interface Cloud { pts: Float64Array; idx: Int32Array; key: Float64Array }

/**
 * Branch from `from` toward the points idx[lo, hi): split them into 2 (3 at the hilum) equal groups
 * along the widest of three random directions; each group gets a branch toward its centroid.
 */
function grow(rng: Rng, cl: Cloud, lo: number, hi: number, from: P3, r: number, gen: number, maxGen: number, out: Segment[], gens: number[]): void {
  if (gen > maxGen || hi - lo < 2) return;
  const { pts, idx, key } = cl;
  let best = [0, 0, 0], bestVar = -1;
  for (let a = 0; a < 3; a++) {
    const u = rng() * 2 - 1, phi = rng() * 2 * Math.PI, s = Math.sqrt(1 - u * u);
    const d = [s * Math.cos(phi), s * Math.sin(phi), u];
    let sum = 0, sum2 = 0;
    for (let j = lo; j < hi; j++) {
      const q = 3 * idx[j], v = pts[q] * d[0] + pts[q + 1] * d[1] + pts[q + 2] * d[2];
      sum += v; sum2 += v * v;
    }
    const variance = sum2 - (sum * sum) / (hi - lo);
    if (variance > bestVar) { bestVar = variance; best = d; }
  }
  for (let j = lo; j < hi; j++) {
    const q = 3 * idx[j];
    key[j] = pts[q] * best[0] + pts[q + 1] * best[1] + pts[q + 2] * best[2];
  }
  const k = gen === 0 ? 3 : 2;
  const bounds = [lo];
  for (let g = 1; g < k; g++) {
    const m = lo + Math.floor((g * (hi - lo)) / k);
    select(idx, key, bounds[g - 1], hi, m);
    bounds.push(m);
  }
  bounds.push(hi);
  for (let g = 0; g < k; g++) {
    const a = bounds[g], b = bounds[g + 1];
    if (a === b) continue;
    const c: P3 = [0, 0, 0];
    for (let j = a; j < b; j++) for (let i = 0; i < 3; i++) c[i] += pts[3 * idx[j] + i] / (b - a);
    const t = gen === maxGen ? uniform(rng, 0.8, 1) : uniform(rng, 0.45, 0.7);
    const end: P3 = [from[0] + (c[0] - from[0]) * t, from[1] + (c[1] - from[1]) * t, from[2] + (c[2] - from[2]) * t];
    out.push({ ax: from[0], ay: from[1], az: from[2], bx: end[0], by: end[1], bz: end[2], r });
    gens.push(gen);
    grow(rng, cl, a, b, end, r * 0.74, gen + 1, maxGen, out, gens);
  }
}

/** A bronchus alongside an artery segment, offset sideways by both radii. */
function besideBronchus(s: Segment): Segment {
  const dx = s.bx - s.ax, dy = s.by - s.ay;
  const len = Math.hypot(dx, dy) || 1;
  const off = 1.9 * s.r + 1;
  const ox = (-dy / len) * off, oy = (dx / len) * off;
  return { ax: s.ax + ox, ay: s.ay + oy, az: s.az, bx: s.bx + ox, by: s.by + oy, bz: s.bz, r: 0.9 * s.r };
}

export function growTrees(rng: Rng, p: Patient): void {
  const f = p.scale;
  const tr = tracheaAt(p, p.carina, spineAt(p, p.carina));
  for (const side of [-1, 1] as const) {
    const z = p.carina + (side < 0 ? 15 : 25);
    const c = cavityAt(p, z);
    const hilum: P3 = [c.x + side * 0.4 * c.rx, c.y + 0.5 * (c.ryP - c.ryA), z];
    const pts = lungCloud(rng, p, side, 1000), m = pts.length / 3;
    const cloud = (): Cloud => ({ pts, idx: Int32Array.from({ length: m }, (_, i) => i), key: new Float64Array(m) });
    const arteries: Segment[] = [], gens: number[] = [];
    grow(rng, cloud(), 0, m, hilum, 5.5 * f, 0, 7, arteries, gens);
    p.vessels.push(...arteries);
    p.bronchi.push({ ax: tr.x, ay: tr.y, az: p.carina, bx: hilum[0], by: hilum[1] - 12, bz: hilum[2], r: (side < 0 ? 8 : 7) * f });
    arteries.forEach((s, i) => { if (gens[i] <= 2) p.bronchi.push(besideBronchus(s)); });
    const veinRoot: P3 = [c.x + side * 0.3 * c.rx, hilum[1] - 10, z + 35];
    grow(rng, cloud(), 0, m, veinRoot, 5 * f, 0, 6, p.vessels, []);
  }
}

/** The part of each segment within `half` mm of the slice, projected as a capsule. */
function paintSegments(r: Raster, segs: Segment[], z: number, half: number, paint: (x0: number, y0: number, x1: number, y1: number, s: Segment) => void): void {
  for (const s of segs) {
    const w = Math.max(half, s.r);
    if (Math.min(s.az, s.bz) - w > z || Math.max(s.az, s.bz) + w < z) continue;
    let t0 = 0, t1 = 1;
    const dz = s.bz - s.az;
    if (dz !== 0) {
      const a = (z - w - s.az) / dz, b = (z + w - s.az) / dz;
      t0 = Math.max(0, Math.min(a, b));
      t1 = Math.min(1, Math.max(a, b));
    }
    if (t0 > t1) continue;
    paint(s.ax + (s.bx - s.ax) * t0, s.ay + (s.by - s.ay) * t0, s.ax + (s.bx - s.ax) * t1, s.ay + (s.by - s.ay) * t1, s);
  }
}

/** Bronchi (wall, then lumen), then vessels inside the lung; `half` is half the slice thickness. */
export function paintTrees(r: Raster, p: Patient, z: number, half: number): void {
  paintSegments(r, p.bronchi, z, half, (x0, y0, x1, y1, s) => r.capsule(x0, y0, x1, y1, s.r, T.SOFT, only(T.LUNG, T.MEDFAT)));
  paintSegments(r, p.bronchi, z, half, (x0, y0, x1, y1, s) => r.capsule(x0, y0, x1, y1, 0.7 * s.r, T.GAS, only(T.SOFT)));
  const hilar = only(T.LUNG, T.MEDFAT), lung = only(T.LUNG);
  paintSegments(r, p.vessels, z, half, (x0, y0, x1, y1, s) => r.capsule(x0, y0, x1, y1, s.r, T.BLOOD, s.r > 4 ? hilar : lung));
}
