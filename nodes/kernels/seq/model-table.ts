// The sequence models as Weights tables that describe themselves, as the CNN's (cnn/model-table.ts):
// the tensors plus one int32 row `ctflow.<kind>.config` holding the UTF-8 bytes of the JSON config
// (format ctflow-lstm/1: input, hidden, layers, head, length; ctflow-swin/1: the SwinConfig), so a
// model trained by an lstm or swin node can predict in another graph without params to match.
import type { RecordBatch } from 'apache-arrow';
import type { TableReader } from '../../../engine/types.js';
import { batchToEntries, entriesToBatch, type WeightEntry } from '../tf/weights.js';
import type { LstmConfig } from './lstm-model.js';
import { SEQ_MODES, type SeqMode } from './sampling.js';
import type { SwinConfig } from './swin-model.js';

export type SeqModel =
  | { kind: 'lstm'; config: LstmConfig & { length: number }; entries: WeightEntry[] }
  | { kind: 'swin'; config: SwinConfig; entries: WeightEntry[] };

/** Sizes each config must carry as positive integers. */
const NUMBERS: Record<SeqMode, string[]> = { lstm: ['input', 'hidden', 'layers', 'head', 'length'], swin: ['height', 'width', 'patch', 'dim', 'window'] };

const configRow = (kind: string) => `ctflow.${kind}.config`;
const format = (kind: string) => `ctflow-${kind}/1`;

export function seqModelBatch(kind: SeqMode, config: object, entries: WeightEntry[]): RecordBatch {
  const bytes = new TextEncoder().encode(JSON.stringify({ format: format(kind), ...config }));
  return entriesToBatch([{ name: configRow(kind), shape: [bytes.length], dtype: 'int32', data: Int32Array.from(bytes) }, ...entries]);
}

/** Kind, config and tensors of an lstm or swin model table (all batches), checked. `who` names errors. */
export async function readSeqModel(reader: TableReader, who: string): Promise<SeqModel> {
  const entries: WeightEntry[] = [];
  for (let i = 0; i < reader.numBatches; i++) entries.push(...batchToEntries(await reader.batch(i), `${who}: model table`));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new Error(`${who}: the model table lists tensor "${e.name}" twice; connect the model output of one lstm or swin node`);
    seen.add(e.name);
  }
  const kind = SEQ_MODES.find((k) => seen.has(configRow(k)));
  if (!kind) {
    const what = seen.has(configRow('cnn')) ? 'a cnn-trainer model (it belongs on an embedder)' : 'no "ctflow.lstm.config" or "ctflow.swin.config" row';
    throw new Error(`${who}: the model table holds ${what}; connect the model output of an lstm or swin node, or a weights-file of one`);
  }
  const row = entries.find((e) => e.name === configRow(kind))!;
  let config: { format?: string } & Record<string, unknown>;
  try {
    config = JSON.parse(new TextDecoder().decode(Uint8Array.from(row.data)));
  } catch (e) {
    throw new Error(`${who}: the model table's "${row.name}" row is not JSON (${(e as Error).message}); the table is corrupt`);
  }
  if (config.format !== format(kind)) throw new Error(`${who}: the model table's config ${JSON.stringify(config)} is not a ${format(kind)} config; retrain with this version of the ${kind} node`);
  const { format: _format, ...rest } = config;
  const lacking = NUMBERS[kind].filter((k) => !(Number.isInteger(rest[k]) && (rest[k] as number) > 0));
  if (lacking.length) throw new Error(`${who}: the model table's config ${JSON.stringify(config)} lacks ${lacking.join(', ')}; the table is corrupt`);
  return { kind, config: rest, entries: entries.filter((e) => e !== row) } as unknown as SeqModel;
}
