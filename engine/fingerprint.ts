// Fingerprint of a node's input files (a source's data, a command's deps): content hashes
// memoised by each file's path and stat signature (statSignature: size, mtime, ctime, inode), so
// an unchanged data set is a stat a file, not a read. Only regular files are read, opened
// non-blocking and up to MAX_HASHED_BYTES: a FIFO, a device (a link to /dev/zero), a directory, a
// dangling link or an unreadable file is fingerprinted by what it is ("!fifo", "!ENOENT"…), never
// read, so planning cannot hang; the node that reads it reports it.
//
// The memo (<runs>/fingerprints.json, format 3) holds three strings per folder: its file names in
// name order, '\n'-joined; their stat numbers (size, mtime, ctime, inode) as one little-endian
// Float64Array, base64; their sha256 digests, 32 bytes each, base64. Loading it is one JSON parse
// of a few hundred strings however many files there are (a record per file cost ≈ 0.5 s at 84,000
// files); a folder asked for in the order it was stored is checked name by name, its numbers
// compared in place (no signature string a file), and a file's hash is copied out as 32 bytes
// into the FileSet planning keeps (engine/file-set.ts). A memo of an earlier format is ignored:
// its files are hashed once again.
import { createHash } from 'node:crypto';
import { constants, fstatSync, openSync, closeSync, readFileSync, readSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from './canonical.js';
import { FileSet, sameStats, type FileSetBuilder as Builder } from './file-set.js';
import { FILE, STAT_FIELDS, statPacked } from './stat-pack.js';
import type { FileStatFields } from './types.js';

/** Largest input file hashed; a bigger one is an error naming it. */
export const MAX_HASHED_BYTES = 16 * 1024 ** 3;

/**
 * The one buffer files are hashed through: blocking reads into it, nothing awaited, no buffer a
 * chunk (a ReadStream cost ≈ 17,000 chunk buffers a GB). Safe to share: a file is hashed from
 * open to digest without yielding.
 */
const CHUNK = Buffer.allocUnsafe(1024 * 1024);

/** sha256 of the open file `fd`, read from its start to its end, and how many bytes that was. */
function digestOpenFile(fd: number): { digest: Buffer; bytes: number } {
  const h = createHash('sha256');
  let bytes = 0;
  for (let n: number; (n = readSync(fd, CHUNK, 0, CHUNK.length, bytes)) > 0; bytes += n) h.update(CHUNK.subarray(0, n));
  return { digest: h.digest(), bytes };
}

/**
 * A file read and hashed as planning fingerprints it: the numbers of the open file (fstat) and its
 * sha256, or what it is when it is not a regular file ("!fifo", "!ENOENT"…), never read. Opened
 * non-blocking; one larger than MAX_HASHED_BYTES, or whose size changed while it was read, is an
 * error naming it.
 */
function hashFile(file: string): { digest: Buffer; st: FileStatFields } | { what: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { what: `!${(err as NodeJS.ErrnoException).code ?? 'unreadable'}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { what: `!${st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'device'}` };
    if (st.size > MAX_HASHED_BYTES) throw new Error(`input file ${file} has ${st.size} bytes, more than the ${MAX_HASHED_BYTES} fingerprinted; is it a data file?`);
    const { digest, bytes } = digestOpenFile(fd);
    if (bytes !== st.size) throw new Error(`input file ${file} changed while it was fingerprinted (${st.size} bytes, then ${bytes}); rerun once the data is stable`);
    return { digest, st };
  } finally {
    closeSync(fd);
  }
}

/**
 * On a thread beside planning (stat-worker.ts, for a folder the memo does not know): hashFile's
 * sha256 of each file that is still the regular file its numbers (`stats`, stat-pack.ts) describe.
 * Layout: a flag a file (1: hashed), then 32 bytes a file. A file not hashed here is hashed by
 * planning itself, which says what went wrong with it.
 */
export function hashPacked(files: readonly string[], stats: Float64Array): Uint8Array {
  const n = files.length, out = new Uint8Array(n * (1 + DIGEST));
  for (let i = 0; i < n; i++) {
    const k = i * STAT_FIELDS;
    if (stats[k] !== FILE) continue;
    let r: ReturnType<typeof hashFile>;
    try {
      r = hashFile(files[i]);
    } catch {
      continue;                                      // too big, or changed while read: planning's own read reports it
    }
    if ('what' in r || !sameStats(stats, k + 1, r.st)) continue;
    out[i] = 1;
    out.set(r.digest, n + i * DIGEST);
  }
  return out;
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

/** What the memo file holds: by folder, [names in order, '\n'-joined; their stat numbers (4 a name, Float64Array, base64); their sha256 digests (32 bytes a name, base64)]. */
interface MemoFile { format: 3; dirs: Record<string, [string, string, string]> }

/** The one hash over files as [path, hash] pairs (what FileSet.fingerprint makes from its own). */
export function fingerprintOf(hashes: readonly (readonly [string, string])[]): string {
  return sha256(hashes.map(([rel, h]) => `${rel} ${h}`).join('\n'));
}

const NL = 10;
const DIGEST = 32;

/** One remembered file: its stat numbers (size, mtime, ctime, inode) and its digest. */
interface Line { stats: ArrayLike<number>; digest: Buffer }

/**
 * One folder's memo: its stored names, stat numbers and digests, read in order through `cursor`
 * (a character of `names`) and `index` (a name's place), and made a map by name once a lookup
 * leaves that order or a file is remembered.
 */
interface Folder { stored?: [string, string, string]; names: string; stats: Float64Array; digests: Buffer; cursor: number; index: number; lines?: Map<string, Line>; dirty?: boolean }

export class FileFingerprints {
  private readonly dirs = new Map<string, Folder>();
  private last?: { dir: string; folder: Folder };
  private dirty = false;
  /** Whether the memo file was read (it is read when first needed, and let go of by save). */
  private loaded = false;

  /** The folder the memo lives in (the runs directory): plan-time memos of source kinds go beside it. */
  readonly dir: string;

  constructor(private readonly memoFile: string) {
    this.dir = dirname(memoFile);
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const m = JSON.parse(readFileSync(this.memoFile, 'utf8')) as MemoFile;
      if (m.format === 3) for (const [dir, stored] of Object.entries(m.dirs)) this.dirs.set(dir, { stored, names: '', stats: NONE, digests: EMPTY, cursor: 0, index: 0 });
    } catch {
      // no memo yet, an unreadable one or one of an earlier format: files are hashed again
    }
  }

  /** One hash over the given files: their paths (relative to `base`) and contents. */
  async of(files: readonly string[], base: (f: string) => string): Promise<string> {
    return (await this.hashes(files, base)).fingerprint;
  }

  /** Whether the memo knows the folder of `file` (else its files are all to hash: stat-ahead.ts hashes them beside planning). */
  knowsFolderOf(file: string): boolean {
    return this.folderOf(file, file.lastIndexOf('/')) !== undefined;
  }

  /**
   * The files, in the order of their full paths: each one's path as `rel` gives it (under the
   * folder `base`), content hash and stat numbers. `stats`: the files' numbers (stat-pack.ts), in
   * the order of `files`, when they were statted already (stat-ahead.ts); `digests`: hashPacked's
   * hashes of them, made with those numbers, where another thread hashed them.
   */
  async hashes(files: readonly string[], rel: (f: string) => string, base = '.', stats = statPacked(files), digests?: Uint8Array): Promise<FileSet> {
    const out = FileSet.builder(base, files.length);
    const order = Array.from(files, (_, i) => i).sort((a, b) => (files[a] < files[b] ? -1 : files[a] > files[b] ? 1 : 0));
    const st: FileStatFields = { size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 }; // one file's numbers at a time: copied by what keeps them
    for (const i of order) {
      const f = files[i], k = i * STAT_FIELDS;
      // A regular file whose stat numbers are remembered is not opened.
      if (stats[k] === FILE) {
        st.size = stats[k + 1];
        st.mtimeMs = stats[k + 2];
        st.ctimeMs = stats[k + 3];
        st.ino = stats[k + 4];
        if (this.remembered(f, st, rel, out)) continue;
        if (digests?.[i] === 1) {
          const digest = Buffer.from(digests.subarray(files.length + i * DIGEST, files.length + (i + 1) * DIGEST));
          this.remember(f, st, digest);
          out.add(rel(f), digest, st);
          continue;
        }
      }
      const got = this.fileHash(f);
      out.add(rel(f), got.hash, got.st);
    }
    return out.done();
  }

  /** Read and hash a file (what it is, if it is not a regular file), and remember the hash. */
  private fileHash(file: string): { hash: string; st?: FileStatFields } {
    const r = hashFile(file);
    if ('what' in r) return { hash: r.what };
    this.remember(file, r.st, r.digest);
    return { hash: r.digest.toString('hex'), st: r.st };
  }

  /** Whether a digest is remembered for `file` with these stat numbers: then it is added to `out`. */
  private remembered(file: string, st: FileStatFields, rel: (f: string) => string, out: Builder): boolean {
    const cut = file.lastIndexOf('/');
    const folder = this.folderOf(file, cut);
    if (!folder) return false;
    const name = file.slice(cut + 1);
    if (!folder.lines) {
      // In stored order, the next name is this file's: compare it and its stat numbers in place.
      const { names, cursor, index: i, stats: s } = folder;
      const end = cursor + name.length;
      if (names.startsWith(name, cursor) && (end === names.length || names.charCodeAt(end) === NL) && i * 4 < s.length) {
        folder.cursor = end + 1;
        folder.index = i + 1;
        if (!sameStats(s, i * 4, st)) return false;
        out.add(rel(file), folder.digests, st, i * DIGEST);
        return true;
      }
      parse(folder);
    }
    const line = folder.lines!.get(name);
    if (!line || !sameStats(line.stats, 0, st)) return false;
    out.add(rel(file), line.digest, st);
    return true;
  }

  /** The memo of the folder of `file` (its last '/' at `cut`): the last one found while files come folder by folder. */
  private folderOf(file: string, cut: number): Folder | undefined {
    this.load();
    const last = this.last;
    if (last && cut === last.dir.length && file.startsWith(last.dir)) return last.folder;
    const dir = cut < 0 ? '' : file.slice(0, cut);
    const folder = this.dirs.get(dir);
    if (folder) {
      decode(folder);
      this.last = { dir, folder };
    }
    return folder;
  }

  private remember(file: string, st: FileStatFields, digest: Buffer): void {
    const [dir, name] = split(file);
    if (/[\t\n]/.test(name)) return; // a name that would break its line is hashed on every run
    this.load();
    let folder = this.dirs.get(dir);
    if (!folder) this.dirs.set(dir, folder = { names: '', stats: NONE, digests: EMPTY, cursor: 0, index: 0 });
    decode(folder);
    parse(folder);
    folder.lines!.set(name, { stats: [st.size, st.mtimeMs, st.ctimeMs, st.ino], digest });
    folder.dirty = this.dirty = true;
  }

  /**
   * Write the memo if a hash was added, then let go of it (read again when next needed): planning
   * is done, and what it keeps of each file is in its FileSets.
   */
  save(): void {
    if (this.dirty) {
      const dirs: MemoFile['dirs'] = {};
      for (const [dir, folder] of this.dirs) dirs[dir] = folder.stored ?? encode(folder);
      mkdirSync(dirname(this.memoFile), { recursive: true });
      const tmp = `${this.memoFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ format: 3, dirs } satisfies MemoFile));
      renameSync(tmp, this.memoFile);
      this.dirty = false;
    }
    this.dirs.clear();
    this.last = undefined;
    this.loaded = false;
  }
}

