// The node kinds shipped with ctflow: an explicit list (no import side effects).
import { Registry } from '../engine/registry.js';
import type { NodeDef } from '../engine/types.js';
import areaWindow from './area-window.js';
import binaryDilation from './binary-dilation.js';
import cropper from './cropper.js';
import dicomSeries from './dicom-series.js';
import ensemble from './ensemble.js';
import evaluator from './evaluator.js';
import imageFolder from './image-folder.js';
import medianFilter from './median-filter.js';
import sliceScorer from './slice-scorer.js';
import syntheticCt from './synthetic-ct.js';
import threshold from './threshold.js';

export const nodeKinds: readonly NodeDef[] = [
  syntheticCt, imageFolder, dicomSeries,
  cropper, medianFilter, threshold, binaryDilation, areaWindow,
  sliceScorer, ensemble, evaluator,
];

export const registry = new Registry(nodeKinds);
