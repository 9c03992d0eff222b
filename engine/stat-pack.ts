// A file list's stat numbers packed into one Float64Array, STAT_FIELDS a file: what the file is
// (MISSING, FILE, OTHER), then its size, mtime (ms), ctime (ms) and inode. Made on the main thread
// for a few files, or by stat-worker.ts beside it for many (stat-ahead.ts): no Stats object is
// kept or crosses threads.
import { statSync } from 'node:fs';

/** Numbers a file. */
export const STAT_FIELDS = 5;
/** What the file is (its first number); MISSING also for one that cannot be statted (EACCES, ELOOP): opening it says why. */
export const MISSING = 0, FILE = 1, OTHER = 2;

const MAY_BE_MISSING = { throwIfNoEntry: false } as const;

export function statPacked(paths: readonly string[]): Float64Array {
  const out = new Float64Array(paths.length * STAT_FIELDS);
  for (let i = 0; i < paths.length; i++) {
    let st;
    try {
      st = statSync(paths[i], MAY_BE_MISSING);
    } catch {
      st = undefined;
    }
    const k = i * STAT_FIELDS;
    if (!st) continue; // MISSING is 0
    out[k] = st.isFile() ? FILE : OTHER;
    out[k + 1] = st.size;
    out[k + 2] = st.mtimeMs;
    out[k + 3] = st.ctimeMs;
    out[k + 4] = st.ino;
  }
  return out;
}
