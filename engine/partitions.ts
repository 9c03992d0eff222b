// Per-scan cache partitions, planned. A source whose kind groups its files into scans (`scans`)
// and every stream node fed only by such nodes over the same scans is cached per scan: each
// scan's batches are an entry of their own, keyed by the node's key material with that scan's
// own input in place of the whole table's (a source: the scan's files; a stream node: its
// inputs' entries of that scan). The node's own entry lists its scans in order, and its key
// hashes that list, so a barrier downstream reruns when the set changes and reads them as one
// table. Adding, removing or changing scans computes only those; a param or code change, every
// scan. Keys come from fingerprints alone: nothing here reads data.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { sha256 } from './canonical.js';
import { GraphError } from './errors.js';
import type { FileSet } from './file-set.js';
import { fingerprintOf, statSignature, type FileFingerprints } from './fingerprint.js';
import { keyTemplate } from './key-template.js';
import { withStats } from './stat-ahead.js';
import type { Lookup, Manifest, PartitionRef, Store } from './store.js';
import type { ScanFiles, ScanMemo } from './types.js';
import type { Graph, GraphNode } from './validate.js';

/** In a source's scan entry: its files, [path under the scan's folder, content hash]. */
export const SCAN_FILES = 'scan-files.json';

/** One scan of a partitioned node, as planned. */
export interface Part extends PartitionRef {
  /**
   * A source's: its files (paths under the scan's folder, content hashes, the stat numbers each was
   * hashed with), compact (engine/file-set.ts); their [path, hash] pairs are kept in its entry to
   * say later which changed.
   */
  fileSet?: FileSet;
  /** Set when the node's own entry is missing: whether this scan's entry is stored. */
  lookup?: Lookup;
}

/** The hash of a node's scans in order: what stands for its input in its key (KeyMaterial.scans). */
export function scansDigest(parts: readonly PartitionRef[]): string {
  return sha256(parts.map((p) => `${p.scan}\t${p.key}`).join('\n'));
}

/** The key material a scan's key is made from: the node's, less its scan digest. */
type Material = { params: Record<string, unknown>; scans?: string };

/**
 * A source's scan keys: its material (less the params that only choose the scan set) with a
 * scan's id and the fingerprint of its files (FileSet.fingerprint, or fingerprintOf its pairs).
 */
export function sourcePartKeys(material: Material, setParams: readonly string[]): (scan: string, files: FileSet | readonly (readonly [string, string])[]) => string {
  const { scans: _scans, ...rest } = material;
  const params = Object.fromEntries(Object.entries(material.params).filter(([k]) => !setParams.includes(k)));
  const key = keyTemplate(2, ([scan, files]) => ({ ...rest, params, scan, files }));
  return (scan, files) => key([scan, 'fingerprint' in files ? files.fingerprint : fingerprintOf(files)]);
}

/** A stream node's scan keys: its material with a scan's id and its inputs' keys of that scan ("<key>.<port>" by port). */
export function streamPartKeys(material: Material, ports: readonly string[]): (scan: string, inputs: Record<string, string>) => string {
  const { scans: _scans, ...rest } = material;
  const key = keyTemplate(1 + ports.length, ([scan, ...keys]) => ({ ...rest, scan, inputs: Object.fromEntries(ports.map((p, i) => [p, keys[i]])) }));
  return (scan, inputs) => key([scan, ...ports.map((p) => inputs[p])]);
}

/** A partitioned source's scans: its files grouped by the kind's hook, each scan fingerprinted. */
export async function sourceParts(node: GraphNode, material: Material, fingerprints: FileFingerprints): Promise<Part[]> {
  const listed = (node.def as { scans: (p: unknown, m: ScanMemo) => Promise<ScanFiles[]> | AsyncIterable<ScanFiles> }).scans(node.params, { dir: join(fingerprints.dir, 'memo'), signature: statSignature });
  const keyOf = sourcePartKeys(material, (node.def as { scanSetParams?: string[] }).scanSetParams ?? []);
  // Where a scan's files were (to name both of two scans with one id), not the files themselves.
  const seen = new Map<string, string>();
  const parts: Part[] = [];
  // a scan whose folder the memo does not know is hashed beside planning, on the stat threads
  for await (const { scan: s, stats, digests } of withStats(listing(node, listed), undefined, (x) => x.files.length > 0 && !fingerprints.knowsFolderOf(x.files[0]))) {
    const twin = seen.get(s.id);
    if (twin) {
      const at = node.locate(['params']);
      throw new GraphError([{
        code: 'duplicate-scan', ...at, node: node.id,
        message: `${node.kind}: two scans have the id "${s.id}": ${twin} and ${where(s)}`,
        hint: 'rename or move one of the two folders: each scan of a source needs an id of its own',
      }]);
    }
    seen.set(s.id, where(s));
    const base = commonDir(s.files);
    const fileSet = await fingerprints.hashes(s.files, under(base), base, stats, digests);
    parts.push({ scan: s.id, key: keyOf(s.id, fileSet), fileSet });
  }
  return parts;
}

