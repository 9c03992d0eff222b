// Apache Arrow, loaded from the package's single-file build: ~35 ms instead of ~230 ms for its
// many-module ESM build, which was most of a no-op rerun's start-up. Every module of the project
// imports Arrow values from here (type-only imports may name 'apache-arrow'), so there is one
// copy and instanceof holds between tables made in different modules. The single-file build
// lacks only the Node stream adapters, which ctflow does not use.
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

const A = createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof Arrow;

/* eslint-disable @typescript-eslint/no-redeclare */
export const Binary = A.Binary;
export type Binary = Arrow.Binary;
export const Field = A.Field;
export type Field<T extends Arrow.DataType = any> = Arrow.Field<T>;
export const Float32 = A.Float32;
export type Float32 = Arrow.Float32;
export const Float64 = A.Float64;
export type Float64 = Arrow.Float64;
export const Int8 = A.Int8;
export type Int8 = Arrow.Int8;
export const Int32 = A.Int32;
export type Int32 = Arrow.Int32;
export const List = A.List;
export type List<T extends Arrow.DataType = any> = Arrow.List<T>;
export const Utf8 = A.Utf8;
export type Utf8 = Arrow.Utf8;
export const Struct = A.Struct;
export const Schema = A.Schema;
export type Schema<T extends Arrow.TypeMap = any> = Arrow.Schema<T>;
export const RecordBatch = A.RecordBatch;
export type RecordBatch<T extends Arrow.TypeMap = any> = Arrow.RecordBatch<T>;
export const Table = A.Table;
export type Table<T extends Arrow.TypeMap = any> = Arrow.Table<T>;
export const RecordBatchFileWriter = A.RecordBatchFileWriter;
export type RecordBatchFileWriter = Arrow.RecordBatchFileWriter;
export const RecordBatchStreamWriter = A.RecordBatchStreamWriter;
export const RecordBatchReader = A.RecordBatchReader;
export const makeData = A.makeData;
export const vectorFromArray = A.vectorFromArray;
export const tableFromIPC = A.tableFromIPC;
export const tableToIPC = A.tableToIPC;
export type Data<T extends Arrow.DataType = any> = Arrow.Data<T>;
export type DataType = Arrow.DataType;
