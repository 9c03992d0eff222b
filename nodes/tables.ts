// The project's table vocabulary: port types shared by the node kinds. Every per-scan table
// carries scan_id, split (train | validation | test) and a nullable label (1 positive, 0 negative).
import { lazyExport } from '../engine/lazy.js';
import { portType } from '../engine/ports.js';

const scanColumns = { scan_id: 'Utf8', split: 'Utf8', label: 'Int8?' } as const;

/** One row per slice, one batch per scan; pixels are little-endian int16 HU, row-major. */
export const Slices = portType('slices', {
  ...scanColumns,
  slice_index: 'Int32',
  height: 'Int32',
  width: 'Int32',
  pixels: 'Binary',
  position_mm: 'Float64?',
  pixel_mm: 'Float64?',
}, 'CT slices: int16 HU pixels, one batch per scan; position along the slice normal and pixel spacing when known', {
  exporter: lazyExport(import.meta.url, './kernels/jpeg-folder-writer.js', 'exportSlices'),
});

/** One row per slice: the crop box [r0, r1) × [c0, c1) in the uncropped slice's pixel grid. */
export const Boxes = portType('boxes', {
  ...scanColumns,
  slice_index: 'Int32',
  r0: 'Int32',
  r1: 'Int32',
  c0: 'Int32',
  c1: 'Int32',
}, 'per-slice crop boxes, end-exclusive');

/** One row per slice: a binary mask (uint8 0/1, row-major). */
export const Masks = portType('masks', {
  ...scanColumns,
  slice_index: 'Int32',
  height: 'Int32',
  width: 'Int32',
  mask: 'Binary',
}, 'binary masks (uint8 0/1), one batch per scan');

/** One row per slice: lung area in pixels. */
export const Areas = portType('areas', {
  ...scanColumns,
  slice_index: 'Int32',
  area: 'Int32',
}, 'per-slice lung area in pixels');

/** One row per scan: the chosen slice window [start, end) of n_slices. */
export const Windows = portType('windows', {
  ...scanColumns,
  n_slices: 'Int32',
  start: 'Int32',
  end: 'Int32',
  area_sum: 'Float64',
}, 'per-scan slice window [start, end)');

/** Generic one-row-per-scan summary used by small engine test graphs and reports. */
export const ScanStats = portType('scan-stats', {
  ...scanColumns,
  n_slices: 'Int32',
  mean: 'Float64',
}, 'per-scan summary statistics');

/** Model weights as rows: tensor name, shape, dtype ('float32' | 'int32'), little-endian bytes. */
export const Weights = portType('weights', {
  name: 'Utf8',
  shape: 'List<Int32>',
  dtype: 'Utf8',
  bytes: 'Binary',
}, 'model weights, one row per tensor');

/** Evaluation results: one row per (model, split, metric); what run records, compare and reports show. */
export const Metrics = portType('metrics', {
  model: 'Utf8',
  split: 'Utf8',
  metric: 'Utf8',
  value: 'Float64',
}, 'metrics per model and split');

/** One row per slice of every scan: the 2D CNN's embedding and its slice probability. */
export const Embeddings = portType('embeddings', {
  ...scanColumns,
  slice_index: 'Int32',
  embedding: 'List<Float32>',
  prob: 'Float32',
}, 'per-slice embeddings (float32) and slice probabilities, one batch per scan');

/** One row per training epoch. */
export const History = portType('history', {
  epoch: 'Int32',
  train_loss: 'Float64',
  val_loss: 'Float64?',
  val_f1: 'Float64?',
  val_accuracy: 'Float64?',
  seconds: 'Float64',
  best: 'Int8',
}, 'training history, one row per epoch (best = 1 on the selected epoch)');

/** Slice draws per scan for the sequence models: slice indices in slice order (padded draws list only real slices). */
export const Sequences = portType('sequences', {
  ...scanColumns,
  draw: 'Int32',
  slices: 'List<Int32>',
}, 'per-scan draws of slice indices, in slice order');

/** Scan-level probabilities of a model, one row per scan and draw. */
export const Predictions = portType('predictions', {
  model: 'Utf8',
  ...scanColumns,
  draw: 'Int32',
  prob: 'Float32',
}, 'scan probabilities per model and draw');

/** ROC curve points per evaluated model and split. */
export const Roc = portType('roc', {
  model: 'Utf8',
  split: 'Utf8',
  threshold: 'Float64',
  fpr: 'Float64',
  tpr: 'Float64',
}, 'ROC points per model and split');