/** The hook's scans, one by one; a failure to list them is the node's error, with the fix. */
async function* listing(node: GraphNode, listed: Promise<ScanFiles[]> | AsyncIterable<ScanFiles>): AsyncIterable<ScanFiles> {
  try {
    yield* Symbol.asyncIterator in listed ? listed : await listed;
  } catch (e) {
    const at = node.locate(['params']);
    throw new GraphError([{ code: 'input-files', ...at, node: node.id, message: `${node.kind}: cannot list its scans: ${(e as Error).message}`, hint: 'check the path params of this node (relative paths are from the working directory)' }]);
  }
}

function where(s: ScanFiles): string {
  return s.files.length ? dirname(s.files[0]) : '(no files)';
}

/**
 * A stream node's scans, when each of its inputs is partitioned over the same scans (else
 * undefined: the node is cached whole). `inputs` are the planned parts of its inputs by port.
 */
export function streamParts(node: GraphNode, material: Material, inputs: Record<string, { parts?: Part[]; port: string; node: string }>): Part[] | undefined {
  const ports = Object.entries(inputs);
  if (ports.length === 0 || ports.some(([, i]) => !i.parts)) return undefined;
  const scans = ports[0][1].parts!.map((p) => p.scan);
  const other = ports.find(([, i]) => i.parts!.length !== scans.length || i.parts!.some((p, k) => p.scan !== scans[k]));
  if (other) {
    const first = ports[0][1].node;
    const odd = other[1].parts!.map((p) => p.scan).find((s) => !scans.includes(s)) ?? scans.find((s) => !other[1].parts!.some((p) => p.scan === s));
    const at = node.locate(['in']);
    throw new GraphError([{
      code: 'scans-differ', ...at, node: node.id,
      message: `its inputs "${first}" and "${other[1].node}" do not hold the same scans${odd ? ` (scan ${odd} is in one only)` : ''}; a stream node pairs its inputs scan by scan`,
      hint: 'read both from the same source, or give both sources the same scans',
    }]);
  }
  const keyOf = streamPartKeys(material, ports.map(([port]) => port));
  return scans.map((scan, k) => {
    const partInputs = Object.fromEntries(ports.map(([port, i]) => [port, `${i.parts![k].key}.${i.port}`]));
    return { scan, key: keyOf(scan, partInputs) };
  });
}

/**
 * The nodes cached (or, unstored, computed) per scan, from the graph's shape: a source with a
 * `scans` hook; a stream node whose inputs all are such nodes; and, of these, an unstored one only
 * when it feeds only such nodes (an unstored node is computed for the scans its consumers compute;
 * one read by a whole node would have to be materialised whole). So a fused chain from an unstored
 * source into a small stored node (the lung windows) is cached per scan at that node.
 */
export function perScanNodes(graph: Graph): Set<string> {
  const consumers = new Map<string, string[]>();
  for (const id of graph.order) for (const ref of Object.values(graph.nodes.get(id)!.inputs)) consumers.set(ref.node, [...(consumers.get(ref.node) ?? []), id]);
  const out = new Set<string>();
  for (const id of graph.order) {
    const n = graph.nodes.get(id)!;
    const refs = Object.values(n.inputs);
    if (n.def.mode === 'source' ? n.def.scans : n.def.mode === 'stream' && refs.length > 0 && refs.every((r) => out.has(r.node))) out.add(id);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const id of [...graph.order].reverse()) {
      const n = graph.nodes.get(id)!;
      if (!out.has(id)) continue;
      const dropped = Object.values(n.inputs).some((r) => !out.has(r.node)) || (!n.cache && (consumers.get(id) ?? []).some((c) => !out.has(c)));
      if (dropped) {
        out.delete(id);
        changed = true;
      }
    }
  }
  return out;
}

/**
 * The files of a source's scan that differ now from when it was planned (checked after the scan
 * was produced): its entry must not be stored under the planned key. By the fingerprints' own
 * rule: a file whose stat signature (size, mtime, ctime, inode) is the one it was hashed with is
 * unchanged (a stat, not a second read of the data); another is hashed again. Files that were not regular files at
 * planning ("!fifo", "!ENOENT") are left to the source to report.
 */
