// Read a slice file safely: only a regular file (not a directory, FIFO or device: opened
// non-blocking, so a FIFO cannot hang the read), at most MAX_SLICE_BYTES, and whole: a file that
// shrinks or grows while it is read is an error naming it. The read blocks: it runs on the lung
// pool's workers, which have nothing else to do meanwhile, and on the main thread only for the
// slices sharp decodes without them (CTFLOW_JPEG_WASM=0); one read loop serves both.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Largest slice file read (a 4096² JPEG at quality 100 is under 20 MB). */
const MAX_SLICE_BYTES = 64 * 1024 * 1024;

/** The dataset changed under a running read: the result would not match the key it is stored under. */
export class DatasetChanged extends Error {}

/** What a non-regular file is, for messages. */
function kindOf(st: Stats): string {
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
export function readSliceFile(file: string, cap = MAX_SLICE_BYTES): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${kindOf(st)}, not a regular file: only regular files are read`);
    if (st.size > cap) throw new Error(`${st.size} bytes, over the ${cap}-byte limit for one slice`);
    const bytes = Buffer.allocUnsafe(st.size + 1);
    let got = 0;
    while (got <= st.size) {
      const bytesRead = readSync(fd, bytes, got, st.size + 1 - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== st.size) throw new DatasetChanged(`${file} changed while it was read (${st.size} bytes when opened)`);
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A slice that is not read, and why; or the change of the dataset that stopped its read (the run must stop). */
export type Unread = { reason: string } | { changed: string };

/**
 * Why readSliceFile(file) failed, as a skip reason ("unreadable: …"); a file gone since the folder
 * was listed (not a dangling link) or one that changed while read is a change of the dataset.
 * Decided where the read failed, once, from that read: not from a second read that may see the
 * file settled.
 */
export function unread(file: string, err: unknown): Unread {
  if (err instanceof DatasetChanged) return { changed: err.message };
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    const link = (() => { try { return lstatSync(file); } catch { return null; } })();
    if (!link) return { changed: `${file} disappeared` };
    if (link.isSymbolicLink()) return { reason: 'unreadable: a symbolic link to nothing (dangling)' };
  }
  return { reason: `unreadable: ${firstLine(err)}` };
}

/** The first line of an error's message. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
