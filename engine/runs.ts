// Run records: <runs>/records/<run id>/{record.json, graph.json}; <runs>/latest/<graph name>
// names the latest run of each graph (what `status` compares with by default).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './canonical.js';
import type { MetricRow } from './metrics.js';
import { isSafeName } from './names.js';
import type { KeyMaterial } from './plan.js';
import { writeInside } from './safe-fs.js';

export interface NodeRecord {
  kind: string;
  key: string;
  material: KeyMaterial;
  status: 'ran' | 'cached' | 'failed' | 'skipped' | 'not-needed';
  reason: string;
  ms?: number;
  rows?: Record<string, number>;
  batches?: number;
  notes?: Record<string, unknown>;
  error?: string;
  /** Files the node wrote for people (in its cache entry). */
  artifacts?: string[];
}

export interface Provenance {
  git: { commit: string | null; dirty: boolean | null };
  lockfileSha256: string | null;
  node: string;
  backend: string;
}

export interface RunRecord {
  id: string;
  graph: string;
  file: string;
  /** The graph file's absolute path: runs are kept per graph name and file (two files may share a name). */
  path?: string;
  startedAt: string;
  finishedAt: string;
  status: 'ok' | 'failed';
  provenance: Provenance;
  nodes: Record<string, NodeRecord>;
  /** Rows of every metrics output of the graph. */
  metrics: MetricRow[];
  /** Set for runs that are one variant of a sweep. */
  sweep?: { id: string; variant: string; seed: number };
}

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function newRunId(graph: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${graph}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export function recordDir(runsDir: string, id: string): string {
  return join(runsDir, 'records', id);
}

export function writeRecord(runsDir: string, record: RunRecord, resolvedGraph: unknown): string {
  const dir = recordDir(runsDir, record.id);
  writeInside(runsDir, join(dir, 'graph.json'), JSON.stringify(resolvedGraph, null, 2) + '\n');
  writeInside(runsDir, join(dir, 'record.json'), JSON.stringify(record, null, 2) + '\n');
  writeInside(runsDir, join(runsDir, 'latest', record.graph), record.id + '\n');
  return dir;
}

export interface SweepRecord { id: string; file: string; startedAt: string; finishedAt: string; runs: string[] }

export function writeSweepRecord(runsDir: string, sweep: SweepRecord): void {
  writeInside(runsDir, join(runsDir, 'sweeps', `${sweep.id}.json`), JSON.stringify(sweep, null, 2) + '\n');
}

/** A run or sweep id as ctflow makes them: one plain path segment (the rule of engine/names.ts). */
export function isRunId(id: string): boolean {
  return isSafeName(id);
}

/** JSON keeps a NaN metric (the AUC of a one-class split) as null: make it NaN again, as it was recorded. */
export function reviveMetrics(r: RunRecord): RunRecord {
  return Array.isArray(r.metrics) ? { ...r, metrics: r.metrics.map((m) => (m.value === null ? { ...m, value: Number.NaN } : m)) } : r;
}

/** The record of run `id`; undefined when there is none or it is damaged (not a record). */
export function readRecord(runsDir: string, id: string): RunRecord | undefined {
  if (!isRunId(id)) return undefined;
  try {
    const r = JSON.parse(readFileSync(join(recordDir(runsDir, id), 'record.json'), 'utf8')) as RunRecord;
    const whole = r && typeof r === 'object' && r.id === id && typeof r.graph === 'string' && typeof r.startedAt === 'string' && r.nodes && typeof r.nodes === 'object';
    return whole ? reviveMetrics(r) : undefined;
  } catch {
    return undefined;
  }
}

/** The latest run of `graph` (undefined if none, or if the pointer is damaged). */
export function latestRun(runsDir: string, graph: string): RunRecord | undefined {
  if (!isSafeName(graph)) return undefined;
  try {
    return readRecord(runsDir, readFileSync(join(runsDir, 'latest', graph), 'utf8').trim());
  } catch {
    return undefined;
  }
}

export function listRuns(runsDir: string): RunRecord[] {
  const dir = join(runsDir, 'records');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(dir)
    .map((id) => readRecord(runsDir, id))
    .filter((r): r is RunRecord => r !== undefined)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** Where a run came from: one `git status` (a spawn costs ~20 ms) gives the commit and whether
 * tracked files differ from it; off the event loop. */
export async function provenance(backend: string): Promise<Provenance> {
  const status = await new Promise<string | null>((done) => {
    const args = ['status', '--porcelain=v2', '--branch', '--untracked-files=no'];
    execFile('git', args, { cwd: process.cwd(), encoding: 'utf8' }, (err, stdout) => done(err ? null : stdout));
  });
  const lines = status?.split('\n').filter(Boolean) ?? [];
  const oid = lines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length);
  const commit = oid && oid !== '(initial)' ? oid : null;
  const lock = join(PACKAGE_ROOT, 'package-lock.json');
  return {
    git: { commit, dirty: commit === null ? null : lines.some((l) => !l.startsWith('#')) },
    lockfileSha256: existsSync(lock) ? sha256(readFileSync(lock)) : null,
    node: process.version,
    backend,
  };
}
