// Careful file access for what a user (or an attacker) can point ctflow at: files that ctflow
// reads as text are opened as regular files only (a FIFO, a device or /dev/zero is refused at
// once) with a size limit enforced while reading, and files ctflow writes under its runs
// directory are written through a fresh temporary file and a rename, in a folder whose real path
// is inside the runs directory, so a planted symbolic link never redirects a write out of it.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** A file that could not be read as asked: `reason` is a sentence without the file's contents. */
export class UnsafeRead extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
  }
}

/** The bytes of a regular file of at most `maxBytes` bytes (checked while reading). */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new UnsafeRead(path, errnoText(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeRead(path, `not a regular file (${fileType(st)})`);
    if (st.size > maxBytes) throw new UnsafeRead(path, `is ${st.size} bytes, over the limit of ${maxBytes} bytes`);
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let got = 1; got > 0 && n <= maxBytes; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) throw new UnsafeRead(path, `is over the limit of ${maxBytes} bytes`);
    return buf.subarray(0, n);
  } catch (e) {
    throw e instanceof UnsafeRead ? e : new UnsafeRead(path, errnoText(e));
  } finally {
    closeSync(fd);
  }
}

/** Make `dir` (and its parents) and check that its real path is inside `root`. */
function mkdirInside(root: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  assertInside(root, dir);
}

/** Write `file` under `root` atomically; a symbolic link at `file` is replaced, never followed. */
export function writeInside(root: string, file: string, data: string | Uint8Array): void {
  mkdirInside(root, dirname(file));
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data, { flag: 'wx' }); // O_EXCL: never through an existing file or link
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Folders ctflow keeps directly under a runs directory. */
const RUNS_FOLDERS = ['cache', 'records', 'latest', 'sweeps', 'scratch', 'checkpoints', 'active'];

/** Throw if one of the runs directory's own folders leads out of it (a link), before a run writes or gc removes. */
export function assertRunsContained(root: string): void {
  for (const name of RUNS_FOLDERS) if (existsSync(join(root, name))) assertInside(root, join(root, name));
}

/** Throw unless the real path of `path` lies inside the real path of `root`. */
function assertInside(root: string, path: string): void {
  const real = realpathSync(path);
  const rel = relative(realpathSync(root), real);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`refusing to use ${resolve(path)}: it leads to ${real}, outside the runs directory ${resolve(root)} (a symbolic link?); remove the link, or give the other place as --runs`);
  }
}

function fileType(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'a part of the path is not a directory', ELOOP: 'too many symbolic links' };
  return (err.code && why[err.code]) ?? err.message;
}
