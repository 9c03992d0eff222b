// The project's table vocabulary: port types shared by the node kinds. Every per-scan table
// carries scan_id, split (train | validation | test) and a nullable label (1 positive, 0 negative).
import { Binary, Field, Float32, Float64, Int32, Int8, List, Utf8 } from '../engine/arrow.js';
import { portType } from '../engine/ports.js';

const scanFields = () => [
  new Field('scan_id', new Utf8(), false),
  new Field('split', new Utf8(), false),
  new Field('label', new Int8(), true),
];

/** One row per slice, one batch per scan; pixels are little-endian int16 HU, row-major. */
export const Slices = portType('slices', [
  ...scanFields(),
  new Field('slice_index', new Int32(), false),
  new Field('height', new Int32(), false),
  new Field('width', new Int32(), false),
  new Field('pixels', new Binary(), false),
  new Field('position_mm', new Float64(), true),
  new Field('pixel_mm', new Float64(), true),
], 'CT slices: int16 HU pixels, one batch per scan; position along the slice normal and pixel spacing when known');

/** One row per slice: the crop box [r0, r1) × [c0, c1) in the uncropped slice's pixel grid. */
export const Boxes = portType('boxes', [
  ...scanFields(),
  new Field('slice_index', new Int32(), false),
  new Field('r0', new Int32(), false),
  new Field('r1', new Int32(), false),
  new Field('c0', new Int32(), false),
  new Field('c1', new Int32(), false),
], 'per-slice crop boxes, end-exclusive');

/** One row per slice: a binary mask (uint8 0/1, row-major). */
export const Masks = portType('masks', [
  ...scanFields(),
  new Field('slice_index', new Int32(), false),
  new Field('height', new Int32(), false),
  new Field('width', new Int32(), false),
  new Field('mask', new Binary(), false),
], 'binary masks (uint8 0/1), one batch per scan');

/** One row per slice: lung area in pixels. */
export const Areas = portType('areas', [
  ...scanFields(),
  new Field('slice_index', new Int32(), false),
  new Field('area', new Int32(), false),
], 'per-slice lung area in pixels');

/** One row per scan: the chosen slice window [start, end) of n_slices. */
export const Windows = portType('windows', [
  ...scanFields(),
  new Field('n_slices', new Int32(), false),
  new Field('start', new Int32(), false),
  new Field('end', new Int32(), false),
  new Field('area_sum', new Float64(), false),
], 'per-scan slice window [start, end)');

/** Generic one-row-per-scan summary used by small engine test graphs and reports. */
export const ScanStats = portType('scan-stats', [
  ...scanFields(),
  new Field('n_slices', new Int32(), false),
  new Field('mean', new Float64(), false),
], 'per-scan summary statistics');

/** Model weights as rows: tensor name, shape, dtype ('float32' | 'int32'), little-endian bytes. */
export const Weights = portType('weights', [
  new Field('name', new Utf8(), false),
  new Field('shape', new List(new Field('item', new Int32(), false)), false),
  new Field('dtype', new Utf8(), false),
  new Field('bytes', new Binary(), false),
], 'model weights, one row per tensor');

/** Evaluation results: one row per (model, split, metric); what run records, compare and reports show. */
export const Metrics = portType('metrics', [
  new Field('model', new Utf8(), false),
  new Field('split', new Utf8(), false),
  new Field('metric', new Utf8(), false),
  new Field('value', new Float64(), false),
], 'metrics per model and split');

/** One row per slice of every scan: the 2D CNN's embedding and its slice probability. */
export const Embeddings = portType('embeddings', [
  ...scanFields(),
  new Field('slice_index', new Int32(), false),
  new Field('embedding', new List(new Field('item', new Float32(), false)), false),
  new Field('prob', new Float32(), false),
], 'per-slice embeddings (float32) and slice probabilities, one batch per scan');

/** One row per training epoch. */
export const History = portType('history', [
  new Field('epoch', new Int32(), false),
  new Field('train_loss', new Float64(), false),
  new Field('val_loss', new Float64(), true),
  new Field('val_f1', new Float64(), true),
  new Field('val_accuracy', new Float64(), true),
  new Field('seconds', new Float64(), false),
  new Field('best', new Int8(), false),
], 'training history, one row per epoch (best = 1 on the selected epoch)');

/** Slice draws per scan for the sequence models: slice indices in slice order (padded draws list only real slices). */
export const Sequences = portType('sequences', [
  ...scanFields(),
  new Field('draw', new Int32(), false),
  new Field('slices', new List(new Field('item', new Int32(), false)), false),
], 'per-scan draws of slice indices, in slice order');

/** Scan-level probabilities of a model, one row per scan and draw. */
export const Predictions = portType('predictions', [
  new Field('model', new Utf8(), false),
  ...scanFields(),
  new Field('draw', new Int32(), false),
  new Field('prob', new Float32(), false),
], 'scan probabilities per model and draw');

/** ROC curve points per evaluated model and split. */
export const Roc = portType('roc', [
  new Field('model', new Utf8(), false),
  new Field('split', new Utf8(), false),
  new Field('threshold', new Float64(), false),
  new Field('fpr', new Float64(), false),
  new Field('tpr', new Float64(), false),
], 'ROC points per model and split');
