// A scan's int16 pixel buffer that the C allocator maps on its own, so that the memory goes back to
// the system the moment the scan is collected, however many scans a run reads (issue 23). glibc
// serves a large allocation with a mapping of its own only above its mmap threshold, and raises that
// threshold to the size of each such buffer freed (up to 32 MiB): after the first scan, the buffers
// of scans under 32 MiB (under 64 slices at 512²) came out of its heap, whose free pieces of
// varying sizes it kept, and peak RSS grew with the number of scans (smaps: the main heap 103 →
// 137 MiB from 30 to 300 scans of 20–40 slices, dicom-series fused). A request above 32 MiB always
// gets its own mapping and never moves the threshold; its pages are zero-filled by the kernel when
// first written (calloc does not touch a fresh mapping), so pages a small scan never writes cost
// address space, not memory. Larger scans get exactly what they need, and so do scans under 4 MiB
// (8 slices at 512²: tests and toy sizes), where the slack would be 8× the scan and V8, which
// counts an ArrayBuffer's whole length as external memory, would collect that much more often.

/** Bytes above glibc's largest mmap threshold (32 MiB on 64-bit), rounded up to a page. */
export const OWN_MAPPING_BYTES = 32 * 2 ** 20 + 4096;
/** Scans from this size up get a buffer of at least OWN_MAPPING_BYTES. */
export const OWN_MAPPING_FROM = 4 * 2 ** 20;

/** A zeroed buffer for `bytes`: a mapping of its own from OWN_MAPPING_FROM bytes up (with slack after them), else exactly that. */
function ownMapping(bytes: number): ArrayBuffer {
  return new ArrayBuffer(bytes >= OWN_MAPPING_FROM ? Math.max(bytes, OWN_MAPPING_BYTES) : bytes);
}

/** `length` zeroed int16 values at the start of a buffer that is a mapping of its own from OWN_MAPPING_FROM bytes up. */
export function scanPixels(length: number): Int16Array {
  return new Int16Array(ownMapping(2 * length), 0, length);
}

/**
 * `length` zeroed bytes, the same way: for a scan's worth of bytes computed in pieces (the lung
 * pool's filled masks), where only the pieces written become resident.
 */
export function scanBytes(length: number): Uint8Array {
  return new Uint8Array(ownMapping(length), 0, length);
}
