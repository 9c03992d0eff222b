// One synthetic patient and one acquisition of it, drawn from a seeded generator. Everything here
// is independent of the scan's label: findings are drawn separately (findings.ts).
//
// Patient frame (mm): x toward the patient's left (image right), y posterior (image down),
// z toward the feet with z = 0 at the lung apex and z = L at the lowest (posterior) lung base.
import type { Rng } from '../../../engine/rng.js';
import { chance, uniform } from './math.js';
import { drawTissueHu } from './tissues.js';

export interface Dims { w: number; d: number }

export interface Segment {
  ax: number; ay: number; az: number;
  bx: number; by: number; bz: number;
  r: number;
}

/** A gas or fluid filled bowel loop (a sphere). */
export interface Loop { x: number; y: number; z: number; r: number; gas: boolean }

export interface Patient {
  /** Body centre (mm from the FOV centre) and the y of the flat back lying on the table. */
  x: number;
  y: number;
  back: number;
  scale: number;
  neck: Dims;
  chest: Dims;
  abdomen: Dims;
  fat: number;
  muscle: number;
  /** Lung height, apex to posterior recess (mm). */
  L: number;
  /** z of the right and left diaphragm dome tops (the right one is higher). */
  domeR: number;
  domeL: number;
  carina: number;
  heart: { z0: number; z1: number; size: number; rot: number };
  aortaR: number;
  tracheaR: number;
  vertebra: { period: number; phase: number };
  ribs: { z0: number; step: number; drop: number };
  stomachGas: number;
  hu: Float32Array;
  lungGradient: number;
  table: { gap: number; curve: number };
  loops: Loop[];
  /** Filled in by the bronchovascular tree generator (trees.ts). */
  vessels: Segment[];
  bronchi: Segment[];
}

export function drawPatient(rng: Rng): Patient {
  const f = uniform(rng, 0.88, 1.12);
  const cw = 330 * f * uniform(rng, 0.93, 1.07);
  const chest = { w: cw, d: cw * uniform(rng, 0.6, 0.75) };
  const nw = 125 * f * uniform(rng, 0.9, 1.1);
  const neck = { w: nw, d: nw * uniform(rng, 0.85, 1) };
  const abdomen = { w: cw * uniform(rng, 0.9, 1.05), d: chest.d * uniform(rng, 0.95, 1.2) };
  const x = uniform(rng, -10, 10), y = uniform(rng, -25, -5);
  const L = 245 * f * uniform(rng, 0.92, 1.08);
  const domeR = L * uniform(rng, 0.66, 0.71);
  const domeL = domeR + uniform(rng, 10, 22);
  const carina = L * uniform(rng, 0.38, 0.44);
  const p: Patient = {
    x, y, back: y + 0.44 * chest.d, scale: f, neck, chest, abdomen,
    fat: uniform(rng, 5, 28),
    muscle: uniform(rng, 5, 10) * f,
    L, domeR, domeL, carina,
    heart: { z0: carina + uniform(rng, 12, 25), z1: domeL + uniform(rng, 5, 20), size: uniform(rng, 0.9, 1.1), rot: uniform(rng, -0.8, -0.5) },
    aortaR: uniform(rng, 12, 17) * f,
    tracheaR: uniform(rng, 7, 9.5) * f,
    vertebra: { period: uniform(rng, 23, 28) * f, phase: uniform(rng, 0, 30) },
    ribs: { z0: uniform(rng, -15, -5), step: ((L + 40) / 11) * uniform(rng, 0.95, 1.05), drop: uniform(rng, 90, 120) },
    stomachGas: uniform(rng, 0.08, 0.35),
    hu: drawTissueHu(rng),
    lungGradient: uniform(rng, 20, 70),
    table: { gap: uniform(rng, 8, 25), curve: uniform(rng, 0.0003, 0.0006) },
    loops: [],
    vessels: [],
    bronchi: [],
  };
  for (let i = 0; i < 24; i++) {
    p.loops.push({
      x: x + uniform(rng, -0.3, 0.3) * abdomen.w,
      y: p.back - abdomen.d * uniform(rng, 0.45, 0.8),
      z: L + uniform(rng, 50, 320),
      r: uniform(rng, 9, 18) * f,
      gas: chance(rng, 0.4),
    });
  }
  return p;
}

export interface Acquisition {
  /** z of the first (most cranial) slice and the spacing between slices (mm). */
  z0: number;
  spacing: number;
  n: number;
  fovMm: number;
  /** Gaussian noise σ (HU). */
  sigma: number;
  /** Table position of z = 0 (position_mm = origin - z, larger toward the head as in DICOM). */
  origin: number;
}

/** Coverage from neck to mid-chest at the top, lung base to abdomen at the bottom. */
export function drawAcquisition(rng: Rng, p: Patient, slices: readonly [number, number]): Acquisition {
  const u = rng();
  const top = u < 0.7 ? uniform(rng, -60, -5) : u < 0.9 ? uniform(rng, -5, 0.25 * p.L) : uniform(rng, 0.25 * p.L, 0.45 * p.L);
  const bottom = p.L + (chance(rng, 0.75) ? uniform(rng, 5, 60) : uniform(rng, 60, 220));
  const n = slices[0] + Math.floor(rng() * (slices[1] - slices[0] + 1));
  const widest = Math.max(p.chest.w, p.abdomen.w) + 2 * Math.abs(p.x);
  return {
    z0: top,
    spacing: (bottom - top) / Math.max(1, n - 1),
    n,
    fovMm: Math.max(widest + 20, Math.min(500, widest * uniform(rng, 1.08, 1.3))),
    sigma: uniform(rng, 10, 30),
    origin: uniform(rng, -150, 150),
  };
}
