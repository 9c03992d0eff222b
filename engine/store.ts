// Content-addressed store of node outputs: <root>/cache/<key[0:2]>/<key>/{manifest.json, <port>.arrow}.
// An entry is written in a temporary directory and renamed into place, so a reader sees a whole
// entry or none. A missing, partial or corrupt entry is a miss with a reason, never an input.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { canonicalJson, sha256 } from './canonical.js';
import type { FileTableReader, PortManifest, PortWriter } from './arrow-io.js';
import type { PartFile } from './partition-reader.js';
import type { TableReader } from './types.js';

/** Bytes of verified manifests a store keeps parsed (an unpartitioned one is ~1 MB at 2000 scans, one scan's ~1 kB). */
const VERIFIED_BYTES = 64 * 1024 ** 2;

/** Sub-directory of an entry holding the files a node wrote for people (ctx.artifacts). */
export const ARTIFACTS = 'artifacts';

export interface Manifest {
  format: 1;
  key: string;
  kind: string;
  outputs: Record<string, PortManifest>;
  /** Files under artifacts/: relative path → size and sha256. */
  artifacts?: Record<string, { bytes: number; sha256: string }>;
  /** Small values made from its outputs when the entry was sealed, by port (see Summarizer). */
  summaries?: Record<string, unknown>;
  /**
   * A partitioned node's (engine/partitions.ts): its scans in order, each stored as an entry of
   * its own; `outputs` is then empty and a reader reads the scans' entries as one table.
   */
  partitions?: PartitionRef[];
  /** A partitioned node's: rows by output port, over all its scans. */
  rows?: Record<string, number>;
  /** One scan's entry: which scan, and what its node noted for it. */
  scan?: ScanRecord;
  /** A partitioned node's: what it noted, merged over its scans (ctx.note), kept for reruns to repeat. */
  notes?: Record<string, unknown>;
  /** sha256 of the canonical JSON of the fields above. */
  check: string;
}

/** One scan of a partitioned node: the scan id and the key of its entry. */
export interface PartitionRef {
  scan: string;
  key: string;
  /**
   * In a node's list: the sizes of the scan entry's files (its manifest's included) when the node
   * was stored, so that looking the node up is a stat per file, not a parse per scan.
   */
  sizes?: Record<string, number>;
}

export interface ScanRecord { id: string; notes?: Record<string, unknown> }

/** A verified reader over one stored output, whole or partitioned; close it when done. */
export type PortReader = TableReader & { close(): Promise<void> };

/**
 * Reads one output of a sealed entry into a small JSON value kept in the manifest, so that whoever
 * needs it later (a run record) reads the manifest, not the table.
 */
export type Summarizer = (reader: FileTableReader) => Promise<unknown>;

export type Lookup = { hit: true; manifest: Manifest } | { hit: false; reason: string; corrupt: boolean };

export class Store {
  readonly cacheDir: string;
  /** Manifests that passed their checksum, by key, with the file's inode, size, mtime and ctime. */
  private readonly verified = new Map<string, { signature: string; manifest: Manifest; bytes: number }>();
  private verifiedBytes = 0;

  constructor(readonly root: string) {
    this.cacheDir = join(root, 'cache');
  }

  entryDir(key: string): string {
    return join(this.cacheDir, key.slice(0, 2), key);
  }

  /** Cheap check: manifest present and consistent, files present with their recorded sizes. */
  lookup(key: string): Lookup {
    const found = this.manifest(key);
    if (!found.hit) return found;
    const { manifest } = found;
    if (manifest.partitions) return this.lookupPartitions(manifest);
    const dir = this.entryDir(key);
    for (const [port, pm] of Object.entries(manifest.outputs)) {
      const file = join(dir, pm.file);
      const size = existsSync(file) ? statSync(file).size : -1;
      if (size < 0) return { hit: false, reason: `output "${port}" file is missing`, corrupt: true };
      if (size !== pm.bytes) return { hit: false, reason: `output "${port}" file is ${size} bytes, expected ${pm.bytes} (truncated or altered)`, corrupt: true };
    }
    for (const [rel, a] of Object.entries(manifest.artifacts ?? {})) {
      const file = join(dir, ARTIFACTS, rel);
      if (!existsSync(file) || statSync(file).size !== a.bytes) return { hit: false, reason: `artifact "${rel}" is missing or altered`, corrupt: true };
    }
    return { hit: true, manifest };
  }