export async function filesChangedSince(part: Part): Promise<string[]> {
  const changed: string[] = [];
  const set = part.fileSet;
  for (const [k, rel] of (set?.rels() ?? []).entries()) {
    const hash = set!.hash(k);
    if (hash.startsWith('!')) continue;
    const file = join(set!.base, rel);
    const st = await stat(file).catch(() => undefined);
    if (st && set!.unchanged(k, st)) continue;
    const now = st ? await readFile(file).then((b) => createHash('sha256').update(b).digest('hex'), () => 'unreadable') : 'unreadable';
    if (now !== hash) changed.push(rel);
  }
  return changed;
}

/** Whether each scan's entry is stored (only needed when the node's own entry is missing). */
export function lookupParts(store: Store, parts: Part[]): void {
  for (const p of parts) p.lookup = store.lookup(p.key);
}

/** Scans this run must compute. */
export function missingParts(parts: readonly Part[]): Part[] {
  return parts.filter((p) => !p.lookup?.hit);
}

const SHOWN = 3;

function names(xs: readonly string[]): string {
  return xs.length ? ` (${xs.slice(0, SHOWN).join(', ')}${xs.length > SHOWN ? ', …' : ''})` : '';
}

/**
 * Why a partitioned node runs, scan by scan: "3 of 303 scans new (a, b, c, …), 1 changed (x: 7.jpg),
 * 299 cached". `before` is the node's entry of the earlier run, when it is still stored.
 */
export function partsReason(store: Store, parts: readonly Part[], before: Manifest | undefined): string {
  const old = new Map((before?.partitions ?? []).map((p) => [p.scan, p.key]));
  const now = new Set(parts.map((p) => p.scan));
  const missing = missingParts(parts);
  const added = missing.filter((p) => before && !old.has(p.scan)).map((p) => p.scan);
  const changed = missing.filter((p) => old.has(p.scan) && old.get(p.scan) !== p.key).map((p) => changedScan(store, p, old.get(p.scan)!));
  const broken = missing.filter((p) => old.get(p.scan) === p.key).map((p) => `${p.scan}: ${p.lookup && !p.lookup.hit ? p.lookup.reason : 'missing'}`);
  const removed = [...old.keys()].filter((s) => !now.has(s));
  const out: string[] = [];
  if (!before) out.push(`${missing.length} of ${parts.length} scans to compute`);
  else {
    if (added.length) out.push(`${added.length} of ${parts.length} scans new${names(added)}`);
    if (changed.length) out.push(`${changed.length} changed${names(changed)}`);
    if (broken.length) out.push(`${broken.length} recomputed${names(broken)}`);
    if (removed.length) out.push(`${removed.length} removed${names(removed)}`);
  }
  out.push(`${parts.length - missing.length} cached`);
  return out.join(', ');
}

/** "scan: 7.jpg" when the earlier entry of a source's scan says which files differ. */
function changedScan(store: Store, p: Part, oldKey: string): string {
  if (!p.fileSet) return p.scan;
  let oldFiles: [string, string][];
  try {
    oldFiles = JSON.parse(readFileSync(join(store.entryDir(oldKey), SCAN_FILES), 'utf8')) as [string, string][];
  } catch {
    return p.scan; // collected, or written before scans kept their files
  }
  const a = new Map(oldFiles);
  const b = new Map(p.fileSet.entries());
  const diff = [...new Set([...a.keys(), ...b.keys()])].filter((f) => a.get(f) !== b.get(f));
  return diff.length ? `${p.scan}: ${diff.slice(0, 2).join(', ')}${diff.length > 2 ? `, … (${diff.length} files)` : ''}` : p.scan;
}

/** "set of scans changed: +3 −0 ~1" between two partitioned entries of an input. */
export function scanSetChange(before: Manifest, now: readonly PartitionRef[]): string {
  const old = new Map((before.partitions ?? []).map((p) => [p.scan, p.key]));
  const cur = new Map(now.map((p) => [p.scan, p.key]));
  const plus = [...cur.keys()].filter((s) => !old.has(s)).length;
  const minus = [...old.keys()].filter((s) => !cur.has(s)).length;
  const changed = [...cur].filter(([s, k]) => old.has(s) && old.get(s) !== k).length;
  return `set of scans changed: +${plus} −${minus} ~${changed}`;
}

/** A file's path under `base` (a folder holding it: commonDir's), without path.relative's cost a call. */
export function under(base: string): (f: string) => string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return (f) => (f.startsWith(prefix) ? f.slice(prefix.length) : relative(base, f));
}

/** The deepest folder holding every file ('.' for none). */
export function commonDir(files: readonly string[]): string {
  if (files.length === 0) return '.';
  let dir = dirname(files[0]);
  const holds = (d: string) => {
    const prefix = d.endsWith('/') ? d : `${d}/`;
    return files.every((f) => f.startsWith(prefix));
  };
  while (!holds(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}
