// Look at a slice file's bytes before decoding: JPEG content only (sharp would decode PNG, GIF,
// TIFF, SVG… behind a .jpg name as a slice), and only grey or three-component JPEGs: a CMYK/YCCK
// JPEG has no single right grey (libvips converts through an assumed ICC profile), so it is refused.

/** Largest slice decoded: a damaged frame header can declare 16000×16000 in a 300-byte file (seconds, a gigabyte). */
export const MAX_SIDE = 4096;

const FORMATS: [RegExp, string][] = [
  [/^\x89PNG/, 'PNG'], [/^GIF8[79]a/, 'GIF'], [/^(II\*\0|MM\0\*)/, 'TIFF'], [/^BM/, 'BMP'],
  [/^RIFF....WEBP/s, 'WebP'], [/^\s*(<\?xml|<svg|<!DOCTYPE svg)/i, 'SVG'], [/^....ftyp/s, 'HEIF/AVIF'], [/^%PDF/, 'PDF'],
];

/**
 * Why `bytes` are refused, or their frame header (null if none is found whole: the decoder says
 * why), parsed once for both the check and the decoder: JPEG content of 1 or 3 components only.
 */
export function sniffJpeg(bytes: Uint8Array): { refused: string } | { frame: JpegFrame | null } {
  if (bytes.length === 0) return { refused: 'empty file (0 bytes)' };
  if (!(bytes[0] === 0xff && bytes[1] === 0xd8)) {
    const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
    const found = FORMATS.find(([re]) => re.test(head));
    return { refused: `not JPEG content${found ? ` (${found[1]} data behind a JPEG name)` : ' (no JPEG start marker)'}; convert it to an 8-bit greyscale JPEG` };
  }
  const frame = jpegFrame(bytes), components = frame?.components ?? null;
  if (components === 4) return { refused: 'a 4-component (CMYK/YCCK) JPEG: no defined grey level; convert it to greyscale first (e.g. `convert in.jpg -colorspace gray out.jpg`)' };
  if (components !== null && components !== 1 && components !== 3) return { refused: `a JPEG of ${components} components; only greyscale (1) or colour (3) JPEGs are read` };
  return { frame };
}

export interface JpegFrame {
  /** The SOF marker's second byte: 0xc0 baseline, 0xc1 extended, 0xc2 progressive, … */
  sof: number;
  precision: number;
  height: number;
  width: number;
  components: number;
}

/** The first SOF segment's header, walking marker segments; null if none is found whole. */
export function jpegFrame(b: Uint8Array): JpegFrame | null {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) { i++; continue; }                        // junk between segments: the decoder judges it
    const m = b[i + 1];
    if (m === 0xff) { i++; continue; }                            // fill byte
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
    if (m === 0xd9 || m === 0xda) return null;                   // end of image or start of scan before a frame
    const len = (b[i + 2] << 8) | b[i + 3];
    const sof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (sof) {
      return i + 9 < b.length
        ? { sof: m, precision: b[i + 4], height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8], components: b[i + 9] }
        : null;
    }
    i += 2 + len;
  }
  return null;
}
