// A reader over one output of a partitioned node (engine/partitions.ts): the output files of its
// scans' entries read as one table, batches in scan order. Each file is opened when first read
// and the least recently read are closed, so a node of thousands of scans holds few descriptors.
// A batch that fails its checksum is reported with the key of the scan's own entry, so that only
// that scan is removed and recomputed.
import { ChecksumError, FileTableReader, type PortManifest } from './arrow-io.js';
import type { RecordBatch } from './arrow.js';

/** Files kept open once read (one being read is closed only when its reads are done). */
const OPEN_MAX = 16;

/** One scan's output file. */
export interface PartFile { scan: string; key: string; path: string; manifest: PortManifest }

/** A stored batch of one scan's entry does not match its checksum (or the entry is gone). */
export class PartitionChecksumError extends ChecksumError {
  constructor(readonly key: string, readonly scan: string, message: string) {
    super(`scan ${scan}: ${message}`);
  }
}

/** The key of the entry that failed: the scan's own when a partition failed, else `whole`. */
export function corruptKey(e: ChecksumError, whole: string): string {
  return e instanceof PartitionChecksumError ? e.key : whole;
}

export class PartitionedReader {
  readonly numBatches: number;
  readonly numRows: number;
  private readonly starts: number[] = [];
  private readonly open = new Map<number, FileTableReader>();
  private readonly reading = new Map<FileTableReader, number>();
  private readonly closing = new Set<FileTableReader>();

  constructor(private readonly parts: PartFile[]) {
    let n = 0;
    for (const p of parts) {
      this.starts.push(n);
      n += p.manifest.batches.length;
    }
    this.numBatches = n;
    this.numRows = parts.reduce((a, p) => a + p.manifest.rows, 0);
  }

  async batch(i: number): Promise<RecordBatch> {
    if (!(i >= 0 && i < this.numBatches)) throw new RangeError(`batch ${i} of ${this.numBatches}`);
    let k = this.parts.length - 1;
    while (this.starts[k] > i) k--;
    const part = this.parts[k];
    const r = this.file(k);
    this.reading.set(r, (this.reading.get(r) ?? 0) + 1);
    try {
      return await r.batch(i - this.starts[k]);
    } catch (e) {
      if (e instanceof ChecksumError) throw new PartitionChecksumError(part.key, part.scan, e.message);
      throw e;
    } finally {
      const left = this.reading.get(r)! - 1;
      if (left > 0) this.reading.set(r, left);
      else {
        this.reading.delete(r);
        if (this.closing.delete(r)) await r.close();
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    for (let i = 0; i < this.numBatches; i++) yield await this.batch(i);
  }

  async close(): Promise<void> {
    for (const r of [...this.open.values(), ...this.closing]) await r.close();
    this.open.clear();
    this.closing.clear();
  }

  private file(k: number): FileTableReader {
    let r = this.open.get(k);
    if (r) {
      this.open.delete(k); // most recent last
    } else {
      r = new FileTableReader(this.parts[k].path, this.parts[k].manifest);
      if (this.open.size >= OPEN_MAX) {
        const [oldest, o] = this.open.entries().next().value!;
        this.open.delete(oldest);
        if (this.reading.has(o)) this.closing.add(o);
        else void o.close();
      }
    }
    this.open.set(k, r);
    return r;
  }
}
