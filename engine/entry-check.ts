// Full checks of cache entries that no later node reads. A rerun verifies every batch it reads,
// but a leaf entry (read by no node of the graph) is never read, so a byte flipped in one would
// keep a run "all cached" forever. Here each file of such an entry is hashed against its
// manifest (every batch's sha256, every artifact's) once per version of the file: a file whose
// inode, size, mtime and ctime are as when it last passed is not read again (the memo lives in
// <runs>/cache/checked.json; the ctime moves on any write, even one whose mtime is set back), and
// a partitioned node's scan whose files (its manifest's included) all passed so is not opened, so
// a no-op rerun stays a matter of stat calls, a few a scan.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { CorruptEntry } from './errors.js';
import type { Plan } from './plan.js';
import { ARTIFACTS, type Manifest, type Store } from './store.js';
import { writeInside } from './safe-fs.js';

type Memo = Record<string, string>;

/**
 * Why the entry of `key` does not match its manifest, or undefined when every byte does; for a
 * partitioned node, `key` is the entry of the scan that failed (only that one is recomputed).
 */
export function entryCorruption(store: Store, manifest: Manifest, memo: Memo = {}): { key: string; why: string } | undefined {
  for (const part of manifest.partitions ?? []) {
    // A scan whose files (its manifest's included, listed with their sizes in the node's) all
    // passed as they are now is not looked at again: a stat a file, no manifest read.
    const dir = store.entryDir(part.key);
    if (part.sizes && Object.keys(part.sizes).every((f) => passed(join(dir, f), memo))) continue;
    const found = store.lookup(part.key);
    const why = found.hit ? fileCorruption(store, found.manifest, memo) : found.reason;
    if (why) return { key: part.key, why: `the entry of scan ${part.scan}: ${why}` };
    const mf = join(dir, 'manifest.json');
    const st = statSync(mf, { throwIfNoEntry: false });
    if (st) memo[mf] = signatureOf(st); // its checksum held (store.lookup)
  }
  const why = fileCorruption(store, manifest, memo);
  return why ? { key: manifest.key, why } : undefined;
}

function fileCorruption(store: Store, manifest: Manifest, memo: Memo): string | undefined {
  const dir = store.entryDir(manifest.key);
  for (const [port, pm] of Object.entries(manifest.outputs)) {
    const why = checkFile(join(dir, pm.file), pm.batches.map((b) => ({ ...b, what: `output "${port}" batch` })), memo);
    if (why) return why;
  }
  for (const [rel, a] of Object.entries(manifest.artifacts ?? {})) {
    const why = checkFile(join(dir, ARTIFACTS, rel), [{ offset: 0, length: a.bytes, sha256: a.sha256, what: `artifact "${rel}"` }], memo);
    if (why) return why;
  }
  return undefined;
}

/** Cached stored nodes of `plan` that no node of its graph reads and whose files fail their checksums. */
export function corruptLeaves(store: Store, plan: Plan, runsDir: string): CorruptEntry[] {
  const read = new Set([...plan.graph.nodes.values()].flatMap((n) => Object.values(n.inputs).map((r) => r.node)));
  const memoFile = join(store.cacheDir, 'checked.json');
  const memo = readMemo(memoFile);
  const before = JSON.stringify(memo);
  const out: CorruptEntry[] = [];
  for (const [id, p] of plan.nodes) {
    if (read.has(id) || p.runs || !p.lookup?.hit) continue;
    const bad = entryCorruption(store, p.lookup.manifest, memo);
    if (bad) out.push(new CorruptEntry(bad.key, id, bad.why));
  }
  if (JSON.stringify(memo) !== before) writeInside(runsDir, memoFile, JSON.stringify(memo));
  return out;
}

interface Range { offset: number; length: number; sha256: string; what: string }

function checkFile(file: string, ranges: Range[], memo: Memo): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) return `${file} is missing`;
  const signature = signatureOf(st);
  if (memo[file] === signature) return undefined;
  const fd = openSync(file, 'r');
  try {
    for (const [i, r] of ranges.entries()) {
      const buf = Buffer.alloc(r.length);
      const got = r.length ? readSync(fd, buf, 0, r.length, r.offset) : 0;
      if (got !== r.length || createHash('sha256').update(buf).digest('hex') !== r.sha256) {
        return `${file}: ${r.what}${ranges.length > 1 ? ` ${i}` : ''} does not match its checksum`;
      }
    }
  } finally {
    closeSync(fd);
  }
  memo[file] = signature;
  return undefined;
}

function signatureOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** Whether `file` passed its check as it is now. */
function passed(file: string, memo: Memo): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  return Boolean(st?.isFile()) && memo[file] === signatureOf(st!);
}

/**
 * Files remembered at most (the memo starts anew past it; it only saves reads). A few files per
 * scan of each stored per-scan node: 7,700 scans (COV19-CT-DB) with three such nodes is ≈ 50,000.
 */
const MEMO_MAX = 200_000;

function readMemo(file: string): Memo {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const ok = m && typeof m === 'object' && !Array.isArray(m) && Object.keys(m).length < MEMO_MAX;
    return ok ? Object.assign(Object.create(null) as Memo, m) : {};
  } catch {
    return {};
  }
}
