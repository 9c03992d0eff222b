// Port types are Arrow schemas with a name. An output may feed an input when it carries every
// field the input declares, with the same Arrow type (extra fields are allowed).
import { Binary, Field, Float32, Int32, List, RecordBatch, Schema, Struct, makeData, vectorFromArray, type Data, type DataType } from './arrow.js';

export interface PortType {
  readonly name: string;
  readonly schema: Schema;
  readonly doc: string;
}

export function portType(name: string, fields: Field[], doc: string): PortType {
  return Object.freeze({ name, schema: new Schema(fields), doc });
}

/** Null when `out` can feed `inp`, else the reason it cannot. */
export function portMismatch(out: PortType, inp: PortType): string | null {
  const have = new Map(out.schema.fields.map((f) => [f.name, f]));
  for (const want of inp.schema.fields) {
    const got = have.get(want.name);
    if (!got) return `table "${out.name}" has no column "${want.name}" required by "${inp.name}"`;
    if (String(got.type) !== String(want.type)) {
      return `column "${want.name}" is ${got.type} in "${out.name}" but "${inp.name}" needs ${want.type}`;
    }
  }
  return null;
}

export function describePort(p: PortType): string {
  return `${p.name}(${p.schema.fields.map((f) => `${f.name}: ${f.type}`).join(', ')})`;
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
