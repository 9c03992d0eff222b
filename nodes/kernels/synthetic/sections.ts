// Cross-sections of the patient at a height z: the shapes every painter and the tree generator
// agree on (body outline, thoracic cavity, lungs, diaphragm domes, heart, spine).
import { clamp, lerp, smoothstep } from './math.js';
import type { Patient } from './patient.js';
import type { Ellipse } from './raster.js';

export interface Body { x: number; y: number; rx: number; ry: number; back: number; fat: number; muscle: number; neck: number; abdomen: number }

/** Body outline: neck → shoulders and chest → abdomen, always resting on the same flat back. */
export function bodyAt(p: Patient, z: number): Body {
  const chest = smoothstep(-55, 5, z);               // 0 in the neck, 1 from the apex down
  const abdomen = smoothstep(0.85 * p.L, 1.3 * p.L, z);
  const w = lerp(p.neck.w, lerp(p.chest.w, p.abdomen.w, abdomen), chest);
  const d = lerp(p.neck.d, lerp(p.chest.d, p.abdomen.d, abdomen), chest);
  return {
    x: p.x, y: p.back - 0.44 * d, rx: w / 2, ry: d / 2, back: p.back,
    fat: p.fat * lerp(0.45, lerp(1, 1.35, abdomen), chest),
    muscle: p.muscle,
    neck: 1 - chest,
    abdomen,
  };
}

export interface Cavity { x: number; y: number; rx: number; ryA: number; ryP: number }

/** Inside of the chest wall (inner surface of the ribs), or of the abdominal wall lower down. */
export function cavityAt(p: Patient, z: number, b: Body = bodyAt(p, z)): Cavity {
  const open = smoothstep(-25, 10, z);
  const barrel = 0.62 + 0.38 * Math.sqrt(clamp((z / p.L + 0.05) / 0.9, 0, 1));
  const inset = b.fat + b.muscle + 6;
  return {
    x: b.x,
    y: b.y,
    rx: Math.max(0, (b.rx - inset) * barrel * open),
    ryA: Math.max(0, (b.ry - inset) * (0.8 + 0.2 * barrel) * open),
    ryP: Math.max(0, (0.88 * b.ry - inset) * open),
  };
}

/** Paraspinal muscles: the block behind the vertebral body that the lungs wrap around. */
export function paraspinalAt(p: Patient, b: Body, s: Spine): Ellipse {
  return { x: b.x, y: s.y + s.r + 12 * p.scale, rx: s.r + 26 * p.scale, ry: b.back - b.fat - s.y - s.r - 6 * p.scale };
}

/** A lung at full size: the ellipse the apex grows into and the diaphragm dome rises through. */
function lungFrame(c: Cavity, side: -1 | 1): Ellipse {
  return { x: c.x + side * c.rx * 0.5, y: c.y + 0.5 * (c.ryP - c.ryA), rx: c.rx * 0.62, ry: 0.6 * (c.ryA + c.ryP) };
}

/** Fraction of the lung height over which the apex dome widens to the full lung. */
const APEX = 0.8;

/** The lung of one side (-1 right = image left, +1 left) before domes, heart and mediastinum cut it. */
export function lungAt(p: Patient, z: number, side: -1 | 1, c: Cavity = cavityAt(p, z)): Ellipse | null {
  const t = z / p.L;
  if (t <= 0 || t >= 1.02) return null;
  const g = Math.sqrt(Math.min(1, t / APEX));
  const e = lungFrame(c, side);
  return { x: e.x, y: e.y + (1 - g) * 0.35 * e.ry, rx: e.rx * g, ry: e.ry * g };
}

/**
 * The diaphragm dome of one side: a rounded dome (radius ∝ depth below its top^0.65), anterior and
 * medial in the lung so that the posterior costophrenic recess is the last lung left; it covers the
 * lung at z = L.
 */
