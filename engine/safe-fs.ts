// Careful file access under the runs directory: files ctflow writes there are written through a
// fresh temporary file and a rename, in a folder whose real path is inside the runs directory, so
// a planted symbolic link never redirects a write out of it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';

/** Make `dir` (and its parents) and check that its real path is inside `root`. */
export function mkdirInside(root: string, dir: string): void {
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

/** Throw unless the real path of `path` lies inside the real path of `root`. */
export function assertInside(root: string, path: string): void {
  const real = realpathSync(path);
  const rel = relative(realpathSync(root), real);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`refusing to write under ${resolve(path)}: it leads to ${real}, outside the runs directory ${resolve(root)} (a symbolic link?); remove the link`);
  }
}
