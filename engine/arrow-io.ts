// Arrow IPC files with a checksum per record batch. Files are ordinary Arrow IPC files (pyarrow,
// DuckDB and polars open them); the manifest beside them lists each batch's byte range and
// sha256, so every batch is verified before it is decoded and passed on.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { AsyncByteQueue, RecordBatch, RecordBatchFileWriter, RecordBatchReader, RecordBatchStreamWriter, type Schema } from './arrow.js';
import type { TableReader } from './types.js';

export interface BatchEntry { offset: number; length: number; rows: number; sha256: string }

export interface PortManifest {
  file: string;
  bytes: number;
  rows: number;
  /** The schema as an Arrow IPC stream message (base64), to decode batches read by range. */
  schema: string;
  batches: BatchEntry[];
}

/**
 * Streams record batches into one Arrow IPC file while they are produced. `write` resolves once
 * the batch is in the file, so a caller that awaits it holds no more batches than it has in hand.
 */
export class PortWriter {
  private writer?: RecordBatchFileWriter;
  private schema?: Schema;
  private readonly rows: number[] = [];
  /** What the Arrow writer produced since the last flush: views of the batches' own buffers. */
  private chunks: Uint8Array[] = [];
  /** The file writes so far, one after another. */
  private flushed: Promise<void> = Promise.resolve();
  private failed?: Error;

  private constructor(private readonly path: string, private readonly fh: FileHandle, private readonly fallback: Schema) {}

  static async open(path: string, schema: Schema): Promise<PortWriter> {
    return new PortWriter(path, await open(path, 'wx'), schema);
  }

  /** Resolves when the batch is written; rejects when the file cannot be (a full disk). */
  async write(batch: RecordBatch): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.writer) this.start(batch.schema);
    this.writer!.write(batch);
    this.rows.push(batch.numRows);
    await this.flush();
  }

  private start(schema: Schema) {
    this.schema = schema;
    // Arrow's writer hands its chunks (views of the batch's own buffers) to this sink as it
    // makes them, and flush(), which write() awaits, puts them in the file. Left in the writer's
    // own queue for an async loop to write, they waited for the event loop to turn, which a
    // group of synchronous nodes never lets it do: every batch of a run stayed alive till its end.
    const sink = new AsyncByteQueue();
    sink.write = (chunk: Uint8Array) => { this.chunks.push(chunk); };
    const writer = new RecordBatchFileWriter();
    writer.reset(sink, schema);
    this.writer = writer;
  }

  /** Write the chunks made so far, after the writes before them; the first failure is kept. */
  private async flush(): Promise<void> {
    const chunks = this.chunks;
    this.chunks = [];
    this.flushed = this.flushed.then(async () => {
      if (this.failed || !chunks.length) return;
      try {
        await this.fh.writev(chunks);
      } catch (e) {
        this.failed = new Error(`cannot write ${this.path}: ${(e as Error).message}`);
      }
    });
    await this.flushed;
    if (this.failed) throw this.failed;
  }

  /** Finish the file, flush it to disk and describe it. */
  async close(): Promise<PortManifest> {
    if (!this.writer) this.start(this.fallback);
    this.writer!.close();
    try {
      await this.flush();
    } catch (e) {
      await this.fh.close().catch(() => undefined);
      throw e;
    }
    await this.fh.sync();
    await this.fh.close();
    return describeFile(this.path, this.schema!, this.rows);
  }

  async abort(): Promise<void> {
    this.writer?.abort();
    this.chunks = [];
    await this.flushed;
    await this.fh.close().catch(() => undefined);
  }
}

/** Bytes read at a time to checksum a written batch. */
const PIECE = 2 ** 20;

async function describeFile(path: string, schema: Schema, rowCounts: number[]): Promise<PortManifest> {
  const fh = await open(path, 'r');
  try {
    const blocks = await batchBlocks(fh, path);
    if (blocks.length !== rowCounts.length) throw new Error(`${path}: wrote ${rowCounts.length} batches, file holds ${blocks.length}`);
    const batches: BatchEntry[] = [];
    // Read back in pieces through one buffer, not a fresh buffer the size of each batch: a
    // per-scan entry is closed once a scan, and a 10–20 MiB buffer a scan was memory the C
    // allocator kept (issue 23).
    const piece = Buffer.allocUnsafeSlow(Math.min(PIECE, Math.max(0, ...blocks.map((b) => b.length))));
    for (let i = 0; i < blocks.length; i++) {
      const hash = createHash('sha256');
      for (let at = 0; at < blocks[i].length; at += piece.length) {
        hash.update(await readRange(fh, blocks[i].offset + at, Math.min(piece.length, blocks[i].length - at), piece));
      }
      batches.push({ ...blocks[i], rows: rowCounts[i], sha256: hash.digest('hex') });
    }
    const rows = rowCounts.reduce((a, b) => a + b, 0);
    const { size } = await fh.stat();
    return { file: path.split('/').pop()!, bytes: size, rows, schema: Buffer.from(schemaMessage(schema)).toString('base64'), batches };
  } finally {
    await fh.close();
  }
}

