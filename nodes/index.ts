// The node kinds shipped with ctflow: an explicit list (no import side effects).
import { Registry } from '../engine/registry.js';
import type { NodeDef } from '../engine/types.js';
import dicomSeries from './dicom-series.js';
import imageFolder from './image-folder.js';
import syntheticCt from './synthetic-ct.js';

export const nodeKinds: readonly NodeDef[] = [syntheticCt, imageFolder, dicomSeries];

export const registry = new Registry(nodeKinds);
