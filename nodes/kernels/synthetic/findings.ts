// Findings, drawn from their own generator so that anatomy never depends on the label.
// Every scan may carry label-independent "hard negative" findings (emphysema, nodules, dependent
// density); positive scans add COVID-19-like ground-glass patches: mostly peripheral and in the
// lower lobes, usually bilateral, sometimes with a consolidated core.
import type { Rng } from '../../../engine/rng.js';
import { chance, intBetween, smoothstep, uniform, valueNoise } from './math.js';
import type { Patient } from './patient.js';
import type { Raster } from './raster.js';
import { cavityAt, insideLung, lungAt } from './sections.js';
import { T } from './tissues.js';

export interface Patch {
  x: number; y: number; z: number;
  rx: number; ry: number; rz: number; rot: number;
  hu: number;
  /** HU of a consolidated core, or NaN for pure ground glass. */
  core: number;
  /** Boundary irregularity: amplitudes and phases of the 2nd and 3rd angular harmonics. */
  a2: number; p2: number; a3: number; p3: number;
  /** Seed of the patchy texture inside the opacity. */
  texture: number;
}

export interface Sphere { x: number; y: number; z: number; r: number; hu: number }

export interface Findings {
  patches: Patch[];
  nodules: Sphere[];
  /** Emphysematous holes (centrilobular, upper zones). */
  holes: Sphere[];
  /** Thickness (mm) of a dependent subpleural density band in the lower zones; 0 when absent. */
  dependent: number;
}

/** A point in the lung of `side` between heights z0..z1 (fractions of L); peripheral = near the lateral/posterior wall. */
function lungPoint(rng: Rng, p: Patient, side: -1 | 1, z0: number, z1: number, peripheral: boolean): [number, number, number] | null {
  for (let tries = 0; tries < 200; tries++) {
    const z = uniform(rng, z0, z1) * p.L;
    const lung = lungAt(p, z, side, cavityAt(p, z));
    if (!lung) continue;
    const th = peripheral ? uniform(rng, -0.8, 2) : uniform(rng, 0, 2 * Math.PI);
    const rho = peripheral ? uniform(rng, 0.72, 0.95) : Math.sqrt(uniform(rng, 0, 0.8));
    const x = lung.x + side * lung.rx * rho * Math.cos(th), y = lung.y + lung.ry * rho * Math.sin(th);
    if (insideLung(p, x, y, z, side)) return [x, y, z];
  }
  return null;
}

const anySide = (rng: Rng): -1 | 1 => (rng() < 0.5 ? -1 : 1);

/** `extent` scales the ground-glass patches' radii (1: the realistic mix; the draws do not change with it). */
export function drawFindings(rng: Rng, p: Patient, label: 0 | 1, extent = 1): Findings {
  const f = p.scale;
  const out: Findings = { patches: [], nodules: [], holes: [], dependent: 0 };
  if (chance(rng, 0.2)) {
    const n = intBetween(rng, 30, 120);
    for (let i = 0; i < n; i++) {
      const q = lungPoint(rng, p, anySide(rng), 0.05, 0.55, false);
      if (q) out.holes.push({ x: q[0], y: q[1], z: q[2], r: uniform(rng, 2, 7), hu: uniform(rng, -990, -950) });
    }
  }
  if (chance(rng, 0.25)) {
    for (let i = intBetween(rng, 1, 3); i > 0; i--) {
      const q = lungPoint(rng, p, anySide(rng), 0.1, 0.95, false);
      if (q) out.nodules.push({ x: q[0], y: q[1], z: q[2], r: uniform(rng, 2.5, 10) * f, hu: uniform(rng, 20, 60) });
    }
  }
  if (chance(rng, 0.2)) out.dependent = uniform(rng, 4, 10);
  if (label === 1) {
    const n = intBetween(rng, 1, 10), consolidation = chance(rng, 0.35);
    let side = anySide(rng);
    for (let i = 0; i < n; i++) {
      if (i > 0 && chance(rng, 0.7)) side = side < 0 ? 1 : -1;
      const lower = chance(rng, 0.7);
      const q = lungPoint(rng, p, side, lower ? 0.5 : 0.15, lower ? 0.95 : 0.55, chance(rng, 0.8));
      if (!q) continue;
      const rx = uniform(rng, 10, 40) * f * extent;
      out.patches.push({
        x: q[0], y: q[1], z: q[2], rx, ry: rx * uniform(rng, 0.6, 1.2), rz: uniform(rng, 10, 45) * f * extent,
        rot: uniform(rng, 0, Math.PI), hu: uniform(rng, -700, -300),
        core: consolidation && i < 3 ? uniform(rng, -80, 30) : NaN,
        a2: uniform(rng, 0, 0.25), p2: uniform(rng, 0, 2 * Math.PI), a3: uniform(rng, 0, 0.2), p3: uniform(rng, 0, 2 * Math.PI),
        texture: Math.floor(rng() * 0x7fffffff),
      });
    }
  }
  return out;
}

/** Size (mm) of the blotches in a patch's texture. */
const BLOTCH = 6;

/**
 * Blend patch HU into lung pixels (vessels inside a patch stay visible, as in real ground glass),
 * with a soft irregular edge and a blotchy texture.
 */
