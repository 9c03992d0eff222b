// Seeded pseudo-random numbers (sfc32): deterministic across platforms and Node versions.
import { createHash } from 'node:crypto';

export type Rng = () => number;

/** A uniform [0,1) generator seeded by any string (e.g. a cache key or "seed:scan-7"). */
export function rngFrom(seed: string | number): Rng {
  const h = createHash('sha256').update(String(seed)).digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
}

/** Standard normal deviate (Box–Muller) from a uniform generator. */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
