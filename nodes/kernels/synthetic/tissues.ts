// Tissue labels painted on the label canvas and their Hounsfield values (drawn per patient).
import type { Rng } from '../../../engine/rng.js';
import { uniform } from './math.js';
import type { Raster } from './raster.js';

export const T = {
  AIR: 0,       // outside the body
  FAT: 1,       // subcutaneous fat
  SOFT: 2,      // muscle, soft tissue, airway walls, oesophagus, bowel wall
  MEDFAT: 3,    // fat filling the mediastinum and the abdomen
  LUNG: 4,
  BLOOD: 5,     // heart, great vessels, pulmonary vessels (no contrast)
  LIVER: 6,
  SPLEEN: 7,
  GUT: 8,       // stomach and bowel contents
  GAS: 9,       // air inside the body: trachea, bronchi, stomach and bowel gas
  BONE: 10,     // cortical bone
  MARROW: 11,   // cancellous bone
  DISC: 12,     // intervertebral disc
  CARTILAGE: 13,
  KIDNEY: 14,
  THYROID: 15,
  CSF: 16,      // spinal canal
  SHELL: 17,    // carbon-fibre skin of the table
  FOAM: 18,     // table core
  DIAPHRAGM: 19,
} as const;

const COUNT = 20;

/** Per-patient HU of every label (jittered so no two scans share exact tissue values). */
export function drawTissueHu(rng: Rng): Float32Array {
  const hu = new Float32Array(COUNT);
  hu[T.AIR] = -1000;
  hu[T.FAT] = uniform(rng, -115, -85);
  hu[T.SOFT] = uniform(rng, 30, 55);
  hu[T.MEDFAT] = uniform(rng, -95, -70);
  hu[T.LUNG] = uniform(rng, -900, -800);
  hu[T.BLOOD] = uniform(rng, 32, 48);
  hu[T.LIVER] = uniform(rng, 50, 68);
  hu[T.SPLEEN] = uniform(rng, 40, 52);
  hu[T.GUT] = uniform(rng, 10, 35);
  hu[T.GAS] = -1000;
  hu[T.BONE] = uniform(rng, 650, 1000);
  hu[T.MARROW] = uniform(rng, 180, 330);
  hu[T.DISC] = uniform(rng, 70, 100);
  hu[T.CARTILAGE] = uniform(rng, 100, 180);
  hu[T.KIDNEY] = uniform(rng, 25, 40);
  hu[T.THYROID] = uniform(rng, 80, 110);
  hu[T.CSF] = uniform(rng, 5, 20);
  hu[T.SHELL] = uniform(rng, 150, 350);
  hu[T.FOAM] = uniform(rng, -700, -600);
  hu[T.DIAPHRAGM] = hu[T.SOFT];
  return hu;
}

/**
 * Map labels to HU. Lung parenchyma gets a gravity gradient: denser posteriorly (dependent lung)
 * by `gradient` HU from the front to the back of the chest (depth `depth` mm around `yMid`).
 */
export function labelsToHu(r: Raster, hu: Float32Array, gradient: number, yMid: number, depth: number): void {
  const { n, label } = r, out = r.hu;
  for (let row = 0; row < n; row++) {
    const lung = hu[T.LUNG] + gradient * Math.max(-0.5, Math.min(0.5, (r.mm(row) - yMid) / depth));
    for (let i = row * n, end = i + n; i < end; i++) {
      const l = label[i];
      out[i] = l === T.LUNG ? lung : hu[l];
    }
  }
}
