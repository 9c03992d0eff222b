// Small numeric helpers shared by the synthetic-CT generator.
import type { Rng } from '../../../engine/rng.js';

export const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
export const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

/** 0 below `a`, 1 above `b`, a smooth cubic in between (a > b gives a falling edge). */
export function smoothstep(a: number, b: number, x: number): number {
  const t = clamp((x - a) / (b - a), 0, 1);
  return t * t * (3 - 2 * t);
}

export const uniform = (rng: Rng, a: number, b: number) => a + (b - a) * rng();
export const chance = (rng: Rng, p: number) => rng() < p;
export const intBetween = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** Hash of an integer lattice point to [0, 1). */
function lattice(ix: number, iy: number, iz: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ Math.imul(iz, 0x61c88647) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1) on a unit lattice (trilinear with smoothstep weights). */
export function valueNoise(x: number, y: number, z: number, seed: number): number {
  const ix = Math.floor(x), iy = Math.floor(y), iz = Math.floor(z);
  const fx = x - ix, fy = y - iy, fz = z - iz;
  const u = fx * fx * (3 - 2 * fx), v = fy * fy * (3 - 2 * fy), w = fz * fz * (3 - 2 * fz);
  const layer = (k: number) => {
    const a = lattice(ix, iy, k, seed), b = lattice(ix + 1, iy, k, seed);
    const c = lattice(ix, iy + 1, k, seed), d = lattice(ix + 1, iy + 1, k, seed);
    return lerp(lerp(a, b, u), lerp(c, d, u), v);
  };
  return lerp(layer(iz), layer(iz + 1), w);
}
