// Port types: a name and its columns, each an Arrow type as Arrow prints it ('?' marks a nullable
// column). An output may feed an input when it carries every column the input declares, with the
// same type (extra columns are allowed). Checking that needs no Arrow; the Arrow schema is built
// when a table is first made or written. A port type may declare an exporter: how `ctflow export`
// writes its tables for people (slices as a folder of JPEG files); any port can be written as
// an Arrow IPC file without one.
import { Binary, Field, Float32, Float64, Int32, Int8, List, RecordBatch, Schema, Struct, Utf8, makeData, vectorFromArray, type Data, type DataType } from './arrow.js';
import type { LazyExport } from './lazy.js';

export type ColumnType = 'Utf8' | 'Int8' | 'Int32' | 'Float32' | 'Float64' | 'Binary' | 'List<Int32>' | 'List<Float32>';
/** Column name → type, in column order. */
export type Columns = Readonly<Record<string, ColumnType | `${ColumnType}?`>>;

export interface PortType {
  readonly name: string;
  readonly columns: Columns;
  readonly doc: string;
  /** The Arrow schema (built on first use). */
  readonly schema: Schema;
  /**
   * How `ctflow export` writes tables of this type out for people (slices: a folder of JPEG
   * slices): an `ExportTables` function, loaded on first use. Without one: Arrow IPC files only.
   */
  readonly exporter?: LazyExport;
}

export interface ExportOptions {
  /** Replace what an earlier export wrote at the same place. */
  overwrite: boolean;
  /** Quality 1..100 of a lossy format (the exporter's default when undefined). */
  quality?: number;
}

/** Writes every batch (one per scan, each verified) under `to`; returns a line saying what it wrote. */
export type ExportTables = (to: string, batches: AsyncIterable<RecordBatch>, options: ExportOptions) => Promise<string>;

const ARROW_TYPES: Record<ColumnType, () => DataType> = {
  Utf8: () => new Utf8(),
  Int8: () => new Int8(),
  Int32: () => new Int32(),
  Float32: () => new Float32(),
  Float64: () => new Float64(),
  Binary: () => new Binary(),
  'List<Int32>': () => new List(new Field('item', new Int32(), false)),
  'List<Float32>': () => new List(new Field('item', new Float32(), false)),
};

const baseType = (t: string) => t.replace(/\?$/, '');

export function portType(name: string, columns: Columns, doc: string, extra: { exporter?: LazyExport } = {}): PortType {
  let schema: Schema | undefined;
  const fields = () => Object.entries(columns).map(([column, t]) => new Field(column, ARROW_TYPES[baseType(t) as ColumnType](), t.endsWith('?')));
  return Object.freeze({ name, columns, doc, ...extra, get schema() { return (schema ??= new Schema(fields())); } });
}

/** The columns of an Arrow schema (a batch a node made), to check it against its port. */
export function columnsOf(schema: Schema): Columns {
  return Object.fromEntries(schema.fields.map((f) => [f.name, `${String(f.type)}${f.nullable ? '?' : ''}`])) as Columns;
}

/** Null when `out` can feed `inp`, else the reason it cannot. */
export function portMismatch(out: PortType, inp: PortType): string | null {
  for (const [column, want] of Object.entries(inp.columns)) {
    const got = out.columns[column];
    if (!got) return `table "${out.name}" has no column "${column}" required by "${inp.name}"`;
    if (baseType(got) !== baseType(want)) return `column "${column}" is ${baseType(got)} in "${out.name}" but "${inp.name}" needs ${baseType(want)}`;
  }
  return null;
}

export function describePort(p: PortType): string {
  return `${p.name}(${Object.entries(p.columns).map(([column, t]) => `${column}: ${baseType(t)}`).join(', ')})`;
}

/** Build one record batch of `port`'s schema from plain column arrays (one entry per row). */
export function makeBatch(port: PortType, columns: Record<string, ArrayLike<unknown>>): RecordBatch {
  const fields = port.schema.fields;
  const length = columns[fields[0].name]?.length ?? 0;
  const children = fields.map((f) => {
    const values = columns[f.name];
    if (!values) throw new Error(`makeBatch(${port.name}): column "${f.name}" missing`);
    if (values.length !== length) {
      throw new Error(`makeBatch(${port.name}): column "${f.name}" has ${values.length} rows, expected ${length}`);
    }
    if (f.type instanceof Binary && !f.nullable) return binaryData(values as ArrayLike<Uint8Array>);
    if (f.type instanceof List && values[0] instanceof Float32Array) return typedListData(f.type, new Float32(), values as ArrayLike<Float32Array>);
    if (f.type instanceof List && values[0] instanceof Int32Array) return typedListData(f.type, new Int32(), values as ArrayLike<Int32Array>);
    return vectorFromArray(Array.from(values), f.type as DataType).data[0];
  });
  const data = makeData({ type: new Struct(fields), length, nullCount: 0, children });
  return new RecordBatch(port.schema, data);
}

/** A non-null Binary column straight from byte arrays: one copy, no per-value builder work. */
function binaryData(values: ArrayLike<Uint8Array>): Data<Binary> {
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i] + values[i].byteLength;
  const data = new Uint8Array(offsets[values.length]);
  for (let i = 0; i < values.length; i++) data.set(values[i], offsets[i]);
  return makeData({ type: new Binary(), length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

/** A non-null List<Float32|Int32> column straight from typed arrays (embeddings, slice draws). */
function typedListData<T extends Float32 | Int32>(type: List, item: T, values: ArrayLike<Float32Array | Int32Array>): Data<List> {
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i] + values[i].length;
  const flat = item instanceof Float32 ? new Float32Array(offsets[values.length]) : new Int32Array(offsets[values.length]);
  for (let i = 0; i < values.length; i++) flat.set(values[i], offsets[i]);
  const child = makeData({ type: item, length: flat.length, nullCount: 0, data: flat } as never);
  return makeData({ type, length: values.length, nullCount: 0, valueOffsets: offsets, child });
}