export function domeAt(p: Patient, z: number, side: -1 | 1, c: Cavity = cavityAt(p, z)): Ellipse | null {
  const top = side < 0 ? p.domeR : p.domeL;
  if (z <= top) return null;
  const f = Math.min(1.3, Math.pow((z - top) / (p.L - top), 0.65));
  const e = lungFrame(c, side);
  return { x: c.x + side * 0.42 * c.rx, y: e.y - 0.3 * e.ry, rx: 0.64 * c.rx * f, ry: 1.18 * e.ry * f };
}

/**
 * Heart (with pericardium), anterior and to the left. It widens from its top (z0) and rests on the
 * diaphragm at z1; below z1 the same footprint is the central tendon and the liver's left lobe, so
 * the lung never comes back where the heart was.
 */
export function heartAt(p: Patient, z: number, c: Cavity = cavityAt(p, z)): Ellipse | null {
  const u = (z - p.heart.z0) / (p.heart.z1 - p.heart.z0);
  if (u <= 0 || z > p.L + 40) return null;
  const h = Math.pow(Math.sin((Math.PI / 2) * Math.min(1, u)), 0.7) * p.heart.size;
  return { x: c.x + 0.15 * c.rx, y: c.y - 0.32 * c.ryA, rx: 0.4 * c.rx * h, ry: 0.48 * c.ryA * h, rot: p.heart.rot };
}

export interface Spine { x: number; y: number; r: number; disc: boolean; phase: number }

/** Vertebral body centre and radius; vertebrae repeat along z with a disc between them. */
export function spineAt(p: Patient, z: number, b: Body = bodyAt(p, z)): Spine {
  const lumbar = smoothstep(0.9 * p.L, 1.4 * p.L, z);
  const r = lerp(lerp(15, 20, lumbar), 9, b.neck) * p.scale;
  const depth = lerp(lerp(52, 58, lumbar), 28, b.neck);
  const phase = (((z - p.vertebra.phase) / p.vertebra.period) % 1 + 1) % 1;
  return { x: b.x, y: b.back - b.fat - depth - r, r, disc: phase < 0.18, phase };
}

/** Trachea centre at z (in front of the oesophagus, in front of the spine). */
export function tracheaAt(p: Patient, z: number, s: Spine = spineAt(p, z)): { x: number; y: number } {
  return { x: s.x - 2, y: s.y - s.r - lerp(14, 20, clamp(z / 40 + 0.5, 0, 1)) - p.tracheaR };
}

function inEllipse(e: Ellipse, x: number, y: number): boolean {
  const dx = x - e.x, dy = y - e.y;
  const cs = Math.cos(e.rot ?? 0), sn = Math.sin(e.rot ?? 0);
  const u = (dx * cs + dy * sn) / e.rx;
  const w = -dx * sn + dy * cs;
  const v = w / (w > 0 && e.ryPost !== undefined ? e.ryPost : e.ry);
  return u * u + v * v <= 1;
}

/** Whether (x, y, z) is lung parenchyma of `side` (not mediastinum, heart or below a dome). */
export function insideLung(p: Patient, x: number, y: number, z: number, side: -1 | 1): boolean {
  const c = cavityAt(p, z);
  const lung = lungAt(p, z, side, c);
  if (!lung || !inEllipse(lung, x, y)) return false;
  if (!inEllipse({ x: c.x, y: c.y, rx: c.rx, ry: c.ryA, ryPost: c.ryP }, x, y)) return false;
  const dome = domeAt(p, z, side, c);
  if (dome && inEllipse(dome, x, y)) return false;
  const heart = heartAt(p, z, c);
  if (heart && inEllipse({ ...heart, rx: heart.rx * 1.1, ry: heart.ry * 1.1 }, x, y)) return false;
  return Math.abs(x - c.x) > mediastinumHalfWidth(p, z, c);
}

/** Half-width of the mediastinal band between the lungs (trachea, great vessels, oesophagus). */
export function mediastinumHalfWidth(p: Patient, z: number, c: Cavity): number {
  return c.rx * lerp(0.16, 0.22, smoothstep(0.1 * p.L, 0.45 * p.L, z));
}