  /** The entry's manifest, checked against its checksum only (its files and scans are not looked at). */
  manifest(key: string): Lookup {
    const mf = join(this.entryDir(key), 'manifest.json');
    const st = statSync(mf, { throwIfNoEntry: false });
    if (!st) return { hit: false, reason: 'no cache entry', corrupt: false };
    // A run looks an entry up several times (plan, record, metrics) and a manifest of 2000 scans
    // is ~600 kB to parse and check: reuse the last verified one while the file is unchanged.
    const signature = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`; // the ctime moves on any write, even one whose mtime is set back
    const known = this.verified.get(key);
    let manifest = known?.signature === signature ? known.manifest : undefined;
    if (!manifest) {
      try {
        manifest = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
      } catch (e) {
        return { hit: false, reason: `manifest unreadable (${(e as Error).message})`, corrupt: true };
      }
      const { check, ...rest } = manifest;
      if (check !== sha256(canonicalJson(rest)) || manifest.key !== key) return { hit: false, reason: 'manifest fails its checksum', corrupt: true };
      this.remember(key, { signature, manifest, bytes: st.size });
    }
    return { hit: true, manifest };
  }

  /** A worker lives for many jobs: keep the latest manifests up to a size (a run needs its own nodes' again). */
  private remember(key: string, v: { signature: string; manifest: Manifest; bytes: number }): void {
    const old = this.verified.get(key);
    if (old) this.verifiedBytes -= old.bytes;
    this.verified.delete(key);
    this.verified.set(key, v);
    this.verifiedBytes += v.bytes;
    while (this.verifiedBytes > VERIFIED_BYTES && this.verified.size > 1) {
      const [first, e] = this.verified.entries().next().value!;
      this.verified.delete(first);
      this.verifiedBytes -= e.bytes;
    }
  }

  /** A partitioned node's entry is whole when each of its scans' entries is. */
  private lookupPartitions(manifest: Manifest): Lookup {
    for (const part of manifest.partitions!) {
      if (part.sizes) {
        const dir = this.entryDir(part.key);
        const changed = Object.entries(part.sizes).find(([f, bytes]) => statSync(join(dir, f), { throwIfNoEntry: false })?.size !== bytes);
        if (!changed) continue;
      }
      const found = this.lookup(part.key);
      if (!found.hit) return { hit: false, reason: `the entry of scan ${part.scan}: ${found.reason}`, corrupt: found.corrupt };
    }
    return { hit: true, manifest };
  }

  /** A verified random-access reader over one output of the entry in `dir` (a partitioned one reads its scans' entries). */
  async reader(dir: string, manifest: Manifest, port: string): Promise<PortReader> {
    if (manifest.partitions) {
      const { PartitionedReader } = await import('./partition-reader.js');
      return new PartitionedReader(await this.partFiles(manifest, port));
    }
    const { FileTableReader } = await import('./arrow-io.js');
    const pm = manifest.outputs[port];
    if (!pm) throw new Error(`cache entry ${manifest.key.slice(0, 12)} has no output "${port}"`);
    return new FileTableReader(join(dir, pm.file), pm);
  }

  /** The output files of `port` of a partitioned node, one per scan, each scan's entry looked up again. */
  async partFiles(manifest: Manifest, port: string): Promise<PartFile[]> {
    const { PartitionChecksumError } = await import('./partition-reader.js');
    return (manifest.partitions ?? []).map(({ scan, key }) => {
      const found = this.lookup(key);
      if (!found.hit) throw new PartitionChecksumError(key, scan, found.reason);
      const pm = found.manifest.outputs[port];
      if (!pm) throw new PartitionChecksumError(key, scan, `its entry has no output "${port}"`);
      return { scan, key, path: join(this.entryDir(key), pm.file), manifest: pm };
    });
  }

  /** A new entry; `summarizers` (by output port) fill its manifest's summaries when it is sealed. */
  async begin(key: string, kind: string, summarizers: Readonly<Record<string, Summarizer>> = {}): Promise<EntryWriter> {
    const tmp = join(this.cacheDir, 'tmp', `${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp, { recursive: true });
    return new EntryWriter(this, key, kind, tmp, summarizers);
  }

