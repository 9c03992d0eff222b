// The DICOM RLE decoder (PS3.5 Annex G): a 64-byte header of segment offsets, then one
// PackBits-coded segment per byte plane of the samples, most significant byte first.

/** Decode one RLE frame into `pixels` samples of `bytesPerSample` (1 or 2) bytes. */
export function decodeRle(frame: Uint8Array, pixels: number, bytesPerSample: 1 | 2): Uint8Array | Uint16Array {
  if (frame.length < 64) throw new Error(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  const header = new DataView(frame.buffer, frame.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== bytesPerSample) {
    throw new Error(`RLE frame has ${segments} segments; a greyscale image with ${bytesPerSample}-byte samples needs ${bytesPerSample}`);
  }
  const out = bytesPerSample === 1 ? new Uint8Array(pixels) : new Uint16Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = header.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? header.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || end > frame.length || end < start) throw new Error(`RLE segment ${s + 1} lies outside the frame`);
    const shift = 8 * (segments - 1 - s);
    let i = start;
    let n = 0;
    while (n < pixels && i < end) {
      const code = frame[i++];
      if (code < 128) {
        // literal run: the next code + 1 bytes
        if (i + code + 1 > end) break;
        for (let k = 0; k <= code && n < pixels; k++) out[n++] |= frame[i + k] << shift;
        i += code + 1;
      } else if (code > 128) {
        // replicate run: the next byte, 257 − code times
        if (i >= end) break;
        const b = frame[i++] << shift;
        for (let k = 0; k < 257 - code && n < pixels; k++) out[n++] |= b;
      }
      // code 128 is a no-op
    }
    if (n < pixels) throw new Error(`RLE segment ${s + 1} decodes to ${n} bytes, ${pixels} expected (truncated?)`);
  }
  return out;
}