/**
 * Byte ranges of the record batch messages of an Arrow IPC file, found by walking its messages
 * from the start (8-byte magic, then continuation marker, metadata length, flatbuffer Message
 * metadata and body, up to the end-of-stream marker) — the file's footer is not needed.
 */
async function batchBlocks(fh: FileHandle, path: string): Promise<{ offset: number; length: number }[]> {
  const blocks: { offset: number; length: number }[] = [];
  let at = 8;
  for (;;) {
    const head = Buffer.from(await readRange(fh, at, 8));
    const metaLen = head.readInt32LE(head.readUInt32LE(0) === 0xffffffff ? 4 : 0);
    if (metaLen === 0) return blocks;
    const meta = Buffer.from(await readRange(fh, at + 8, metaLen));
    const { headerType, bodyLength } = messageFields(meta, path);
    const length = 8 + metaLen + bodyLength;
    if (headerType === RECORD_BATCH) blocks.push({ offset: at, length });
    at += length;
  }
}

const RECORD_BATCH = 3;

/** header_type (field 1, ubyte) and bodyLength (field 3, int64) of a flatbuffer Message table. */
function messageFields(buf: Buffer, path: string): { headerType: number; bodyLength: number } {
  const table = buf.readUInt32LE(0);
  const vtable = table - buf.readInt32LE(table);
  const vsize = buf.readUInt16LE(vtable);
  const field = (i: number) => (4 + 2 * i < vsize ? buf.readUInt16LE(vtable + 4 + 2 * i) : 0);
  const ht = field(1);
  const bl = field(3);
  if (!ht) throw new Error(`${path}: an IPC message without a header type`);
  return { headerType: buf.readUInt8(table + ht), bodyLength: bl ? Number(buf.readBigInt64LE(table + bl)) : 0 };
}

/** The schema alone as an IPC stream message (without the end-of-stream marker). */
function schemaMessage(schema: Schema): Uint8Array {
  const w = new RecordBatchStreamWriter();
  w.reset(undefined, schema);
  w.close();
  const bytes = w.toUint8Array(true);
  return bytes.subarray(0, bytes.length - 8);
}

/** The record batch of a stream holding the schema message and then the batch's block. */
async function decode(stream: Uint8Array): Promise<RecordBatch> {
  const reader = RecordBatchReader.from(stream);
  const r = reader.next();
  if (r.done || !r.value) throw new Error('no record batch in block');
  return r.value;
}

/** `length` bytes from `offset`, in `into` when given (the first `length` bytes of it). */
async function readRange(fh: FileHandle, offset: number, length: number, into?: Buffer): Promise<Uint8Array> {
  const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) throw new Error(`file ends at byte ${offset + got}, expected ${offset + length}`);
    got += bytesRead;
  }
  return buf;
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Thrown when a stored batch does not match its checksum or cannot be decoded. */
export class ChecksumError extends Error {}

/** Random-access reader over one stored port; each batch is verified before it is decoded. */
export class FileTableReader implements TableReader {
  private fh?: Promise<FileHandle>;
  private readonly schemaMsg: Uint8Array;

  constructor(private readonly path: string, private readonly manifest: PortManifest) {
    this.schemaMsg = Buffer.from(manifest.schema, 'base64');
  }

  get numBatches(): number { return this.manifest.batches.length; }
  get numRows(): number { return this.manifest.rows; }

  async batch(i: number): Promise<RecordBatch> {
    const entry = this.manifest.batches[i];
    if (!entry) throw new RangeError(`batch ${i} of ${this.numBatches}`);
    this.fh ??= open(this.path, 'r');
    // the block is read straight after a copy of the schema message: one buffer a batch, decoded
    // as it is (not read, then copied behind the schema)
    const stream = Buffer.allocUnsafe(this.schemaMsg.length + entry.length);
    stream.set(this.schemaMsg, 0);
    let bytes: Uint8Array;
    try {
      bytes = await readRange(await this.fh, entry.offset, entry.length, stream.subarray(this.schemaMsg.length));
    } catch (e) {
      throw new ChecksumError(`${this.path}: batch ${i}: ${(e as Error).message}`);
    }
    if (sha(bytes) !== entry.sha256) throw new ChecksumError(`${this.path}: batch ${i} does not match its checksum`);
    try {
      return await decode(stream);
    } catch (e) {
      throw new ChecksumError(`${this.path}: batch ${i} cannot be decoded: ${(e as Error).message}`);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    for (let i = 0; i < this.numBatches; i++) yield await this.batch(i);
  }

  async close(): Promise<void> {
    if (this.fh) await (await this.fh).close().catch(() => undefined);
    this.fh = undefined;
  }
}
