// What a compressed frame declares about itself, read from its header before any decoding: a
// damaged header can declare a huge image (or JPEG 2000 tiles of a few pixels), which the codecs
// would spend seconds and gigabytes of WebAssembly memory (never given back) trying to decode.

export interface DeclaredFrame {
  width: number;
  height: number;
  components: number;
  /** JPEG 2000 tile size (the whole image for JPEG and JPEG-LS). */
  tile: { width: number; height: number };
}

/**
 * The frame header of a JPEG (SOFn), JPEG-LS (SOF55) or JPEG 2000 codestream (SOC then SIZ), or
 * null when none is found where it belongs (the codec then reports what is wrong).
 */
export function declaredFrame(frame: Uint8Array): DeclaredFrame | null {
  const be16 = (i: number) => (frame[i] << 8) | frame[i + 1];
  const be32 = (i: number) => ((frame[i] << 24) | (frame[i + 1] << 16) | (frame[i + 2] << 8) | frame[i + 3]) >>> 0;
  if (frame.length >= 42 && be16(0) === 0xff4f && be16(2) === 0xff51) {
    // SIZ: Xsiz 8, Ysiz 12, XOsiz 16, YOsiz 20, XTsiz 24, YTsiz 28, Csiz 40
    return { width: be32(8) - be32(16), height: be32(12) - be32(20), components: be16(40), tile: { width: be32(24), height: be32(28) } };
  }
  if (be16(0) !== 0xffd8) return null;
  for (let i = 2; i + 9 < frame.length; ) {
    if (frame[i] !== 0xff) return null;
    const marker = frame[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
    } else if (marker === 0xf7 || (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)) {
      // SOFn / SOF55: length 2, precision 4, height 5, width 7, components 9
      const width = be16(i + 7), height = be16(i + 5);
      return { width, height, components: frame[i + 9], tile: { width, height } };
    } else if (marker === 0xda || marker === 0xd9) {
      return null; // scan or end before any frame header
    } else {
      i += 2 + be16(i + 2);
    }
  }
  return null;
}
