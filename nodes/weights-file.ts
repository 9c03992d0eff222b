// Source: a Weights table from an Arrow IPC file — trained weights written by
// `ctflow export GRAPH NODE.model --to FILE.arrow` (or by pyarrow), fed to an embedder or a
// sequence-predictor in another graph. The file's content is in the node's key. See docs/predict.md.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { tableFromIPC } from '../engine/arrow.js';
import { defineNode } from '../engine/types.js';
import { batchToEntries, entriesToBatch } from './kernels/tf/weights.js';
import { Weights } from './tables.js';

export interface WeightsFileParams {
  /** An Arrow IPC file (file or stream format) holding a Weights table. */
  path: string;
}

const HINT = 'write one with  ctflow export GRAPH NODE.model --to FILE.arrow  after running the training graph';

/** The file itself (fingerprinted into the key); a missing file fails at plan time, naming it. */
export async function inputFiles(params: WeightsFileParams): Promise<string[]> {
  const file = resolve(params.path);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new Error(`weights-file: "${file}" is not a file; ${HINT}`);
  return [file];
}

export default defineNode<WeightsFileParams>(import.meta.url, {
  kind: 'weights-file',
  version: 1,
  description: 'Reads trained weights (a Weights table: cnn-trainer, lstm or swin model) from an Arrow IPC file, e.g. one written by ctflow export NODE.model.',
  mode: 'source',
  params: {
    path: { type: 'string', minLength: 1, description: 'Arrow IPC file of a Weights table (name, shape, dtype, bytes); relative to the working directory' },
  },
  required: ['path'],
  example: { path: 'test/fixtures/weights/lstm-tiny.arrow' },
  outputs: { model: Weights },
  inputFiles,
  async *run(ctx) {
    const file = resolve(ctx.params.path);
    const who = `weights-file node "${ctx.id}": ${file}`;
    const bytes = await readFile(file).catch((e: Error) => {
      throw new Error(`${who}: cannot read it (${e.message}); ${HINT}`);
    });
    let table;
    try {
      table = tableFromIPC(bytes);
    } catch (e) {
      throw new Error(`${who}: not an Arrow IPC file (${(e as Error).message}); ${HINT}`);
    }
    const entries = table.batches.flatMap((b) => batchToEntries(b, who));
    if (!entries.length) throw new Error(`${who}: the table has no rows; ${HINT}`);
    const config = entries.find((e) => /^ctflow\.[a-z]+\.config$/.test(e.name));
    ctx.note('model', config ? config.name.split('.')[1] : 'unknown');
    ctx.note('tensors', entries.length - (config ? 1 : 0));
    yield { model: entriesToBatch(entries) };
  },
});
