// The node kinds shipped with ctflow: an explicit list (no import side effects).
import { Registry } from '../engine/registry.js';
import type { NodeDef } from '../engine/types.js';
import areaWindow from './area-window.js';
import binaryDilation from './binary-dilation.js';
import cnnTrainer from './cnn-trainer.js';
import command from './command.js';
import cropper from './cropper.js';
import dicomSeries from './dicom-series.js';
import embedder from './embedder.js';
import ensemble from './ensemble.js';
import evaluator from './evaluator.js';
import imageFolder from './image-folder.js';
import lstm from './lstm.js';
import medianFilter from './median-filter.js';
import predictionWriter from './prediction-writer.js';
import sequencePredictor from './sequence-predictor.js';
import sequenceSampler from './sequence-sampler.js';
import sliceScorer from './slice-scorer.js';
import swin from './swin.js';
import syntheticCt from './synthetic-ct.js';
import threshold from './threshold.js';
import weightsFile from './weights-file.js';

export const nodeKinds: readonly NodeDef[] = [
  syntheticCt, imageFolder, dicomSeries,
  cropper, medianFilter, threshold, binaryDilation, areaWindow,
  cnnTrainer, embedder, sequenceSampler, lstm, swin,
  weightsFile, sequencePredictor,
  sliceScorer, ensemble, evaluator, predictionWriter,
  command,
];

export const registry = new Registry(nodeKinds);
