// Decode JPEG slices to a single grey channel: with sharp, or (decodeSlices, a scan's slices as HU)
// with libjpeg-turbo (native addon or WebAssembly) on worker threads where it gives the same bytes. The file is
// read only if it is a regular file under a size cap (readSliceFile), and only JPEG content of 1 or
// 3 components is decoded (sniffJpeg): CMYK and other formats behind a .jpg name are refused by name.
import { sharedPool } from '../lung/shared-pool.js';
import type { ScanGather } from '../scan-gather.js';
import { greyToHu } from './hu.js';
import { DatasetChanged, firstLine, readSliceFile, unread } from './read-file.js';
import { mapLimit } from './map-limit.js';
import { MAX_SIDE, sniffJpeg } from './sniff.js';
import { blank, type SliceRead } from './chunk-reader.js';

export interface GreySlice {
  width: number;
  height: number;
  /** One byte per pixel, row-major. */
  grey: Uint8Array;
}

/** A slice's HU (int16, platform byte order, row-major). */
export interface HuSlice {
  width: number;
  height: number;
  hu: Int16Array;
}

export { MAX_SIDE };

/** sharp, loaded on first use (its native library is not loaded by a process that decodes nothing). */
const loadSharp = () => import('sharp').then((m) => m.default);
let sharpModule: ReturnType<typeof loadSharp> | undefined;

/**
 * libjpeg warnings that leave the pixels intact: junk between marker segments, scan parameters a
 * baseline decoder ignores. Every other warning ("bad Huffman code", "premature end of data
 * segment": damaged entropy-coded data, filled in with grey) makes the slice unreadable.
 */
const HARMLESS = /extraneous bytes before marker|Invalid SOS parameters for sequential JPEG/;

/**
 * The slice's grey levels, or a reason it cannot be used ("unreadable: …", "blank: …"), through
 * sharp. 'strict' fails on any libjpeg warning; 'lenient' lets the HARMLESS ones pass. Which
 * warning it was is read from libvips's error buffer, which all of its threads share
 * (lovell/sharp#902): decode leniently only while no other slice is being decoded, or the message
 * may be another's. A file gone or changed under the read is DatasetChanged.
 */
export async function decodeGrey(file: string, mode: 'strict' | 'lenient' = 'lenient'): Promise<GreySlice | { reason: string }> {
  const r = readOnMain(file);
  return 'bytes' in r ? decodeBytes(r.bytes, mode) : r;
}

/**
 * A scan's slices as HU through `table` (hu.ts), or the reason each one is skipped: what
 * decodeGrey(file) gives, through the table. One-component 8-bit JPEGs are read, checked, decoded
 * by libjpeg-turbo and converted on the lung pool's workers (chunk-reader.ts: the same
 * bytes as sharp's, at less CPU, off this thread), CHUNK slices a task, every task queued at once
 * (this thread's own work would otherwise leave the workers idle); whatever they do not decode
 * cleanly is decoded here by sharp from the bytes they read, SHARP_IN_FLIGHT at a time, strictly,
 * and a slice that fails is decoded again alone, leniently (libvips's shared error buffer: its
 * reason, and whether a warning was harmless, are then its own). A read that met a change of the
 * dataset is DatasetChanged. CTFLOW_JPEG_WASM=0 reads every slice here and decodes it with sharp.
 * With `gather` (a stored source), each slice is copied to its file's place in the scan's buffer as
 * its chunk comes back, and the chunk's slab is given back then (scan-gather.ts).
 */
