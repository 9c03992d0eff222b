// The files of one input as planning keeps them for the whole run (a source's scan, a node's input
// files): their paths under one folder, joined into one string; each file's content hash as 32
// bytes of one Buffer; the four stat numbers it was hashed with (engine/fingerprint.ts
// statSignature's: size, mtime, ctime, inode) in one Float64Array. ≈ 80 bytes a file where an
// array of [path, hex hash] pairs and signature strings held ≈ 1 kB (issue 23's planning slope).
// The pairs ([path, hash] in order, what keys hash and scan-files.json stores) are made when asked.
import { join } from 'node:path';
import { sha256 } from './canonical.js';
import type { FileStatFields } from './types.js';

/** Bytes of a content hash (sha256). */
const DIGEST = 32;
/** Stat numbers a file: size, mtime (ms), ctime (ms), inode. */
const STATS = 4;
/** Joins the paths: no file name holds it. */
const SEP = '\0';
const HEX = /^[0-9a-f]{64}$/;

/** Fills a FileSet in order (FileSet.builder). */
export interface FileSetBuilder {
  /** The next file: its path under the base, its hash (hex, "!what" for no regular file, or 32 bytes of `digest` from `at`) and its stat. */
  add(rel: string, hash: string | Uint8Array, st?: FileStatFields, at?: number): void;
  done(): FileSet;
}

/** What a FileSet is as JSON (a shard's job carries its scans' files to the worker that reads them). */
export interface FileSetJson { base: string; files: [string, string][]; stats: (number | null)[] }

export class FileSet {
  private constructor(
    /** The folder the paths are under. */
    readonly base: string,
    private readonly paths: string,
    readonly length: number,
    private readonly digests: Buffer,
    private readonly stats: Float64Array,
    /** Hashes that are no sha256: what a file that is not a regular one is ("!fifo", "!ENOENT"), by index. */
    private readonly odd: ReadonlyMap<number, string>,
    /** The one hash over the files (fingerprintOf their [path, hash] pairs), made as the set is sealed. */
    readonly fingerprint: string,
  ) {}

  /** A set of `n` files under `base` filled in order by the returned `add`; `done` seals it. */
  static builder(base: string, n: number): FileSetBuilder {
    const rels: string[] = [];
    const digests = Buffer.alloc(n * DIGEST);
    const stats = new Float64Array(n * STATS).fill(NaN);
    const odd = new Map<number, string>();
    return {
      add(rel, hash, st, at = 0) {
        const i = rels.length;
        rels.push(rel);
        if (typeof hash !== 'string') for (let k = 0, o = i * DIGEST; k < DIGEST; k++) digests[o + k] = hash[at + k]; // 32 bytes: a loop beats Buffer.copy's call
        else if (HEX.test(hash)) digests.write(hash, i * DIGEST, 'hex');
        else odd.set(i, hash);
        if (st) {
          const k = i * STATS;
          stats[k] = st.size;
          stats[k + 1] = st.mtimeMs;
          stats[k + 2] = st.ctimeMs;
          stats[k + 3] = st.ino;
        }
      },
      done: () => new FileSet(base, rels.join(SEP), rels.length, digests, stats, odd, fingerprint(rels, digests, odd)),
    };
  }

  /** A FileSet from its JSON (toJSON's). */
  static fromJson(j: FileSetJson): FileSet {
    const b = FileSet.builder(j.base, j.files.length);
    j.files.forEach(([rel, hash], i) => {
      const s = j.stats.slice(i * STATS, i * STATS + STATS);
      b.add(rel, hash, s.every((x) => typeof x === 'number') ? { size: s[0]!, mtimeMs: s[1]!, ctimeMs: s[2]!, ino: s[3]! } : undefined);
    });
    return b.done();
  }

  toJSON(): FileSetJson {
    return { base: this.base, files: this.entries(), stats: Array.from(this.stats, (x) => (Number.isNaN(x) ? null : x)) };
  }

  /** Paths under `base`, in order. */
  rels(): string[] {
    return this.length ? this.paths.split(SEP) : [];
  }

  /** Full paths, in order. */
  files(): string[] {
    return this.rels().map((rel) => join(this.base, rel));
  }

  /** File i's content hash (hex), or what it is when it is no regular file ("!fifo"). */
  hash(i: number): string {
    return this.odd.get(i) ?? this.digests.toString('hex', i * DIGEST, (i + 1) * DIGEST);
  }

  /** [path under base, hash] of each file, in order. */
  entries(): [string, string][] {
    return this.rels().map((rel, i) => [rel, this.hash(i)]);
  }

  /** Whether file i now (`st`) has the stat numbers it was hashed with (false for a file that was not a regular one). */
  unchanged(i: number, st: FileStatFields): boolean {
    return sameStats(this.stats, i * STATS, st);
  }
}

/** Whether the stat numbers [size, mtime, ctime, inode] at `at` of `s` are a file's now (statSignature's rule, kept as numbers). */
export function sameStats(s: ArrayLike<number>, at: number, st: FileStatFields): boolean {
  return s[at] === st.size && s[at + 1] === st.mtimeMs && s[at + 2] === st.ctimeMs && s[at + 3] === st.ino;
}

/** fingerprintOf the pairs, made without them: one text of "path hash" lines. */
function fingerprint(rels: readonly string[], digests: Buffer, odd: ReadonlyMap<number, string>): string {
  const hex = digests.toString('hex');
  let text = '';
  for (let i = 0; i < rels.length; i++) text += `${i ? '\n' : ''}${rels[i]} ${odd.get(i) ?? hex.slice(i * 64, i * 64 + 64)}`;
  return sha256(text);
}
