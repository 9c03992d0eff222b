// Read a slice file safely: only a regular file (not a directory, FIFO or device: opened
// non-blocking, so a FIFO cannot hang the read), at most MAX_SLICE_BYTES, and whole: a file that
// shrinks or grows while it is read is an error naming it.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** Largest slice file read (a 4096² JPEG at quality 100 is under 20 MB). */
const MAX_SLICE_BYTES = 64 * 1024 * 1024;

/** The dataset changed under a running read: the result would not match the key it is stored under. */
export class DatasetChanged extends Error {}

/** What a non-regular file is, for messages. */
function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of `file`, or an error saying why it is not read (the caller names the file; DatasetChanged names it).
 * Read with one byte of room past the size fstat gave: a short read or a byte too many means the
 * file changed while it was read, and a whole file needs no second read to prove it has no more.
 */
export async function readSliceFile(file: string, cap = MAX_SLICE_BYTES): Promise<Buffer> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat(), bytes = bufferFor(st, cap);
    let got = 0;
    while (got <= st.size) {
      const { bytesRead } = await fh.read(bytes, got, st.size + 1 - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return whole(file, st, bytes, got);
  } finally {
    await fh.close();
  }
}

/** readSliceFile with blocking calls, for a worker thread that has nothing else to do meanwhile (≈ a quarter of the CPU). */
export function readSliceFileSync(file: string, cap = MAX_SLICE_BYTES): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd), bytes = bufferFor(st, cap);
    let got = 0;
    while (got <= st.size) {
      const bytesRead = readSync(fd, bytes, got, st.size + 1 - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return whole(file, st, bytes, got);
  } finally {
    closeSync(fd);
  }
}

/** Room for a regular file of at most `cap` bytes, and one byte more. */
function bufferFor(st: Stats, cap: number): Buffer {
  if (!st.isFile()) throw new Error(`${kindOf(st)}, not a regular file: only regular files are read`);
  if (st.size > cap) throw new Error(`${st.size} bytes, over the ${cap}-byte limit for one slice`);
  return Buffer.allocUnsafe(st.size + 1);
}

/** The bytes read, if they are exactly the size fstat gave. */
function whole(file: string, st: Stats, bytes: Buffer, got: number): Buffer {
  if (got !== st.size) throw new DatasetChanged(`${file} changed while it was read (${st.size} bytes when opened)`);
  return bytes.subarray(0, got);
}
