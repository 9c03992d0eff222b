// Apache Arrow, loaded from the package's single-file build: ~35 ms instead of ~230 ms for its
// many-module ESM build. Every module of the project imports Arrow values from here (type-only
// imports may name 'apache-arrow'), so there is one copy and instanceof holds between tables made
// in different modules. The single-file build lacks only the Node stream adapters, which ctflow
// does not use. Arrow is loaded on first use, not on import: a no-op rerun, `validate`, `dag` and
// `status` read manifests and port columns (engine/ports.ts) and never touch a table (~30 ms of
// a fresh process).
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

const require = createRequire(import.meta.url);
let loaded: typeof Arrow | undefined;
const arrow = () => (loaded ??= require('apache-arrow/Arrow.esnext.min') as typeof Arrow);

/** Arrow's export `name`, loaded when first constructed, called or read (statics and
 * `instanceof` go to the real class: functions read through the stand-in are bound to it). */
function lazy<K extends keyof typeof Arrow>(name: K): (typeof Arrow)[K] {
  const real = () => arrow()[name] as unknown as (...args: unknown[]) => unknown;
  const standIn = function () {} as unknown as (...args: unknown[]) => unknown;
  return new Proxy(standIn, {
    construct: (_t, args) => Reflect.construct(real(), args),
    apply: (_t, self, args) => Reflect.apply(real(), self, args),
    get: (_t, key) => {
      const value = Reflect.get(real(), key) as unknown;
      return typeof value === 'function' && key !== 'prototype' ? value.bind(real()) : value;
    },
  }) as unknown as (typeof Arrow)[K];
}

export const Binary = lazy('Binary');
export type Binary = Arrow.Binary;
export const Field = lazy('Field');
export type Field<T extends Arrow.DataType = any> = Arrow.Field<T>;
export const Float32 = lazy('Float32');
export type Float32 = Arrow.Float32;
export const Float64 = lazy('Float64');
export type Float64 = Arrow.Float64;
export const Int8 = lazy('Int8');
export type Int8 = Arrow.Int8;
export const Int32 = lazy('Int32');
export type Int32 = Arrow.Int32;
export const List = lazy('List');
export type List<T extends Arrow.DataType = any> = Arrow.List<T>;
export const Utf8 = lazy('Utf8');
export type Utf8 = Arrow.Utf8;
export const Struct = lazy('Struct');
export const Schema = lazy('Schema');
export type Schema<T extends Arrow.TypeMap = any> = Arrow.Schema<T>;
export const RecordBatch = lazy('RecordBatch');
export type RecordBatch<T extends Arrow.TypeMap = any> = Arrow.RecordBatch<T>;
export const Table = lazy('Table');
export type Table<T extends Arrow.TypeMap = any> = Arrow.Table<T>;
export const AsyncByteQueue = lazy('AsyncByteQueue');
export const RecordBatchFileWriter = lazy('RecordBatchFileWriter');
export type RecordBatchFileWriter = Arrow.RecordBatchFileWriter;
export const RecordBatchStreamWriter = lazy('RecordBatchStreamWriter');
export const RecordBatchReader = lazy('RecordBatchReader');
export const makeData = lazy('makeData');
export const vectorFromArray = lazy('vectorFromArray');
export const tableFromIPC = lazy('tableFromIPC');
export const tableToIPC = lazy('tableToIPC');
export type Data<T extends Arrow.DataType = any> = Arrow.Data<T>;
export type DataType = Arrow.DataType;
