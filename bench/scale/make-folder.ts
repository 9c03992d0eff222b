// Writes a COV19-CT-DB-shaped folder of synthetic 512² chest CTs as 8-bit JPEG slices, for the
// scale bench: train/validation × covid/non-covid, slice counts spread like the real set (50–700,
// mean ≈ 285). Scans come from the synthetic-ct kernel, the files from writeJpegFolder.
// usage: node dist/bench/scale/make-folder.js DIR [--scans 300] [--size 512] [--seed 1]
// (the real bench wants ≥ 300 scans / 80,000 files: ≈ 30 ms of one core a slice here, ≈ 45 min;
// DIR must not exist or be empty, and belongs outside the repository).
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { makeBatch } from '../../engine/ports.js';
import { rngFrom } from '../../engine/rng.js';
import { writeJpegFolder } from '../../nodes/kernels/jpeg-folder-writer.js';
import { generateScan } from '../../nodes/kernels/synthetic/scan.js';
import { Slices } from '../../nodes/tables.js';

/** Slices of scan k: 50 + 650·u^1.766 has mean 50 + 650/2.766 ≈ 285 and spans 50–700, skewed short like the real set. */
export function sliceCount(seed: number, k: number): number {
  return Math.round(50 + 650 * Math.pow(rngFrom(`${seed}:count:${k}`)(), 1.766));
}

/** Split and label of scan k: 80 % train, 20 % validation; 45 % covid (the 2021–2024 releases' mix). */
export function splitLabel(seed: number, k: number): { split: 'train' | 'validation'; label: 0 | 1 } {
  const rng = rngFrom(`${seed}:split:${k}`);
  return { split: rng() < 0.8 ? 'train' : 'validation', label: rng() < 0.45 ? 1 : 0 };
}

async function* scans(n: number, size: number, seed: number) {
  const t0 = performance.now();
  let slices = 0;
  for (let k = 0; k < n; k++) {
    const count = sliceCount(seed, k), { split, label } = splitLabel(seed, k);
    const scan = generateScan(`${seed}:${k}`, label, [count, count], size);
    const rows = <T>(v: T) => new Array<T>(count).fill(v);
    const bytes = new Uint8Array(scan.pixels.buffer);
    yield makeBatch(Slices, {
      scan_id: rows(`scale-${k}`), split: rows(split), label: rows(label),
      slice_index: scan.z.map((_, i) => i), height: rows(size), width: rows(size),
      pixels: scan.z.map((_, i) => bytes.subarray(2 * i * size * size, 2 * (i + 1) * size * size)),
      position_mm: rows(null), pixel_mm: rows(null),
    });
    slices += count;
    const s = (performance.now() - t0) / 1000;
    console.error(`scan ${k + 1}/${n}: ${count} slices (${split}, ${label ? 'covid' : 'non-covid'}); ${slices} slices in ${s.toFixed(0)} s`);
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { scans: { type: 'string', default: '300' }, size: { type: 'string', default: '512' }, seed: { type: 'string', default: '1' } },
});
if (positionals.length !== 1) {
  console.error('usage: node dist/bench/scale/make-folder.js DIR [--scans 300] [--size 512] [--seed 1]');
  process.exit(2);
}
const n = Number(values.scans), size = Number(values.size), seed = Number(values.seed);
await writeJpegFolder(positionals[0], scans(n, size, seed), { quality: 95 });
let files = 0;
for (let k = 0; k < n; k++) files += sliceCount(seed, k);
console.log(`wrote ${n} scans, ${files} JPEG slices of ${size}² to ${positionals[0]}`);
