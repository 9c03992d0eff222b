// Small sample tables for every port type, so the conformance suite can feed any kind.
import type { RecordBatch } from 'apache-arrow';
import { makeBatch, type PortType } from '../../engine/ports.js';
import { rngFrom } from '../../engine/rng.js';
import type { TableReader } from '../../engine/types.js';
import { toySlices } from '../kinds/toy-scans.js';

const scanCols = (scan: string, n: number, label: number | null) => ({
  scan_id: Array(n).fill(scan), split: Array(n).fill('train'), label: Array(n).fill(label),
});

const makers: Record<string, (scan: string, n: number, label: number) => RecordBatch> = {
  slices: (scan, n, label) => toySlices(scan, n, 16, scan, label),
  masks: (scan, n, label) => {
    const rng = rngFrom(scan);
    const { Masks } = tables;
    return makeBatch(Masks, {
      ...scanCols(scan, n, label), slice_index: [...Array(n).keys()], height: Array(n).fill(16), width: Array(n).fill(16),
      mask: Array.from({ length: n }, () => Uint8Array.from({ length: 256 }, () => (rng() < 0.5 ? 1 : 0))),
    });
  },
  areas: (scan, n, label) => makeBatch(tables.Areas, { ...scanCols(scan, n, label), slice_index: [...Array(n).keys()], area: Array.from({ length: n }, (_, i) => (i * 37) % 100) }),
  windows: (scan, _n, label) => makeBatch(tables.Windows, { ...scanCols(scan, 1, label), n_slices: [6], start: [1], end: [4], area_sum: [120] }),
  boxes: (scan, n, label) => makeBatch(tables.Boxes, { ...scanCols(scan, n, label), slice_index: [...Array(n).keys()], r0: Array(n).fill(1), r1: Array(n).fill(15), c0: Array(n).fill(2), c1: Array(n).fill(14) }),
  'scan-stats': (scan, _n, label) => makeBatch(tables.ScanStats, { ...scanCols(scan, 1, label), n_slices: [6], mean: [1.5] }),
  embeddings: (scan, n, label) => {
    const rng = rngFrom(`emb:${scan}`);
    return makeBatch(tables.Embeddings, {
      ...scanCols(scan, n, label), slice_index: [...Array(n).keys()],
      embedding: Array.from({ length: n }, () => Float32Array.from({ length: 8 }, () => rng() - 0.5)),
      prob: Array.from({ length: n }, () => rng()),
    });
  },
  // Two draws of all the scan's slices (they fit the embeddings sample's slice indices).
  sequences: (scan, n, label) => makeBatch(tables.Sequences, {
    ...scanCols(scan, 2, label), draw: [0, 1], slices: [0, 1].map(() => Int32Array.from({ length: n }, (_, i) => i)),
  }),
  // Two models, three draws each, labelled validation scans (what an evaluator or ensemble reads).
  predictions: (scan, _n, label) => {
    const rng = rngFrom(`pred:${scan}`);
    const rows = ['a', 'b'].flatMap((model) => [0, 1, 2].map((draw) => ({ model, draw, prob: rng() })));
    return makeBatch(tables.Predictions, {
      model: rows.map((r) => r.model), scan_id: rows.map(() => scan), split: rows.map(() => 'validation'), label: rows.map(() => label),
      draw: rows.map((r) => r.draw), prob: rows.map((r) => r.prob),
    });
  },
  // A cnn-trainer model (small preset at 32², embedding 8, seeded weights). A weights table is a
  // set of rows, not one batch per scan: the first batch holds them all, the others are empty.
  weights: (scan) => {
    const cfg = { backbone: 'small', width: 0.5, depth: 0.5, resolution: 32, embedding: 8, hu: [-1150, 350], fit: 'stretch' } as const;
    const entries = initialWeights(paramSpecs(architecture(cfg)), rngFrom(`weights:${scan}`));
    return scan === 'sample-0' ? modelBatch({ ...cfg, hu: [...cfg.hu] }, entries) : entriesToBatch([]);
  },
  // An lstm model table (what a sequence-predictor reads) fitting the embeddings sample (8 values a
  // slice) and the sequences sample (draws of 6 slices); like weights, all rows in the first batch.
  'sequence-model': (scan, n) => {
    const cfg = { input: 8, hidden: 4, layers: 1, head: 4 };
    const entries = initialEntries(lstmSpecs(cfg), (label) => rngFrom(`seq-model:${scan}:${label}`));
    return scan === 'sample-0' ? seqModelBatch('lstm', { ...cfg, length: n }, entries) : entriesToBatch([]);
  },
};

import * as tables from '../../nodes/tables.js';
import { architecture, initialWeights, paramSpecs } from '../../nodes/kernels/cnn/architecture.js';
import { modelBatch } from '../../nodes/kernels/cnn/model-table.js';
import { initialEntries } from '../../nodes/kernels/seq/init.js';
import { lstmSpecs } from '../../nodes/kernels/seq/lstm-model.js';
import { seqModelBatch } from '../../nodes/kernels/seq/model-table.js';
import { entriesToBatch } from '../../nodes/kernels/tf/weights.js';

/** `scans` sample batches (one per scan) of the given port type, or undefined if unknown. */
export function sampleBatches(port: PortType, scans = 2, slices = 6): RecordBatch[] | undefined {
  const make = makers[port.name];
  return make ? Array.from({ length: scans }, (_, i) => make(`sample-${i}`, slices, i % 2)) : undefined;
}

/** An in-memory TableReader over batches (for barrier kinds in unit tests). */
export function memoryReader(batches: RecordBatch[]): TableReader {
  return {
    numBatches: batches.length,
    numRows: batches.reduce((a, b) => a + b.numRows, 0),
    batch: async (i) => batches[i],
    async *[Symbol.asyncIterator]() { yield* batches; },
  };
}
