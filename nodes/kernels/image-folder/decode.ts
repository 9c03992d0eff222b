// Decode one JPEG slice to a single grey channel with sharp.
import { readFile } from 'node:fs/promises';

export interface GreySlice {
  width: number;
  height: number;
  /** One byte per pixel, row-major. */
  grey: Uint8Array;
}

/**
 * The slice's grey levels, or a reason it cannot be used ("unreadable: …", "blank: …").
 * Decoded straight to the b-w colourspace (sharp's default sRGB output triples greyscale JPEGs,
 * and costs twice the time); should more than one channel come back, channel 0 is taken.
 */
export async function decodeGrey(file: string): Promise<GreySlice | { reason: string }> {
  const { default: sharp } = await import('sharp');
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // failOn 'error': truncated or corrupt data fails; benign libjpeg warnings (extraneous bytes) pass.
    const bytes = await readFile(file);
    raw = await sharp(bytes, { failOn: 'error' }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    return { reason: `unreadable: ${firstLine(err)}` };
  }
  const { width, height, channels } = raw.info;
  const grey = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < grey.length; i++, j += channels) grey[i] = raw.data[j];
  if (grey.every((v) => v === grey[0])) return { reason: `blank: every pixel is ${grey[0]}` };
  return { width, height, grey };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
