// One DICOM file's header: what grouping, ordering and decoding need, read without the pixels
// (dicom-parser stops at the Pixel Data tag; usually only the file's first 64 KiB are read).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { DataSet } from 'dicom-parser';
import type { PixelModule } from './hu.js';

export const PIXEL_DATA = 'x7fe00010';

export type Codec = 'native' | 'rle' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000';

/** The transfer syntaxes read; deflated data sets are inflated (zlib inflateRaw) by dicom-parser. */
export const TRANSFER_SYNTAXES: Readonly<Record<string, { name: string; codec: Codec; bigEndian?: true }>> = {
  '1.2.840.10008.1.2': { name: 'implicit VR little endian', codec: 'native' },
  '1.2.840.10008.1.2.1': { name: 'explicit VR little endian', codec: 'native' },
  '1.2.840.10008.1.2.1.99': { name: 'deflated explicit VR little endian', codec: 'native' },
  '1.2.840.10008.1.2.2': { name: 'explicit VR big endian', codec: 'native', bigEndian: true },
  '1.2.840.10008.1.2.5': { name: 'RLE lossless', codec: 'rle' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG lossless', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG lossless SV1', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS lossless', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS near-lossless', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 lossless', codec: 'jpeg2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'jpeg2000' },
};

/**
 * Image storage SOP classes (CR, DX, CT, enhanced CT, MR, enhanced MR, secondary capture, NM, PET):
 * a file of one of these without Rows and Pixel Data is damaged, not a file without an image.
 */
const IMAGE_STORAGE = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(1|1\.1|1\.1\.1|2|2\.1|2\.2|4|4\.1|7|20|128)$/;

/** Largest slice read (the header's Rows × Columns); CT is 512² to 1024², radiographs up to ~4300². */
const MAX_SIDE = 8192;
const MAX_PIXELS = MAX_SIDE * MAX_SIDE;

export interface SliceHeader {
  file: string;
  seriesUid: string;
  /** ImageType values, upper case (e.g. ORIGINAL, PRIMARY, AXIAL | LOCALIZER). */
  imageType: string[];
  instanceNumber: number | null;
  position: number[] | null;
  orientation: number[] | null;
  /** PixelSpacing's first value: the distance between rows, mm. */
  pixelMm: number | null;
  rows: number;
  cols: number;
  transferSyntax: string;
  pixel: PixelModule;
}

/** A file that cannot be used, and why (the caller decides between failing and skipping). */
export class DicomFileError extends Error {
  /** `io`: the file could not be read at all (may pass); else its content is wrong (stays so while it is unchanged). */
  constructor(readonly file: string, readonly reason: string, readonly io = false) {
    super(`${file}: ${reason}`);
    this.name = 'DicomFileError';
  }
}

type Parser = typeof import('dicom-parser');
let parser: Promise<Parser> | undefined;

/** dicom-parser, loaded on first use (it is a CommonJS bundle: its API is the default export). */
export function dicomParser(): Promise<Parser> {
  parser ??= import('dicom-parser').then((m) => (m as unknown as { default: Parser }).default);
  return parser;
}

/** Parse a whole file's bytes, or only up to the Pixel Data element. */
export async function parseDataSet(file: string, bytes: Uint8Array, untilPixelData: boolean): Promise<DataSet> {
  if (bytes.length < 132 || new TextDecoder().decode(bytes.subarray(128, 132)) !== 'DICM') {
    throw new DicomFileError(file, 'not a DICOM file (no "DICM" marker at byte 128; files without the Part 10 header are not read)');
  }
  const dp = await dicomParser();
  let ds: DataSet;
  try {
    ds = dp.parseDicom(bytes, untilPixelData ? { untilTag: PIXEL_DATA } : undefined);
  } catch (e) {
    const inner = (e as { exception?: unknown } | null)?.exception ?? e; // dicom-parser throws strings or wrappers
    throw new DicomFileError(file, `the DICOM data set does not parse (${inner instanceof Error ? inner.message : String(inner)}): the file is damaged or truncated`);
  }
  // dicom-parser checks lengths against the end of the bytes for explicit VR only: an implicit VR
  // data set (or explicit data read as implicit under a wrong transfer syntax) parses "cleanly"
  // into elements that run past the end, and would pass for a file without an image.
  const end = ds.byteArray.length;
  const over = Object.values(ds.elements).find((el) => el.tag !== PIXEL_DATA && !el.hadUndefinedLength && el.dataOffset + el.length > end);
  if (over) {
    const tag = `${over.tag.slice(1, 5)},${over.tag.slice(5)}`.toUpperCase();
    throw new DicomFileError(file, `element (${tag}) claims ${over.length} bytes but only ${Math.max(0, end - over.dataOffset)} follow it: ` +
      `the file is truncated or damaged, or its transfer syntax ${ds.string('x00020010') || '(none)'} is not the one it was written in`);
  }
  return ds;
}

