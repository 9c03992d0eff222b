// The files a command node shares with its program: each input written whole as an Arrow IPC
// file, each output read back, checked against its port type and rebuilt with that exact schema
// (pyarrow marks every field nullable; what matters is the columns, their types and no nulls
// where the port allows none).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PortWriter } from '../../../engine/arrow-io.js';
import { makeData, RecordBatch, Struct, tableFromIPC, type Table } from '../../../engine/arrow.js';
import { describePort, type PortType } from '../../../engine/ports.js';
import type { TableReader } from '../../../engine/types.js';

/** Write every batch of `reader` to `file` (an Arrow IPC file of the upstream node's schema). */
export async function writeInput(file: string, reader: TableReader, port: PortType): Promise<void> {
  const writer = await PortWriter.open(file, port.schema);
  try {
    for await (const batch of reader) await writer.write(batch);
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** The batches of the program's output `file` for `name`, with exactly `port`'s schema. */
export async function readOutput(file: string, name: string, port: PortType): Promise<RecordBatch[]> {
  const fix = `write it as an Arrow IPC file with ${describePort(port)}`;
  if (!existsSync(file)) throw new Error(`the program wrote no output "${name}": ${file} does not exist; ${fix}`);
  let table: Table;
  try {
    table = tableFromIPC(await readFile(file));
  } catch (e) {
    throw new Error(`output "${name}" (${file}) is not an Arrow IPC file: ${(e as Error).message}; ${fix}`);
  }
  const problems = schemaProblems(table, port);
  if (problems.length) {
    const found = table.schema.fields.map((f) => `${f.name}: ${f.type}`).join(', ') || 'no columns';
    throw new Error(`output "${name}" (${file}) does not match port type "${port.name}": ${problems.join('; ')}\n` +
      `  expected ${describePort(port)}\n  found    ${found}`);
  }
  return table.batches.map((b) => conform(b, port));
}

function schemaProblems(table: Table, port: PortType): string[] {
  const have = new Map(table.schema.fields.map((f) => [f.name, f]));
  const problems: string[] = [];
  for (const want of port.schema.fields) {
    const got = have.get(want.name);
    if (!got) problems.push(`no column "${want.name}"`);
    else if (String(got.type) !== String(want.type)) problems.push(`column "${want.name}" is ${got.type}, needs ${want.type}`);
    else if (!want.nullable && table.batches.some((b) => b.getChild(want.name)!.nullCount > 0)) problems.push(`column "${want.name}" has nulls, which "${port.name}" does not allow`);
  }
  return problems;
}

/** The batch's columns of `port`, in its order, under its schema (extra columns are dropped). */
function conform(batch: RecordBatch, port: PortType): RecordBatch {
  const children = port.schema.fields.map((f) => batch.getChild(f.name)!.data[0]);
  return new RecordBatch(port.schema, makeData({ type: new Struct(port.schema.fields), length: batch.numRows, nullCount: 0, children }));
}
