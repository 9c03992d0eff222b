// What the scanner adds: the patient table, partial-volume blur, quantum noise, and the circular
// reconstruction field of view with -3024 HU padding outside it.
import { gaussian, type Rng } from '../../../engine/rng.js';
import type { Patient } from './patient.js';
import type { Raster } from './raster.js';
import { T } from './tissues.js';

export const PADDING = -3024;

/** A concave carbon-fibre tray with a foam core, below the patient's back with an air gap. */
export function paintTable(r: Raster, p: Patient): void {
  const { n, label } = r, half = 230, depth = 45, shell = 2.5;
  for (let col = 0; col < n; col++) {
    const x = r.mm(col) - p.x;
    if (Math.abs(x) > half) continue;
    const top = p.back + p.table.gap - p.table.curve * x * x;
    const row0 = Math.max(0, Math.ceil(r.px(top))), row1 = Math.min(n - 1, Math.floor(r.px(top + depth)));
    for (let row = row0; row <= row1; row++) {
      const d = r.mm(row) - top;
      label[row * n + col] = d < shell || d > depth - shell || Math.abs(x) > half - shell ? T.SHELL : T.FOAM;
    }
  }
}

/**
 * White Gaussian noise: a seeded table of deviates read from a random offset on every image row
 * (one generator step per row instead of per pixel).
 */
export class Noise {
  private readonly table = new Float32Array(1 << 14);
  private state: number;

  constructor(rng: Rng) {
    for (let i = 0; i < this.table.length; i++) this.table[i] = gaussian(rng);
    this.state = Math.floor(rng() * 0xfffffffe) + 1;
  }

  /** Offset of the next row's deviates in `table`. */
  nextRow(): number {
    let s = this.state;
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    this.state = s;
    return s & (this.table.length - 1);
  }

  get deviates(): Float32Array {
    return this.table;
  }
}

/**
 * Reconstruct: [1 2 1]/4 blur in both directions (the partial-volume softness of a slice), plus
 * σ·noise, rounded to int16 HU inside the reconstruction circle and -3024 outside it.
 */
export function reconstruct(r: Raster, tmp: Float32Array, noise: Noise, sigma: number, out: Int16Array): void {
  const { n, hu: a } = r, h = n / 2, g = noise.deviates, mask = g.length - 1;
  for (let row = 0; row < n; row++) {
    const o = row * n;
    tmp[o] = 0.75 * a[o] + 0.25 * a[o + 1];
    for (let c = 1; c < n - 1; c++) tmp[o + c] = 0.25 * (a[o + c - 1] + a[o + c + 1]) + 0.5 * a[o + c];
    tmp[o + n - 1] = 0.25 * a[o + n - 2] + 0.75 * a[o + n - 1];
  }
  for (let row = 0; row < n; row++) {
    const o = row * n, up = row > 0 ? o - n : o, down = row < n - 1 ? o + n : o;
    const dy = row + 0.5 - h, span = Math.sqrt(Math.max(0, h * h - dy * dy));
    const c0 = Math.max(0, Math.ceil(h - 0.5 - span)), c1 = Math.min(n - 1, Math.floor(h - 0.5 + span));
    out.fill(PADDING, o, o + n);
    const off = noise.nextRow();
    for (let c = c0; c <= c1; c++) {
      const v = 0.25 * (tmp[up + c] + tmp[down + c]) + 0.5 * tmp[o + c] + sigma * g[(off + c) & mask];
      out[o + c] = Math.floor(v + 0.5); // Math.round, but several times faster on V8 here
    }
  }
}