const NONE = new Float64Array(0);
const EMPTY = Buffer.alloc(0);

/** A folder's memo as stored: from its lines when a hash was added, else from its decoded arrays. */
function encode(folder: Folder): [string, string, string] {
  if (!folder.dirty) return [folder.names, Buffer.from(folder.stats.buffer, folder.stats.byteOffset, folder.stats.byteLength).toString('base64'), folder.digests.toString('base64')];
  const lines = [...folder.lines!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const stats = new Float64Array(lines.length * 4);
  lines.forEach(([, l], i) => stats.set(Array.from(l.stats), i * 4));
  return [lines.map(([n]) => n).join('\n'), Buffer.from(stats.buffer).toString('base64'), Buffer.concat(lines.map(([, l]) => l.digest)).toString('base64')];
}

/** A folder's stored memo, decoded once (its stat numbers copied out: base64 gives no 8-byte alignment) and its strings let go of. */
function decode(folder: Folder): void {
  if (!folder.stored) return;
  const [names, stats, digests] = folder.stored;
  folder.stored = undefined;
  folder.names = names;
  const bytes = Buffer.from(stats, 'base64');
  folder.stats = new Float64Array(bytes.length / 8);
  new Uint8Array(folder.stats.buffer).set(bytes);
  folder.digests = Buffer.from(digests, 'base64');
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
  const names = folder.names ? folder.names.split('\n') : [];
  names.forEach((name, i) => folder.lines!.set(name, { stats: folder.stats.subarray(i * 4, i * 4 + 4), digest: folder.digests.subarray(i * DIGEST, (i + 1) * DIGEST) }));
}
