// Decode one JPEG slice to a single grey channel with sharp. The file is read only if it is a
// regular file under a size cap (readSliceFile), and only JPEG content of 1 or 3 components is
// decoded (sniffJpeg): CMYK and other formats behind a .jpg name are refused by name.
import { DatasetChanged, readSliceFile } from './read-file.js';
import { sniffJpeg } from './sniff.js';

export interface GreySlice {
  width: number;
  height: number;
  /** One byte per pixel, row-major. */
  grey: Uint8Array;
}

/** Largest slice decoded: a damaged frame header can declare 16000×16000 in a 300-byte file (seconds, a gigabyte). */
export const MAX_SIDE = 4096;

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
 * Decoded straight to the b-w colourspace (sharp's default sRGB output triples greyscale JPEGs,
 * and costs twice the time); should more than one channel come back, channel 0 is taken.
 */
export async function decodeGrey(file: string, mode: 'strict' | 'lenient' = 'lenient'): Promise<GreySlice | { reason: string }> {
  const sharp = await (sharpModule ??= loadSharp());
  const decode = (bytes: Buffer, failOn: 'warning' | 'error') =>
    sharp(bytes, { failOn, limitInputPixels: MAX_SIDE * MAX_SIDE }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const bytes = await readSliceFile(file);
    const refused = sniffJpeg(bytes);
    if (refused) return { reason: `unreadable: ${refused}` };
    raw = await decode(bytes, 'warning').catch((err) => {
      if (mode === 'strict' || !HARMLESS.test(firstLine(err))) throw err;
      return decode(bytes, 'error');
    });
  } catch (err) {
    if (err instanceof DatasetChanged) throw err;
    const why = /exceeds pixel limit/.test(firstLine(err))
      ? `its header declares more than ${MAX_SIDE}×${MAX_SIDE} pixels (damaged?)`
      : firstLine(err);
    return { reason: `unreadable: ${why}` };
  }
  const { width, height, channels } = raw.info;
  const grey = channels === 1 ? new Uint8Array(raw.data.buffer, raw.data.byteOffset, width * height) : firstChannel(raw.data, channels, width * height);
  const v = grey[0];
  let i = 1;
  while (i < grey.length && grey[i] === v) i++;
  if (i === grey.length) return { reason: `blank: every pixel is ${v}` };
  return { width, height, grey };
}

function firstChannel(data: Uint8Array, channels: number, n: number): Uint8Array {
  const grey = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) grey[i] = data[j];
  return grey;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
