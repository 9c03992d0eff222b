// One synthetic chest CT: patient, acquisition and findings drawn from seeded generators, then
// painted slice by slice (labels → HU → findings → blur, noise, field of view → int16).
import { rngFrom } from '../../../engine/rng.js';
import { drawFindings, paintFindings, type Findings } from './findings.js';
import { drawAcquisition, drawPatient, type Acquisition, type Patient } from './patient.js';
import { Raster } from './raster.js';
import { scanPixels } from '../scan-pixels.js';
import { paintAbdomen } from './abdomen.js';
import { Noise, paintTable, reconstruct } from './scanner.js';
import { bodyAt, cavityAt, spineAt } from './sections.js';
import { paintSkeleton } from './skeleton.js';
import { paintBody, paintLungs, paintMediastinum } from './thorax.js';
import { labelsToHu, T } from './tissues.js';
import { growTrees, paintTrees } from './trees.js';

export interface SyntheticScan {
  patient: Patient;
  acquisition: Acquisition;
  pixelMm: number;
  /** z (mm below the lung apex) of each slice, head to feet. */
  z: number[];
  /** All slices, head to feet, each size × size int16 HU row-major (platform byte order). */
  pixels: Int16Array;
}

/** Paint slice z into r's HU canvas (before blur and noise). `half` is half the slice thickness. */
function paintSlice(r: Raster, p: Patient, f: Findings, z: number, half: number): void {
  r.label.fill(T.AIR);
  paintTable(r, p);
  const b = bodyAt(p, z), c = cavityAt(p, z, b), s = spineAt(p, z, b);
  paintBody(r, p, b, c, s);
  paintLungs(r, p, z, c);
  paintMediastinum(r, p, z, b, c, s);
  paintAbdomen(r, p, z, b, c, s);
  paintTrees(r, p, z, half);
  paintSkeleton(r, p, z, b, c, s);
  labelsToHu(r, p.hu, p.lungGradient, c.y, 0.7 * p.chest.d);
  paintFindings(r, p, f, z);
}

/**
 * Scan `key` (e.g. "7:12" = seed 7, scan 12). The anatomy, acquisition and noise come from
 * rngFrom(key), the findings from rngFrom(key + ":findings"), so the label changes findings only.
 */
export function generateScan(key: string, label: 0 | 1, slices: readonly [number, number], size: number, extent = 1): SyntheticScan {
  const rng = rngFrom(key);
  const patient = drawPatient(rng);
  const acquisition = drawAcquisition(rng, patient, slices);
  growTrees(rng, patient);
  const noise = new Noise(rng);
  const findings = drawFindings(rngFrom(`${key}:findings`), patient, label, extent);
  const pixelMm = acquisition.fovMm / size;
  const r = new Raster(size, pixelMm), tmp = new Float32Array(size * size);
  const half = Math.min(2.5, Math.max(0.5, acquisition.spacing / 2));
  const z: number[] = [], area = size * size, pixels = scanPixels(acquisition.n * area);
  for (let i = 0; i < acquisition.n; i++) {
    z.push(acquisition.z0 + i * acquisition.spacing);
    paintSlice(r, patient, findings, z[i], half);
    reconstruct(r, tmp, noise, acquisition.sigma, pixels.subarray(i * area, (i + 1) * area));
  }
  return { patient, acquisition, pixelMm, z, pixels };
}
