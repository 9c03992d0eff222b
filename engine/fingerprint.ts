// Fingerprint of a node's input files (a source's data, a command's deps): content hashes
// memoised by (path, size, mtime), so an unchanged data set is not re-read on every run. Only
// regular files are read, opened non-blocking and up to MAX_HASHED_BYTES: a FIFO, a device (a link
// to /dev/zero), a directory, a dangling link or an unreadable file is fingerprinted by what it is
// ("!fifo", "!ENOENT"…), never read, so planning cannot hang; the node that reads it reports it.
import { createHash } from 'node:crypto';
import { constants, createReadStream, fstatSync, openSync, closeSync, readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from './canonical.js';

type Memo = Record<string, { size: number; mtimeMs: number; hash: string }>;

/** Largest input file hashed; a bigger one is an error naming it. */
export const MAX_HASHED_BYTES = 16 * 1024 ** 3;

/** The one hash over files that `hashes` listed (what FileFingerprints.of returns). */
export function fingerprintOf(hashes: readonly (readonly [string, string])[]): string {
  return sha256(hashes.map(([rel, h]) => `${rel} ${h}`).join('\n'));
}

export class FileFingerprints {
  private memo: Memo = {};
  private dirty = false;

  /** The folder the memo lives in (the runs directory): plan-time memos of source kinds go beside it. */
  readonly dir: string;

  constructor(private readonly memoFile: string) {
    this.dir = dirname(memoFile);
    try {
      this.memo = JSON.parse(readFileSync(memoFile, 'utf8')) as Memo;
    } catch {
      this.memo = {};
    }
  }

  /** One hash over the given files: their paths (relative to `base`) and contents. */
  async of(files: readonly string[], base: (f: string) => string): Promise<string> {
    return fingerprintOf(await this.hashes(files, base));
  }

  /** [path relative to `base`, content hash] of each file, in the order of their full paths. */
  async hashes(files: readonly string[], base: (f: string) => string): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for (const f of [...files].sort()) out.push([base(f), await this.fileHash(f)]);
    return out;
  }

  /** The size and mtime a file had when it was last hashed (undefined: never hashed, or not a regular file). */
  statOf(file: string): { size: number; mtimeMs: number } | undefined {
    const m = this.memo[file];
    return m && { size: m.size, mtimeMs: m.mtimeMs };
  }

  private async fileHash(file: string): Promise<string> {
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      return `!${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return `!${st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'device'}`;
      if (st.size > MAX_HASHED_BYTES) throw new Error(`input file ${file} has ${st.size} bytes, more than the ${MAX_HASHED_BYTES} fingerprinted; is it a data file?`);
      const m = this.memo[file];
      if (m && m.size === st.size && m.mtimeMs === st.mtimeMs) return m.hash;
      const h = createHash('sha256');
      let bytes = 0;
      for await (const chunk of createReadStream('', { fd, start: 0, autoClose: false })) {
        h.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      if (bytes !== st.size) throw new Error(`input file ${file} changed while it was fingerprinted (${st.size} bytes, then ${bytes}); rerun once the data is stable`);
      const hash = h.digest('hex');
      this.memo[file] = { size: st.size, mtimeMs: st.mtimeMs, hash };
      this.dirty = true;
      return hash;
    } finally {
      closeSync(fd);
    }
  }

  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.memoFile), { recursive: true });
    const tmp = `${this.memoFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.memo));
    renameSync(tmp, this.memoFile);
    this.dirty = false;
  }
}