  /** Remove an entry (renamed away first, so no reader sees half of it). */
  async evict(key: string): Promise<void> {
    const dir = this.entryDir(key);
    if (!existsSync(dir)) return;
    const trash = join(this.cacheDir, 'tmp', `evict.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
    mkdirSync(join(this.cacheDir, 'tmp'), { recursive: true });
    await rename(dir, trash);
    await rm(trash, { recursive: true, force: true });
  }
}

export class EntryWriter {
  private readonly writers = new Map<string, PortWriter>();
  private readonly adopted = new Map<string, PortManifest>();
  /** What the manifest says of a partitioned node or of one scan (engine/partition-group.ts). */
  private described: Pick<Manifest, 'partitions' | 'rows' | 'scan' | 'notes'> = {};

  constructor(private readonly store: Store, readonly key: string, private readonly kind: string, readonly dir: string,
    private readonly summarizers: Readonly<Record<string, Summarizer>>) {}

  async port(name: string, schema: Schema): Promise<PortWriter> {
    const { PortWriter } = await import('./arrow-io.js');
    const w = await PortWriter.open(join(this.dir, `${name}.arrow`), schema);
    this.writers.set(name, w);
    return w;
  }

  /** A port file written into this entry's directory by someone else (a child process). */
  adopt(name: string, pm: PortManifest): void {
    this.adopted.set(name, pm);
  }

  /** Record in the manifest what this entry is: one scan's, or a partitioned node's list of scans. */
  describe(fields: Pick<Manifest, 'partitions' | 'rows' | 'scan' | 'notes'>): void {
    this.described = { ...this.described, ...fields };
  }

  /** Close every port and write the manifest; the entry stays in its temporary directory. */
  async seal(): Promise<Manifest> {
    const outputs: Record<string, PortManifest> = Object.fromEntries(this.adopted);
    for (const [name, w] of this.writers) outputs[name] = await w.close();
    const artifacts = listArtifacts(join(this.dir, ARTIFACTS));
    const summaries: Record<string, unknown> = {};
    for (const [port, summarize] of Object.entries(this.summarizers)) {
      if (!outputs[port]) continue;
      const { FileTableReader } = await import('./arrow-io.js');
      const reader = new FileTableReader(join(this.dir, outputs[port].file), outputs[port]);
      try {
        summaries[port] = await summarize(reader);
      } finally {
        await reader.close();
      }
    }
    const body = {
      format: 1 as const, key: this.key, kind: this.kind, outputs,
      ...(Object.keys(artifacts).length ? { artifacts } : {}),
      ...(Object.keys(summaries).length ? { summaries } : {}),
      ...this.described,
    };
    const manifest: Manifest = { ...body, check: sha256(canonicalJson(body)) };
    await writeFile(join(this.dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n', { flush: true });
    return manifest;
  }

  /** Seal the entry and move it into place. */
  async commit(): Promise<Manifest> {
    const manifest = await this.seal();
    const final = this.store.entryDir(this.key);
    mkdirSync(join(final, '..'), { recursive: true });
    if (existsSync(final)) await this.store.evict(this.key); // an older, corrupt entry under the same key
    await rename(this.dir, final);
    return manifest;
  }

  async abort(): Promise<void> {
    for (const w of this.writers.values()) await w.abort();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function listArtifacts(dir: string, prefix = ''): Record<string, { bytes: number; sha256: string }> {
  if (!existsSync(dir)) return {};
  const out: Record<string, { bytes: number; sha256: string }> = {};
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, listArtifacts(full, `${prefix}${name}/`));
    else {
      const bytes = readFileSync(full);
      out[`${prefix}${name}`] = { bytes: bytes.length, sha256: sha256(bytes) };
    }
  }
  return out;
}
