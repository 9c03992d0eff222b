// Render synthetic-ct slices to PNG (lung window −1350…150 HU) for docs/synthetic-ct.md.
//   npx tsc -p tsconfig.json && node dist/bench/render-synthetic.js [outDir=docs/synthetic-ct] [seed=7]
// Picks the first positive scan of the seed whose coverage includes the whole lungs, and writes
// apex / mid / base / ground-glass axial slices and a coronal reformat through the lungs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assignment } from '../nodes/synthetic-ct.js';
import { drawAcquisition, drawPatient } from '../nodes/kernels/synthetic/patient.js';
import { generateScan, type SyntheticScan } from '../nodes/kernels/synthetic/scan.js';
import { lungAt } from '../nodes/kernels/synthetic/sections.js';
import { rngFrom } from '../engine/rng.js';

const out = process.argv[2] ?? 'docs/synthetic-ct';
const seed = Number(process.argv[3] ?? 7);
const size = 512, shown = 256;
const splits = { train: 0.7, validation: 0.15, test: 0.15 };

function windowed(hu: ArrayLike<number>, lo = -1350, hi = 150): Uint8Array {
  const g = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) g[i] = Math.max(0, Math.min(255, Math.round(((hu[i] - lo) / (hi - lo)) * 255)));
  return g;
}

async function png(name: string, gray: Uint8Array, w: number, h: number, outW: number, outH: number): Promise<void> {
  const sharp = (await import('sharp')).default;
  await sharp(Buffer.from(gray), { raw: { width: w, height: h, channels: 1 } })
    .resize(outW, outH, { fit: 'fill', kernel: 'lanczos3' })
    .png({ compressionLevel: 9, palette: true, colours: 64 })
    .toFile(join(out, name));
  console.log(`wrote ${join(out, name)}`);
}

const nearest = (scan: SyntheticScan, z: number) => scan.z.reduce((best, zi, i) => (Math.abs(zi - z) < Math.abs(scan.z[best] - z) ? i : best), 0);

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const slices = [220, 220] as const;
  let k = 0;
  for (; ; k++) {
    if (assignment(seed, k, 0.5, splits).label !== 1) continue;
    const rng = rngFrom(`${seed}:${k}`);
    if (drawAcquisition(rng, drawPatient(rng), slices).z0 < -10) break; // starts above the apex
  }
  const t0 = performance.now();
  const scan = generateScan(`${seed}:${k}`, 1, slices, size);
  const n = scan.z.length, area = size * size;
  const slice = (i: number) => scan.pixels.subarray(i * area, (i + 1) * area);
  console.log(`scan ${seed}:${k}: ${n} slices of ${size}² in ${(performance.now() - t0).toFixed(0)} ms, pixel ${scan.pixelMm.toFixed(2)} mm, spacing ${scan.acquisition.spacing.toFixed(2)} mm`);
  const { L } = scan.patient;
  // The same patient as a negative differs only in its findings: the slice where they differ most
  // shows the ground glass.
  const negative = generateScan(`${seed}:${k}`, 0, slices, size);
  const changed = (i: number) => {
    const a = slice(i), b = negative.pixels.subarray(i * area, (i + 1) * area);
    let c = 0;
    for (let j = 0; j < area; j++) if (Math.abs(a[j] - b[j]) > 150) c++;
    return c;
  };
  let ggo = 0;
  for (let i = 1; i < n; i++) if (changed(i) > changed(ggo)) ggo = i;
  for (const [name, z] of [['apex', 0.12 * L], ['mid', 0.5 * L], ['base', 0.85 * L]] as const) {
    await png(`axial-${name}.png`, windowed(slice(nearest(scan, z))), size, size, shown, shown);
  }
  await png('axial-ground-glass.png', windowed(slice(ggo)), size, size, shown, shown);
  await png('axial-ground-glass-as-negative.png', windowed(negative.pixels.subarray(ggo * area, (ggo + 1) * area)), size, size, shown, shown);
  // Coronal reformat: the image row through the middle of the lungs (at the height of the domes), from every slice.
  const row = Math.round(size / 2 - 0.5 + lungAt(scan.patient, 0.65 * L, -1)!.y / scan.pixelMm);
  const cor = new Int16Array(n * size);
  for (let i = 0; i < n; i++) cor.set(slice(i).subarray(row * size, (row + 1) * size), i * size);
  const height = Math.round((n * scan.acquisition.spacing) / scan.pixelMm);
  await png('coronal.png', windowed(cor), size, n, shown, Math.round((height * shown) / size));
}

await main();
