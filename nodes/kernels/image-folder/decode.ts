// Decode JPEG slices to a single grey channel: with sharp, or (decodeGreys) with libjpeg-turbo as
// WebAssembly on worker threads where it gives the same bytes. The file is read only if it is a
// regular file under a size cap (readSliceFile), and only JPEG content of 1 or 3 components is
// decoded (sniffJpeg): CMYK and other formats behind a .jpg name are refused by name.
import { sharedPool } from '../lung/shared-pool.js';
import { DatasetChanged, readSliceFile } from './read-file.js';
import { mapLimit } from './map-limit.js';
import { MAX_SIDE, sniffJpeg } from './sniff.js';
import { wasmJpegPath } from './wasm-jpeg.js';

export interface GreySlice {
  width: number;
  height: number;
  /** One byte per pixel, row-major. */
  grey: Uint8Array;
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
 * The slice's grey levels, or a reason it cannot be used ("unreadable: …", "blank: …").
 * 'strict' fails on any libjpeg warning; 'lenient' lets the HARMLESS ones pass. Which warning it
 * was is read from libvips's error buffer, which all of its threads share (lovell/sharp#902):
 * decode leniently only while no other slice is being decoded, or the message may be another's.
 */
export async function decodeGrey(file: string, mode: 'strict' | 'lenient' = 'lenient'): Promise<GreySlice | { reason: string }> {
  const bytes = await readOrWhy(file);
  return bytes instanceof Uint8Array ? decodeBytes(bytes, mode) : bytes;
}

/**
 * A scan's slices' grey levels (or reasons), strictly, as decodeGrey(file, 'strict') gives them:
 * one-component 8-bit JPEGs are read and decoded by libjpeg-turbo as WebAssembly on the lung
 * pool's workers (wasm-jpeg.ts: the same bytes as sharp's, at less CPU, off this thread), CHUNK
 * slices a task, every task queued at once (this thread's own work — HU, boxes — would otherwise
 * leave the workers idle); the rest, and any slice the workers did not decode cleanly, by sharp
 * here, SHARP_IN_FLIGHT at a time. CTFLOW_JPEG_WASM=0 sends every slice to sharp.
 */
export async function decodeGreys(files: readonly string[]): Promise<(GreySlice | { reason: string })[]> {
  const fast: (GreySlice | null)[] = [];
  if (useWasm()) {
    const chunks = Array.from({ length: Math.ceil(files.length / CHUNK) }, (_, k) => files.slice(k * CHUNK, (k + 1) * CHUNK));
    fast.push(...(await Promise.all(chunks.map((c) => sharedPool().decodeJpegFiles(c)))).flat());
  }
  return mapLimit(files, SHARP_IN_FLIGHT, async (file, i) => (fast[i] ? notBlank(fast[i]) : decodeGrey(file, 'strict')));
}

const CHUNK = 8, SHARP_IN_FLIGHT = 4;

let wasmUsable: boolean | undefined;
const useWasm = () => (wasmUsable ??= process.env.CTFLOW_JPEG_WASM !== '0' && wasmJpegPath() !== null);

/** The file's bytes, or why it is not read (DatasetChanged is thrown: the run must stop). */
async function readOrWhy(file: string): Promise<Uint8Array | { reason: string }> {
  try {
    return await readSliceFile(file);
  } catch (err) {
    if (err instanceof DatasetChanged) throw err;
    return { reason: `unreadable: ${firstLine(err)}` };
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
    const refused = sniffJpeg(bytes);
    if (refused) return { reason: `unreadable: ${refused}` };
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
  return notBlank({ width, height, grey });
}

/** The slice, or why not: every pixel the same grey level. */
function notBlank(s: GreySlice): GreySlice | { reason: string } {
  const { grey } = s, v = grey[0];
  let i = 1;
  while (i < grey.length && grey[i] === v) i++;
  return i === grey.length ? { reason: `blank: every pixel is ${v}` } : s;
}

function firstChannel(data: Uint8Array, channels: number, n: number): Uint8Array {
  const grey = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) grey[i] = data[j];
  return grey;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