function paintPatch(r: Raster, q: Patch, z: number): void {
  const dz = (z - q.z) / q.rz;
  if (dz * dz >= 1) return;
  const s = Math.sqrt(1 - dz * dz), grow = 1 + q.a2 + q.a3;
  const rx = q.rx * s * r.k, ry = q.ry * s * r.k;
  if (rx < 0.5 || ry < 0.5) return;
  const cx = r.px(q.x), cy = r.px(q.y), ext = Math.max(rx, ry) * grow;
  const cs = Math.cos(q.rot), sn = Math.sin(q.rot);
  const c2 = Math.cos(q.p2), s2 = Math.sin(q.p2), c3 = Math.cos(q.p3), s3 = Math.sin(q.p3);
  const { n, label, hu } = r;
  const r0 = Math.max(0, Math.ceil(cy - ext)), r1 = Math.min(n - 1, Math.floor(cy + ext));
  const col0 = Math.max(0, Math.ceil(cx - ext)), col1 = Math.min(n - 1, Math.floor(cx + ext));
  for (let row = r0; row <= r1; row++) {
    const dy = row - cy;
    for (let col = col0; col <= col1; col++) {
      const i = row * n + col;
      if (label[i] !== T.LUNG) continue;
      const dx = col - cx;
      const u = (dx * cs + dy * sn) / rx, v = (-dx * sn + dy * cs) / ry;
      const rho2 = u * u + v * v;
      if (rho2 >= grow * grow) continue;
      const rho = Math.sqrt(rho2) || 1e-6, c = u / rho, si = v / rho;
      const cos2 = c * c - si * si, sin2 = 2 * c * si;
      const cos3 = c * (4 * c * c - 3), sin3 = si * (3 - 4 * si * si);
      const d = rho / (1 + q.a2 * (cos2 * c2 - sin2 * s2) + q.a3 * (cos3 * c3 - sin3 * s3));
      if (d >= 1) continue;
      let target = q.hu;
      if (q.core === q.core) target += smoothstep(0.55, 0.4, d) * (q.core - q.hu);
      const blotch = 0.55 + 0.7 * valueNoise(r.mm(col) / BLOTCH, r.mm(row) / BLOTCH, z / BLOTCH, q.texture);
      hu[i] += Math.min(1, smoothstep(1, 0.6, d) * blotch) * (target - hu[i]);
    }
  }
}

/** Spheres over lung pixels: `min` keeps the darker value (holes), otherwise blends in (nodules). */
function paintSphere(r: Raster, q: Sphere, z: number, min: boolean): void {
  const dz = z - q.z;
  if (Math.abs(dz) >= q.r) return;
  const rr = Math.sqrt(q.r * q.r - dz * dz) * r.k;
  const cx = r.px(q.x), cy = r.px(q.y);
  const { n, label, hu } = r;
  for (let row = Math.max(0, Math.ceil(cy - rr)); row <= Math.min(n - 1, Math.floor(cy + rr)); row++) {
    for (let col = Math.max(0, Math.ceil(cx - rr)); col <= Math.min(n - 1, Math.floor(cx + rr)); col++) {
      const i = row * n + col;
      if (label[i] !== T.LUNG && label[i] !== T.BLOOD) continue;
      const d = Math.hypot(col - cx, row - cy);
      if (d > rr) continue;
      if (min) { if (label[i] === T.LUNG) hu[i] = Math.min(hu[i], q.hu); }
      else hu[i] += smoothstep(rr, rr - 1, d) * (q.hu - hu[i]);
    }
  }
}

/** Dependent (posterior) subpleural density in the lower zones, fading in with depth below mid-lung. */
function paintDependent(r: Raster, p: Patient, z: number, band: number): void {
  const fade = smoothstep(0.5 * p.L, 0.7 * p.L, z);
  if (fade === 0) return;
  const c = cavityAt(p, z), { n, label, hu } = r;
  for (const side of [-1, 1] as const) {
    const lung = lungAt(p, z, side, c);
    if (!lung) continue;
    const col0 = Math.max(0, Math.ceil(r.px(lung.x - lung.rx))), col1 = Math.min(n - 1, Math.floor(r.px(lung.x + lung.rx)));
    const row0 = Math.max(0, Math.ceil(r.px(lung.y))), row1 = Math.min(n - 1, Math.floor(r.px(lung.y + lung.ry)));
    for (let row = row0; row <= row1; row++) {
      const v = (r.mm(row) - lung.y) / lung.ry;
      for (let col = col0; col <= col1; col++) {
        const i = row * n + col;
        if (label[i] !== T.LUNG) continue;
        const u = (r.mm(col) - lung.x) / lung.rx;
        const depth = (1 - Math.sqrt(u * u + v * v)) * lung.ry;
        if (depth < 0 || depth > band) continue;
        hu[i] += fade * v * (1 - depth / band) * (-450 - hu[i]);
      }
    }
  }
}

export function paintFindings(r: Raster, p: Patient, f: Findings, z: number): void {
  for (const q of f.holes) paintSphere(r, q, z, true);
  if (f.dependent > 0) paintDependent(r, p, z, f.dependent);
  for (const q of f.patches) paintPatch(r, q, z);
  for (const q of f.nodules) paintSphere(r, q, z, false);
}
