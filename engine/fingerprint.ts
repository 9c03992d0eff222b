// Fingerprint of a node's input files (a source's data, a command's deps): content hashes
// memoised by each file's path and stat signature (statSignature: size, mtime, ctime, inode), so
// an unchanged data set is a stat a file, not a read. Only regular files are read, opened
// non-blocking and up to MAX_HASHED_BYTES: a FIFO, a device (a link to /dev/zero), a directory, a
// dangling link or an unreadable file is fingerprinted by what it is ("!fifo", "!ENOENT"…), never
// read, so planning cannot hang; the node that reads it reports it.
//
// The memo (<runs>/fingerprints.json) holds one string per folder, a line per file in name order
// ("name\tsignature\thash"), so that loading it is one JSON parse of a few hundred strings however
// many files there are (a record per file cost ≈ 0.5 s at 84,000 files), and a folder asked for
// in the order it was stored is checked line by line without parsing it.
import { createHash } from 'node:crypto';
import { constants, fstatSync, openSync, closeSync, readFileSync, readSync, statSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from './canonical.js';
import type { FileStatFields } from './types.js';

/** Largest input file hashed; a bigger one is an error naming it. */
export const MAX_HASHED_BYTES = 16 * 1024 ** 3;

/**
 * The one buffer files are hashed through: blocking reads into it, nothing awaited, no buffer a
 * chunk (a ReadStream cost ≈ 17,000 chunk buffers a GB). Safe to share: a file is hashed from
 * open to digest without yielding.
 */
const CHUNK = Buffer.allocUnsafe(1024 * 1024);

/** sha256 (hex) of the open file `fd`, read from its start to its end, and how many bytes that was. */
export function hashOpenFile(fd: number): { hash: string; bytes: number } {
  const h = createHash('sha256');
  let bytes = 0;
  for (let n: number; (n = readSync(fd, CHUNK, 0, CHUNK.length, bytes)) > 0; bytes += n) h.update(CHUNK.subarray(0, n));
  return { hash: h.digest('hex'), bytes };
}

/**
 * What says a file is as it was hashed: its size, mtime, ctime and inode. Written in place (same
 * size or not) a file gets a new mtime and ctime; one whose mtime is set back afterwards (touch -r,
 * cp -p) still gets a new ctime, which only the kernel sets; one replaced by a rename (rsync, an
 * editor's save) is another inode. Any difference: hashed again (a hard link added to a file also
 * changes its ctime: one read more, the same hash).
 */
export function statSignature(st: FileStatFields): string {
  return `${st.size}\t${st.mtimeMs}\t${st.ctimeMs}\t${st.ino}`;
}

/** What the memo file holds: by folder, "name\tsignature\thash" lines in name order. */
interface MemoFile { format: 2; dirs: Record<string, string> }

/** The one hash over files that `hashes` listed (what FileFingerprints.of returns). */
export function fingerprintOf(hashes: readonly (readonly [string, string])[]): string {
  return sha256(hashes.map(([rel, h]) => `${rel} ${h}`).join('\n'));
}

/** Files fingerprinted: [path relative to the base, content hash] and each one's stat signature (undefined: not a regular file). */
export interface Hashed { hashes: [string, string][]; signatures: (string | undefined)[] }

const TAB = 9;

/** stat's options in the loop over files (made once). */
const MAY_BE_MISSING = { throwIfNoEntry: false } as const;

/** One folder's memo: its stored text, read in order through `cursor`, and its lines parsed once a lookup leaves that order. */
interface Folder { text: string; cursor: number; lines?: Map<string, { signature: string; hash: string }>; dirty?: boolean }

export class FileFingerprints {
  private readonly dirs = new Map<string, Folder>();
  private last?: { dir: string; folder: Folder };
  private dirty = false;

  /** The folder the memo lives in (the runs directory): plan-time memos of source kinds go beside it. */
  readonly dir: string;

  constructor(private readonly memoFile: string) {
    this.dir = dirname(memoFile);
    try {
      const m = JSON.parse(readFileSync(memoFile, 'utf8')) as MemoFile;
      if (m.format === 2) for (const [dir, text] of Object.entries(m.dirs)) this.dirs.set(dir, { text, cursor: 0 });
    } catch {
      // no memo yet, or an unreadable one: files are hashed again
    }
  }

  /** One hash over the given files: their paths (relative to `base`) and contents. */
  async of(files: readonly string[], base: (f: string) => string): Promise<string> {
    return fingerprintOf((await this.hashes(files, base)).hashes);
  }

  /** Each file's [path relative to `base`, content hash] and stat signature, in the order of their full paths. */
  async hashes(files: readonly string[], base: (f: string) => string): Promise<Hashed> {
    const out: Hashed = { hashes: [], signatures: [] };
    for (const f of [...files].sort()) {
      // A stat first: a regular file whose signature is remembered is not opened.
      const st = statSync(f, MAY_BE_MISSING);
      const signature = st?.isFile() ? statSignature(st) : undefined;
      const known = signature && this.remembered(f, signature);
      const got = known ? { hash: known, signature } : this.fileHash(f);
      out.hashes.push([base(f), got.hash]);
      out.signatures.push(got.signature);
    }
    return out;
  }

  /** Read and hash a file (what it is, if it is not a regular file), and remember the hash. */
  private fileHash(file: string): { hash: string; signature?: string } {
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      return { hash: `!${(err as NodeJS.ErrnoException).code ?? 'unreadable'}` };
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return { hash: `!${st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'device'}` };
      if (st.size > MAX_HASHED_BYTES) throw new Error(`input file ${file} has ${st.size} bytes, more than the ${MAX_HASHED_BYTES} fingerprinted; is it a data file?`);
      const { hash, bytes } = hashOpenFile(fd);
      if (bytes !== st.size) throw new Error(`input file ${file} changed while it was fingerprinted (${st.size} bytes, then ${bytes}); rerun once the data is stable`);
      const signature = statSignature(st);
      this.remember(file, signature, hash);
      return { hash, signature };
    } finally {
      closeSync(fd);
    }
  }

  /** The hash remembered for `file` with this signature, if any. */
  private remembered(file: string, signature: string): string | undefined {
    const cut = file.lastIndexOf('/');
    const folder = this.folderOf(file, cut);
    if (!folder) return undefined;
    const name = file.slice(cut + 1);
    if (!folder.lines) {
      // In stored order, the next line is this file's ("name\tsignature\thash"): compare it in place.
      const { text, cursor } = folder;
      const sig = cursor + name.length + 1;
      const hash = sig + signature.length + 1;
      if (text.startsWith(name, cursor) && text.charCodeAt(sig - 1) === TAB && text.startsWith(signature, sig) && text.charCodeAt(hash - 1) === TAB) {
        const end = text.indexOf('\n', hash);
        folder.cursor = end < 0 ? text.length : end + 1;
        return text.slice(hash, end < 0 ? undefined : end);
      }
      parse(folder);
    }
    const line = folder.lines!.get(name);
    return line?.signature === signature ? line.hash : undefined;
  }

  /** The memo of the folder of `file` (its last '/' at `cut`): the last one found while files come folder by folder. */
  private folderOf(file: string, cut: number): Folder | undefined {
    const last = this.last;
    if (last && cut === last.dir.length && file.startsWith(last.dir)) return last.folder;
    const dir = cut < 0 ? '' : file.slice(0, cut);
    const folder = this.dirs.get(dir);
    if (folder) this.last = { dir, folder };
    return folder;
  }

  private remember(file: string, signature: string, hash: string): void {
    const [dir, name] = split(file);
    if (/[\t\n]/.test(name)) return; // a name that would break its line is hashed on every run
    let folder = this.dirs.get(dir);
    if (!folder) this.dirs.set(dir, folder = { text: '', cursor: 0 });
    parse(folder);
    folder.lines!.set(name, { signature, hash });
    folder.dirty = this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    const dirs: Record<string, string> = {};
    for (const [dir, folder] of this.dirs) {
      if (folder.dirty) {
        folder.text = [...folder.lines!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, l]) => `${name}\t${l.signature}\t${l.hash}`).join('\n');
        folder.dirty = false;
      }
      dirs[dir] = folder.text;
    }
    mkdirSync(dirname(this.memoFile), { recursive: true });
    const tmp = `${this.memoFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ format: 2, dirs } satisfies MemoFile));
    renameSync(tmp, this.memoFile);
    this.dirty = false;
  }
}

/** [folder, name] of a path ('' for a bare name). */
function split(file: string): [string, string] {
  const cut = file.lastIndexOf('/');
  return [cut < 0 ? '' : file.slice(0, cut), file.slice(cut + 1)];
}

/** A folder's lines by name (once: later lookups and updates use the map). */
function parse(folder: Folder): void {
  if (folder.lines) return;
  folder.lines = new Map();
  for (const line of folder.text ? folder.text.split('\n') : []) {
    const [name, size, mtime, ctime, ino, hash] = line.split('\t');
    folder.lines.set(name, { signature: `${size}\t${mtime}\t${ctime}\t${ino}`, hash });
  }
}