const HEAD_BYTES = 64 * 1024;

/**
 * The header of `file`, or null when it is DICOM but not an image (DICOMDIR, report, RT plan…).
 * Read into `into` (planning reuses one for each read it has in flight: a fresh 64 KiB buffer a
 * file was ≈ 580 MB through the allocator's heap for 9,000 files).
 */
export async function readHeader(file: string, into = new ReadBuffer()): Promise<SliceHeader | null> {
  const { head, size } = await into.readHeadAsync(file, HEAD_BYTES);
  let ds: DataSet | undefined;
  if (head.length < size) ds = await parseDataSet(file, head, true).catch(() => undefined);
  let dataEnd = size; // where the data set's bytes end, for the truncation check
  if (!ds?.elements[PIXEL_DATA]) {
    ds = await parseDataSet(file, head.length < size ? await into.read(file) : head, true);
    dataEnd = ds.byteArray.length; // inflated length for a deflated data set
  }
  return headerOf(file, ds, dataEnd);
}

/** "Pixel Data holds N of the M bytes …" */
export function truncated(have: number, need: number, h: { rows: number; cols: number; pixel: PixelModule }): string {
  return `Pixel Data holds ${Math.max(0, have)} of the ${need} bytes that ${h.rows}×${h.cols} samples of ` +
    `${h.pixel.bitsAllocated} bits need: the file is truncated`;
}

/** The header in a parsed data set whose bytes end at `dataEnd`, or null for DICOM without an image. */
export function headerOf(file: string, ds: DataSet, dataEnd: number): SliceHeader | null {
  const fail = (reason: string) => new DicomFileError(file, reason);
  const pixelData = ds.elements[PIXEL_DATA];
  const rows = ds.uint16('x00280010');
  const cols = ds.uint16('x00280011');
  if (!pixelData && rows === undefined) {
    const sopClass = ds.string('x00020002') ?? '';
    if (!IMAGE_STORAGE.test(sopClass)) return null;
    throw fail(`neither Rows nor Pixel Data, yet its SOP class ${sopClass} (0002,0002) is an image storage: the file is truncated or damaged`);
  }
  if (!pixelData) throw fail('an image header without Pixel Data (7FE0,0010): the file is truncated');
  const transferSyntax = ds.string('x00020010') ?? '';
  const syntax = TRANSFER_SYNTAXES[transferSyntax];
  if (!syntax) {
    throw fail(`transfer syntax ${transferSyntax || '(none)'} is not read (read: ${Object.values(TRANSFER_SYNTAXES).map((s) => s.name).join(', ')}); ` +
      'convert the file first, e.g. "gdcmconv --raw in.dcm out.dcm"');
  }
  const seriesUid = ds.string('x0020000e');
  if (!seriesUid) throw fail('no SeriesInstanceUID (0020,000E): cannot tell which scan it belongs to');
  if (!rows || !cols) throw fail('Rows or Columns missing or 0');
  if (rows * cols > MAX_PIXELS) throw fail(`Rows × Columns ${rows}×${cols} is more than the ${MAX_SIDE}×${MAX_SIDE} pixels read: the header is damaged`);
  const samplesPerPixel = ds.uint16('x00280002') ?? 1;
  if (samplesPerPixel !== 1) throw fail(`${samplesPerPixel} samples per pixel (colour): only greyscale images are read`);
  const frames = ds.intString('x00280008') ?? 1;
  if (frames !== 1) throw fail(`${frames} frames in one file (multi-frame / enhanced DICOM) are not read`);
  const pixel = pixelModule(ds, fail);
  const header: SliceHeader = {
    file,
    seriesUid,
    imageType: (ds.string('x00080008') ?? '').split('\\').map((t) => t.trim().toUpperCase()),
    instanceNumber: numbers(ds, 'x00200013', 1)?.[0] ?? null,
    position: numbers(ds, 'x00200032', 3),
    orientation: numbers(ds, 'x00200037', 6),
    pixelMm: numbers(ds, 'x00280030', 1)?.[0] ?? null,
    rows,
    cols,
    transferSyntax,
    pixel,
  };
  if (syntax.codec === 'native' && !pixelData.hadUndefinedLength) {
    const need = (rows * cols * pixel.bitsAllocated) / 8;
    const have = Math.min(pixelData.length, dataEnd - pixelData.dataOffset);
    if (have < need) throw fail(truncated(have, need, header));
  }
  return header;
}

