// Housekeeping: remove cache entries that no kept run references, then, if a size budget is
// given, forget the oldest runs until the cache fits. Leftover temporary directories go too.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listRuns, recordDir, type RunRecord } from './runs.js';
import type { Store } from './store.js';

export interface GcPlan {
  remove: { key: string; bytes: number }[];
  forgetRuns: string[];
  tmp: string[];
  keptBytes: number;
  freedBytes: number;
}

export interface GcOptions { maxBytes?: number; keepLast?: number }

export function planGc(store: Store, runsDir: string, opts: GcOptions = {}): GcPlan {
  const entries = listEntries(store);
  let runs = listRuns(runsDir);
  const forgetRuns: string[] = [];
  if (opts.keepLast !== undefined) {
    const byGraph = new Map<string, RunRecord[]>();
    for (const r of runs) byGraph.set(r.graph, [...(byGraph.get(r.graph) ?? []), r]);
    for (const rs of byGraph.values()) forgetRuns.push(...rs.slice(0, Math.max(0, rs.length - opts.keepLast)).map((r) => r.id));
    runs = runs.filter((r) => !forgetRuns.includes(r.id));
  }
  const referenced = (rs: RunRecord[]) => new Set(rs.flatMap((r) => Object.values(r.nodes).map((n) => n.key)));
  let keep = referenced(runs);
  const size = (keys: Set<string>) => entries.filter((e) => keys.has(e.key)).reduce((a, e) => a + e.bytes, 0);
  while (opts.maxBytes !== undefined && runs.length > 0 && size(keep) > opts.maxBytes) {
    forgetRuns.push(runs.shift()!.id);
    keep = referenced(runs);
  }
  const remove = entries.filter((e) => !keep.has(e.key));
  const tmpDir = join(store.cacheDir, 'tmp');
  const hourAgo = Date.now() - 3600_000;
  const tmp = existsSync(tmpDir) ? readdirSync(tmpDir).map((n) => join(tmpDir, n)).filter((p) => statSync(p).mtimeMs < hourAgo) : [];
  return { remove, forgetRuns, tmp, keptBytes: size(keep), freedBytes: remove.reduce((a, e) => a + e.bytes, 0) };
}

export async function applyGc(store: Store, runsDir: string, plan: GcPlan): Promise<void> {
  for (const id of plan.forgetRuns) rmSync(recordDir(runsDir, id), { recursive: true, force: true });
  for (const e of plan.remove) await store.evict(e.key);
  for (const t of plan.tmp) rmSync(t, { recursive: true, force: true });
}

function listEntries(store: Store): { key: string; bytes: number }[] {
  if (!existsSync(store.cacheDir)) return [];
  const out: { key: string; bytes: number }[] = [];
  for (const shard of readdirSync(store.cacheDir)) {
    if (shard === 'tmp' || shard.length !== 2) continue;
    for (const key of readdirSync(join(store.cacheDir, shard))) {
      const dir = join(store.cacheDir, shard, key);
      out.push({ key, bytes: readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0) });
    }
  }
  return out;
}

/** "500M", "2G", "1.5T", "1024" → bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(s.trim());
  if (!m) throw new Error(`cannot read size "${s}": write e.g. 500M, 20G`);
  return Math.round(Number(m[1]) * 1024 ** ' KMGT'.indexOf(m[2].toUpperCase() || ' '));
}
