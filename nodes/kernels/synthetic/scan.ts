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
 * The canvases slices are painted in, kept from scan to scan (one size at a time): every slice
 * overwrites them whole (labels filled, HU from the labels, the blur from the HU), and a scan is
 * painted start to end without yielding, so no two scans share them at once. Three fresh arrays a
 * scan (2.25 MiB at 512²) were churn in the C heap (issue 23).
 */
let canvas: { label: Uint8Array; hu: Float32Array; tmp: Float32Array } | undefined;

function canvasOf(size: number) {
  if (canvas?.tmp.length !== size * size) canvas = { label: new Uint8Array(size * size), hu: new Float32Array(size * size), tmp: new Float32Array(size * size) };
  return canvas;
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
  const { tmp, ...paint } = canvasOf(size), r = new Raster(size, pixelMm, paint);
  const half = Math.min(2.5, Math.max(0.5, acquisition.spacing / 2));
  const z: number[] = [], area = size * size, pixels = scanPixels(acquisition.n * area);
  for (let i = 0; i < acquisition.n; i++) {
    z.push(acquisition.z0 + i * acquisition.spacing);
    paintSlice(r, patient, findings, z[i], half);
    reconstruct(r, tmp, noise, acquisition.sigma, pixels.subarray(i * area, (i + 1) * area));
  }
  return { patient, acquisition, pixelMm, z, pixels };
}