function pixelModule(ds: DataSet, fail: (reason: string) => DicomFileError): PixelModule {
  const bitsAllocated = ds.uint16('x00280100');
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw fail(`BitsAllocated ${bitsAllocated ?? '(none)'} is not read (8 or 16)`);
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw fail(`BitsStored ${bitsStored} and HighBit ${highBit} do not fit BitsAllocated ${bitsAllocated}`);
  }
  const rescale = (tag: string, name: string, absent: number) => {
    if (!ds.elements[tag] || !ds.string(tag)) return absent;
    const v = ds.floatString(tag);
    if (v === undefined || !Number.isFinite(v)) throw fail(`${name} "${ds.string(tag)}" is not a number`);
    return v;
  };
  const raw = (tag: string) => {
    const el = ds.elements[tag];
    if (!el || el.length === 0) return null;
    return el.length >= 4 ? ds.uint32(tag)! : ds.uint16(tag)!;
  };
  const padValue = raw('x00280120');
  return {
    bitsAllocated,
    bitsStored,
    highBit,
    signed: ds.uint16('x00280103') === 1,
    slope: rescale('x00281053', 'RescaleSlope', 1),
    intercept: rescale('x00281052', 'RescaleIntercept', 0),
    padding: padValue === null ? null : { value: padValue, limit: raw('x00280121') },
  };
}

/** The first n numbers of a DS/IS element, or null when it is absent, short or not numeric. */
function numbers(ds: DataSet, tag: string, n: number): number[] | null {
  if ((ds.numStringValues(tag) ?? 0) < n) return null;
  const v = Array.from({ length: n }, (_, i) => ds.floatString(tag, i) ?? NaN);
  return v.every(Number.isFinite) ? v : null;
}

/**
 * A buffer that files are read into in turn, grown to the largest read: a 512² slice read into a
 * fresh Buffer each was ≈ 0.5 MiB of garbage per file, which the allocator's heap kept (issue 23).
 * What was read is valid until the next read.
 */
export class ReadBuffer {
  private buf = Buffer.alloc(0);

  /**
   * The whole file, in this buffer (I/O errors become a DicomFileError naming it). Read with
   * blocking calls: open, fstat, read, close on the calling thread cost less CPU than four trips
   * through libuv's thread pool for a file (a worker reads a series' files one after another).
   */
  async read(file: string): Promise<Buffer> {
    return this.readHead(file, Infinity).head;
  }

  /**
   * The file's first `max` bytes (all of it when shorter), in this buffer, and the file's size,
   * without blocking this thread: planning keeps several of these in flight, which a cold disk
   * answers together (blocking reads one after another: `ctflow status` of 5,440 files, caches
   * dropped, 5.4 s against 4.3–4.8).
   */
  async readHeadAsync(file: string, max: number): Promise<{ head: Buffer; size: number }> {
    try {
      const handle = await open(file);
      try {
        const size = (await handle.stat()).size, want = Math.min(size, max);
        const head = this.room(want);
        let got = 0;
        for (let n: number; got < want && (n = (await handle.read(head, got, want - got, got)).bytesRead) > 0;) got += n;
        return { head: head.subarray(0, got), size };
      } finally {
        await handle.close();
      }
    } catch (e) {
      throw new DicomFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, true);
    }
  }

  /** This buffer, grown to at least `bytes`. */
  private room(bytes: number): Buffer {
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafeSlow(bytes); // its own ArrayBuffer: offset 0, 16-bit aligned
    return this.buf;
  }

  /** The file's first `max` bytes (all of it when shorter), in this buffer, and the file's size. */
  private readHead(file: string, max: number): { head: Buffer; size: number } {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      const size = fstatSync(fd).size, want = Math.min(size, max), head = this.room(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, head, got, want - got, got);
        if (n === 0) break; // shrunk while read: what is there is parsed (and found truncated)
        got += n;
      }
      return { head: head.subarray(0, got), size };
    } catch (e) {
      throw new DicomFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, true);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