export async function decodeSlices(files: readonly string[], table: Int16Array, gather?: ScanGather): Promise<(HuSlice | { reason: string })[]> {
  const read: (SliceRead | null)[] = [];                // null: no worker read it (read here, when its turn comes)
  const hus: (Int16Array | undefined)[] = [];           // per slice a worker decoded, its HU
  const chunks = Array.from({ length: Math.ceil(files.length / CHUNK) }, (_, k) => files.slice(k * CHUNK, (k + 1) * CHUNK));
  const decoded = useWasm() ? await Promise.all(chunks.map((c, k) => sharedPool().decodeJpegFiles(c, table).then((chunk) => {
    const each = chunk.slices.map((r) => ('at' in r ? chunk.pixels.subarray(r.at, r.at + r.width * r.height) : undefined));
    if (!gather) return { chunk, each };
    // stored: each slice to its place in the scan's buffer (one of another size: a copy of its own), the slab back now
    const placed = each.map((hu, j) => hu && (gather.place(k * CHUNK + j, hu) ?? hu.slice()));
    sharedPool().giveBack([chunk.pixels.buffer]);
    return { chunk, each: placed };
  }))) : [];
  for (const [k, c] of chunks.entries()) {
    read.push(...(decoded[k]?.chunk.slices ?? c.map(() => null)));
    hus.push(...(decoded[k]?.each ?? c.map(() => undefined)));
  }
  // a chunk none of whose slices is returned (refused, blank, or sharp's), or all of them when the
  // dataset changed, goes back to the pool now; the others when their scan's step ends (slab-batch.ts)
  const chunkBuffers = decoded.map((d) => d.chunk.pixels.buffer);
  const changed = read.find((r) => r && 'changed' in r) as { changed: string } | undefined;
  if (changed) {
    sharedPool().giveBack(chunkBuffers);
    throw new DatasetChanged(changed.changed);
  }
  const viaSharp = async (bytes: Uint8Array, mode: 'strict' | 'lenient') => {
    const g = await decodeBytes(bytes, mode);
    if ('reason' in g) return g;
    const hu = new Int16Array(g.grey.length);
    greyToHu(g.grey, table, hu);
    return { width: g.width, height: g.height, hu };
  };
  const out = await mapLimit(read, SHARP_IN_FLIGHT, async (w, i): Promise<HuSlice | { reason: string }> => {
    const r = w ?? (read[i] = readOnMain(files[i]));
    if ('bytes' in r) return viaSharp(r.bytes, 'strict');
    if ('at' in r) return { width: r.width, height: r.height, hu: hus[i]! };
    return r as { reason: string };
  });
  for (const [i, r] of read.entries()) {
    const o = out[i];
    if (r && 'bytes' in r && 'reason' in o && o.reason.startsWith('unreadable')) out[i] = await viaSharp(r.bytes, 'lenient');
    const s = out[i];
    if (gather && r && 'bytes' in r && 'hu' in s) s.hu = gather.place(i, s.hu) ?? s.hu; // sharp's, to its place too
  }
  const used = new Set(out.map((o) => ('hu' in o ? o.hu.buffer : undefined)));
  if (chunkBuffers.length > 0) sharedPool().giveBack(chunkBuffers.filter((b) => !used.has(b)));
  return out;
}

const CHUNK = 8, SHARP_IN_FLIGHT = 4;

const useWasm = () => process.env.CTFLOW_JPEG_WASM !== '0';

/** The file's bytes read on this thread, or why not (chunk-reader.ts's workers read and judge alike). */
function readOnMain(file: string): { bytes: Uint8Array } | { reason: string } {
  try {
    return { bytes: readSliceFile(file) };
  } catch (err) {
    const u = unread(file, err);
    if ('changed' in u) throw new DatasetChanged(u.changed);
    return u;
  }
}

/**
 * A slice's bytes through sharp. Decoded straight to the b-w colourspace (sharp's default sRGB
 * output triples greyscale JPEGs, and costs twice the time); should more than one channel come
 * back, channel 0 is taken.
 */
async function decodeBytes(bytes: Uint8Array, mode: 'strict' | 'lenient'): Promise<GreySlice | { reason: string }> {
  const sharp = await (sharpModule ??= loadSharp());
  const decode = (failOn: 'warning' | 'error') =>
    sharp(bytes, { failOn, limitInputPixels: MAX_SIDE * MAX_SIDE }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const sniffed = sniffJpeg(bytes);
    if ('refused' in sniffed) return { reason: `unreadable: ${sniffed.refused}` };
    raw = await decode('warning').catch((err) => {
      if (mode === 'strict' || !HARMLESS.test(firstLine(err))) throw err;
      return decode('error');
    });
  } catch (err) {
    const why = /exceeds pixel limit/.test(firstLine(err))
      ? `its header declares more than ${MAX_SIDE}×${MAX_SIDE} pixels (damaged?)`
      : firstLine(err);
    return { reason: `unreadable: ${why}` };
  }
  const { width, height, channels } = raw.info;
  const grey = channels === 1 ? new Uint8Array(raw.data.buffer, raw.data.byteOffset, width * height) : firstChannel(raw.data, channels, width * height);
  const why = blank(grey);
  return why ? { reason: why } : { width, height, grey };
}

function firstChannel(data: Uint8Array, channels: number, n: number): Uint8Array {
  const grey = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) grey[i] = data[j];
  return grey;
}
