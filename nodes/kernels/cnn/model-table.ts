// The CNN as a Weights table that describes itself: the tensors (timm names, TensorFlow.js
// layouts) plus one int32 row, CONFIG_ROW, holding the UTF-8 bytes of the JSON config (backbone,
// width, depth, resolution, embedding, HU window, fit), so the embedder needs no params that must
// match the trainer's. In Python: bytes(table["bytes"][i].as_py()[::4]) is the JSON (values < 128).
import type { RecordBatch } from 'apache-arrow';
import type { TableReader } from '../../../engine/types.js';
import { batchToEntries, entriesToBatch, type WeightEntry } from '../tf/weights.js';
import { BACKBONES, type CnnConfig } from './architecture.js';

export const CONFIG_ROW = 'ctflow.cnn.config';
const FORMAT = 'ctflow-cnn/1';

export function configEntry(cfg: CnnConfig): WeightEntry {
  const bytes = new TextEncoder().encode(JSON.stringify({ format: FORMAT, ...cfg }));
  return { name: CONFIG_ROW, shape: [bytes.length], dtype: 'int32', data: Int32Array.from(bytes) };
}

export function modelBatch(cfg: CnnConfig, entries: WeightEntry[]): RecordBatch {
  return entriesToBatch([configEntry(cfg), ...entries]);
}

/** Config and tensors of a model table (all batches: a table is a set of rows), checked. `who` names errors. */
export async function readModel(reader: TableReader, who: string): Promise<{ cfg: CnnConfig; entries: WeightEntry[] }> {
  const entries: WeightEntry[] = [];
  for (let i = 0; i < reader.numBatches; i++) entries.push(...batchToEntries(await reader.batch(i), `${who}: model table`));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new Error(`${who}: the model table lists tensor "${e.name}" twice; connect the model output of one cnn-trainer`);
    seen.add(e.name);
  }
  const row = entries.find((e) => e.name === CONFIG_ROW);
  if (!row) throw new Error(`${who}: the model table has no "${CONFIG_ROW}" row; connect the model output of a cnn-trainer node`);
  let cfg: CnnConfig & { format?: string };
  try {
    cfg = JSON.parse(new TextDecoder().decode(Uint8Array.from(row.data)));
  } catch (e) {
    throw new Error(`${who}: the model table's "${CONFIG_ROW}" row is not JSON (${(e as Error).message}); the table is corrupt`);
  }
  if (cfg.format !== FORMAT || !BACKBONES.includes(cfg.backbone)) {
    throw new Error(`${who}: the model table's config ${JSON.stringify(cfg)} is not a ${FORMAT} config; retrain with this version of cnn-trainer`);
  }
  const { format: _format, ...rest } = cfg;
  return { cfg: rest, entries: entries.filter((e) => e !== row) };
}
