// Housekeeping: remove cache entries that no kept run references, then, if a size budget is
// given, forget the oldest runs until the cache fits. Leftover temporary directories go too.
// Only what ctflow wrote is ever removed (entries are <2 hex>/<64 hex> folders, temporaries carry
// the names the store gives them; anything else is left alone), and nothing a live run holds:
// the keys it planned, entries stored since it started, keys under a live lease (engine/live-runs.ts).
import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stale, type LeaseInfo } from './lease.js';
import { liveRuns } from './live-runs.js';
import { listRuns, recordDir, type RunRecord } from './runs.js';
import { assertRunsContained } from './safe-fs.js';
import type { Manifest, Store } from './store.js';

export interface GcPlan {
  remove: { key: string; bytes: number }[];
  forgetRuns: string[];
  tmp: string[];
  keptBytes: number;
  freedBytes: number;
  /** Runs in progress whose entries were kept. */
  live: number;
}

export interface GcOptions { maxBytes?: number; keepLast?: number }

interface Entry { key: string; bytes: number; storedAt: number }

const SHARD = /^[0-9a-f]{2}$/;
const KEY = /^[0-9a-f]{64}$/;
/** Names the store gives its temporary directories: "<key>.<pid>.<hex>", "evict.<key>.<pid>.<hex>". */
const TMP = /^(?:evict\.)?([0-9a-f]{64})\.\d+\.[0-9a-f]{8}$/;
/** Clock granularity and skew between a mark's start and an entry's timestamps. */
const SLACK_MS = 2000;

export function planGc(store: Store, runsDir: string, opts: GcOptions = {}): GcPlan {
  const live = liveRuns(runsDir);
  const since = Math.min(...live.map((m) => m.startedAt)) - SLACK_MS; // Infinity when none
  const held = (key: string) => leaseHeld(store, key);
  const planning = live.some((m) => m.keys === null);
  const liveKeys = withPartitions(store, new Set(live.flatMap((m) => m.keys ?? [])));
  const entries = listEntries(store);
  const pinnedKeys = new Set(entries.filter((e) => planning || liveKeys.has(e.key) || e.storedAt >= since || held(e.key)).map((e) => e.key));
  const pinned = (e: Entry) => pinnedKeys.has(e.key);

  let runs = listRuns(runsDir);
  const forgetRuns: string[] = [];
  if (opts.keepLast !== undefined) {
    const byGraph = new Map<string, RunRecord[]>();
    for (const r of runs) byGraph.set(historyOf(r), [...(byGraph.get(historyOf(r)) ?? []), r]);
    for (const rs of byGraph.values()) forgetRuns.push(...rs.slice(0, Math.max(0, rs.length - opts.keepLast)).map((r) => r.id));
    runs = runs.filter((r) => !forgetRuns.includes(r.id));
  }
  const referenced = (rs: RunRecord[]) => withPartitions(store, new Set(rs.flatMap((r) => Object.values(r.nodes).map((n) => n.key))));
  let keep = referenced(runs);
  const size = (keys: Set<string>) => entries.filter((e) => keys.has(e.key) || pinned(e)).reduce((a, e) => a + e.bytes, 0);
  // Forgetting runs frees only what no live run pins: stop once the runs keep nothing else.
  const freeable = (keys: Set<string>) => entries.some((e) => keys.has(e.key) && !pinned(e));
  while (opts.maxBytes !== undefined && runs.length > 0 && size(keep) > opts.maxBytes && freeable(keep)) {
    forgetRuns.push(runs.shift()!.id);
    keep = referenced(runs);
  }
  const remove = entries.filter((e) => !keep.has(e.key) && !pinned(e)).map(({ key, bytes }) => ({ key, bytes }));
  const hourAgo = Date.now() - 3600_000;
  const tmp = listTmp(store).filter((t) => t.mtime < hourAgo && t.mtime < since && !held(t.key)).map((t) => t.path);
  return { remove, forgetRuns, tmp, keptBytes: size(keep), freedBytes: remove.reduce((a, e) => a + e.bytes, 0), live: live.length };
}

export async function applyGc(store: Store, runsDir: string, plan: GcPlan): Promise<void> {
  assertRunsContained(runsDir); // removing through a link would remove what is not ctflow's
  for (const id of plan.forgetRuns) rmSync(recordDir(runsDir, id), { recursive: true, force: true });
  for (const e of plan.remove) await store.evict(e.key);
  for (const t of plan.tmp) rmSync(t, { recursive: true, force: true });
}

/** `keys` and the entries of the scans of each partitioned node among them (engine/partitions.ts). */
function withPartitions(store: Store, keys: Set<string>): Set<string> {
  for (const key of [...keys]) {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(store.entryDir(key), 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      continue; // no entry (or an unreadable one): nothing more to keep
    }
    for (const p of Array.isArray(manifest.partitions) ? manifest.partitions : []) if (KEY.test(String(p?.key))) keys.add(p.key);
  }
  return keys;
}

/** Runs share a history (kept or forgotten together) when they have one graph name and one file. */
function historyOf(r: RunRecord): string {
  return `${r.graph}\0${r.path ?? r.file}`;
}

/** Sub-directories of `dir` whose names match `re` (none if `dir` is not a directory). */
function dirsIn(dir: string, re: RegExp): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && re.test(d.name)).map((d) => d.name);
  } catch {
    return [];
  }
}

function listEntries(store: Store): Entry[] {
  const out: Entry[] = [];
  for (const shard of dirsIn(store.cacheDir, SHARD)) {
    for (const key of dirsIn(join(store.cacheDir, shard), KEY)) {
      if (!key.startsWith(shard)) continue;
      const dir = join(store.cacheDir, shard, key);
      const manifest = lstatSync(join(dir, 'manifest.json'), { throwIfNoEntry: false });
      out.push({ key, bytes: bytesUnder(dir), storedAt: Math.max(lstatSync(dir).ctimeMs, manifest?.mtimeMs ?? 0) });
    }
  }
  return out;
}

function listTmp(store: Store): { path: string; key: string; mtime: number }[] {
  const dir = join(store.cacheDir, 'tmp');
  return dirsIn(dir, TMP).map((n) => ({ path: join(dir, n), key: TMP.exec(n)![1], mtime: lstatSync(join(dir, n)).mtimeMs }));
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    total += d.isDirectory() ? bytesUnder(p) : lstatSync(p).size;
  }
  return total;
}

/** Someone live is computing `key` (its lease file, as engine/lease.ts writes it). */
function leaseHeld(store: Store, key: string): boolean {
  try {
    const info = JSON.parse(readFileSync(join(store.cacheDir, 'leases', `${key}.lease`), 'utf8')) as LeaseInfo;
    return !stale(info);
  } catch {
    return false;
  }
}

/** "500M", "2G", "1.5T", "1024" → bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(s.trim());
  if (!m) throw new Error(`cannot read size "${s}": write e.g. 500M, 20G`);
  return Math.round(Number(m[1]) * 1024 ** ' KMGT'.indexOf(m[2].toUpperCase() || ' '));
}
