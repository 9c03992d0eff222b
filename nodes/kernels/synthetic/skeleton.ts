// Bones of one axial slice: vertebra (body or disc, arch, processes), ribs with costal cartilage,
// sternum, clavicles and scapulae.
import { lerp, smoothstep } from './math.js';
import type { Patient } from './patient.js';
import { ANY, only, type LabelMask, type Raster } from './raster.js';
import type { Body, Cavity, Spine } from './sections.js';
import { T } from './tissues.js';

const INSIDE: LabelMask = ANY & ~only(T.AIR, T.SHELL, T.FOAM);
const WALL: LabelMask = only(T.SOFT, T.FAT, T.MEDFAT);

/** A bone with a cortical rim and marrow inside (the marrow disappears when thinner than the rim). */
function boneDisc(r: Raster, x: number, y: number, rad: number, mask: LabelMask): void {
  r.disc(x, y, rad, T.BONE, mask);
  r.disc(x, y, rad - 2, T.MARROW, only(T.BONE));
}

export function paintSkeleton(r: Raster, p: Patient, z: number, b: Body, c: Cavity, s: Spine): void {
  const f = p.scale;
  if (s.disc) r.disc(s.x, s.y, s.r, T.DISC, INSIDE);
  else boneDisc(r, s.x, s.y, s.r, INSIDE);
  const canal = s.y + s.r + lerp(8, 5, b.neck) * f;
  r.disc(s.x, canal, lerp(11, 8, b.neck) * f, T.BONE, INSIDE);
  r.disc(s.x, canal, lerp(6.5, 5.5, b.neck) * f, T.CSF, only(T.BONE));
  if (s.phase > 0.3 && s.phase < 0.8) r.capsule(s.x, canal + 9 * f, s.x, canal + lerp(22, 15, b.neck) * f, 4 * f, T.BONE, WALL);
  if (s.phase > 0.25 && s.phase < 0.65) {
    for (const side of [-1, 1]) r.capsule(s.x + side * 8 * f, canal - 2, s.x + side * lerp(24, 15, b.neck) * f, canal + 7 * f, 4.5 * f, T.BONE, WALL);
  }
  if (c.rx > 20) paintRibs(r, p, z, c);
  paintSternumAndGirdle(r, p, z, b, c);
}

/**
 * Twelve ribs a side, each leaving the spine at z0 + k·step and dropping toward the front: an axial
 * slice cuts each rib where the rib passes through the slice's height, giving the familiar arcs.
 */
function paintRibs(r: Raster, p: Patient, z: number, c: Cavity): void {
  const f = p.scale, half = 6 * f, step = 0.05;
  for (let k = 0; k < 12; k++) {
    const z0 = p.ribs.z0 + k * p.ribs.step;
    const drop = p.ribs.drop * lerp(0.6, 1, Math.min(1, k / 5));
    if (z < z0 - half || z > z0 + drop + half) continue;
    const end = k < 7 ? 2.95 : lerp(2.6, 1.6, (k - 7) / 4);
    for (const side of [-1, 1]) {
      let px = NaN, py = NaN;
      for (let phi = 0.25; phi <= end; phi += step) {
        const zr = z0 + (drop * phi) / Math.PI;
        if (Math.abs(zr - z) > half) { px = NaN; continue; }
        const x = c.x + side * (c.rx + 5) * Math.sin(phi);
        const cos = Math.cos(phi);
        const y = c.y + (cos > 0 ? c.ryP + 5 : c.ryA + 5) * cos;
        if (px === px) {
          const cartilage = phi > 2.35;
          r.capsule(px, py, x, y, 3.8 * f, cartilage ? T.CARTILAGE : T.BONE, INSIDE);
          if (!cartilage) r.capsule(px, py, x, y, 1.8 * f, T.MARROW, only(T.BONE));
        }
        px = x; py = y;
      }
    }
  }
}

function paintSternumAndGirdle(r: Raster, p: Patient, z: number, b: Body, c: Cavity): void {
  const f = p.scale, L = p.L;
  if (z > 0.1 * L && z < 0.8 * L) {
    const rx = lerp(22, 12, smoothstep(0.1 * L, 0.3 * L, z)) * f * (z > 0.72 * L ? 0.5 : 1);
    const y = c.y - c.ryA - 7;
    r.ellipse({ x: c.x, y, rx, ry: 6 * f }, T.BONE, INSIDE);
    r.ellipse({ x: c.x, y, rx: rx - 2, ry: 4 * f }, T.MARROW, only(T.BONE));
  }
  const front = b.y - b.ry + b.fat + 8;
  for (const side of [-1, 1]) {
    if (z > -28 && z < 2) {
      const x0 = b.x + side * 18 * f, x1 = b.x + side * 0.8 * b.rx;
      r.capsule(x0, front + 6, x1, front + 30, 6 * f, T.BONE, INSIDE);
      r.capsule(x0, front + 6, x1, front + 30, 3.5 * f, T.MARROW, only(T.BONE));
    }
    const u = (z + 10) / (0.5 * L + 10);
    if (u > 0 && u < 1) {
      const h = Math.sin(Math.PI * Math.sqrt(u));
      r.ellipse({ x: b.x + side * 0.62 * b.rx, y: b.back - b.fat - 24 * f, rx: 48 * f * h, ry: 4.5 * f, rot: -side * 0.42 }, T.BONE, WALL);
    }
  }
}
