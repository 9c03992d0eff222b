// A record batch with one Binary column whose bytes are computed on first read. The column's
// offsets (each row's size) are known up front, so the batch has its full shape and passes port
// checks; the values buffer is a getter on the column's Data that runs `fill` once. Arrow reads
// values through that property (vectors, the IPC writer), so a reader cannot tell the difference.
// `fill` writes each row where it goes in the column's one buffer: no array a row is made and
// copied (issue 23: a stored chain's per-slice arrays fragmented the allocator's heap).
import type { RecordBatch } from 'apache-arrow';
import { Binary, makeData, RecordBatch as Batch, Struct, vectorFromArray, type DataType } from '../../../engine/arrow.js';
import type { PortType } from '../../../engine/ports.js';
import { scanBytes } from '../scan-pixels.js';

/** Where a lazy column's values go: `alloc(bytes)` makes the buffer, `filled(values)` is told once it holds every row. */
export interface LazyValues {
  alloc?: (bytes: number) => Uint8Array;
  filled?: (values: Uint8Array, offsets: Int32Array) => void;
}

/** Writes a lazy column's rows: `rows[i]` is row i's place in the column's buffer, of its size. */
export type FillRows = (rows: Uint8Array[]) => void;

/** Fill `rows` with copies of `arrays`, each checked against its row's size (`what` names the column). */
export function copyRows(rows: Uint8Array[], arrays: readonly Uint8Array[], what: string): void {
  arrays.forEach((a, i) => {
    if (a.byteLength !== rows[i].byteLength) throw new Error(`${what}: row ${i} has ${a.byteLength} bytes, ${rows[i].byteLength} expected`);
    rows[i].set(a);
  });
}

/**
 * `port`'s batch with `columns` as given and `field` (Binary, non-null) lazy: row i has `sizes[i]`
 * bytes, which `fill` writes into one buffer (`how.alloc`'s, else a new one) when first read.
 */
export function lazyBatch(port: PortType, columns: Record<string, unknown[]>, field: string, sizes: readonly number[], fill: FillRows, how: LazyValues = {}): RecordBatch {
  const n = sizes.length, valueOffsets = new Int32Array(n + 1);
  sizes.forEach((s, i) => { valueOffsets[i + 1] = valueOffsets[i] + s; });
  const fields = port.schema.fields;
  const children = fields.map((f) => {
    if (f.name !== field) return vectorFromArray(columns[f.name], f.type as DataType).data[0];
    const data = makeData({ type: new Binary(), length: n, nullCount: 0, valueOffsets, data: new Uint8Array(0) });
    let values: Uint8Array | undefined;
    Object.defineProperty(data, 'values', {
      configurable: true,
      enumerable: true,
      get() {
        if (!values) {
          const all = how.alloc?.(valueOffsets[n]) ?? scanBytes(valueOffsets[n]); // a scan's column: a mapping of its own (issue 23)
          fill(sizes.map((_, i) => all.subarray(valueOffsets[i], valueOffsets[i + 1])));
          values = all;
          how.filled?.(all, valueOffsets);
        }
        return values;
      },
    });
    return data;
  });
  return new Batch(port.schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
}
