// Per-epoch training checkpoints, so a killed training resumes after its last finished epoch.
// Files in the directory: state-<epoch>.arrow (parameters, Adam moments, as a Weights table),
// best-<epoch>.arrow (the best epoch's parameters) and meta.json, written last and renamed into
// place: it names the two tables it belongs to, so a crash between writes leaves the previous
// checkpoint whole. Tables that meta.json no longer names are then removed.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Table, tableFromIPC, tableToIPC } from '../../../engine/arrow.js';
import { batchToEntries, entriesToBatch, type WeightEntry } from '../tf/weights.js';
import type { EpochRecord } from './history.js';

export interface CheckpointMeta {
  /** What the checkpoint was trained for (config, optimiser, data); a different one is ignored. */
  fingerprint: string;
  /** Epochs finished. */
  epoch: number;
  history: EpochRecord[];
  bestEpoch: number;
  /** Epochs since the best one (early stopping). */
  since: number;
  adamStep: number;
  state: string;
  best: string;
}

export interface Checkpoint { meta: CheckpointMeta; state: WeightEntry[]; best: WeightEntry[] }

async function writeTable(path: string, entries: WeightEntry[]): Promise<void> {
  await writeFile(`${path}.tmp`, tableToIPC(new Table(entriesToBatch(entries)), 'file'));
  await rename(`${path}.tmp`, path);
}

async function readTable(path: string): Promise<WeightEntry[]> {
  return tableFromIPC(await readFile(path)).batches.flatMap((b) => batchToEntries(b, path));
}

/** Write epoch `meta.epoch`'s checkpoint; `best` is null when the best epoch is an earlier one (its file is kept). */
export async function saveCheckpoint(dir: string, meta: Omit<CheckpointMeta, 'state' | 'best'>, state: WeightEntry[], best: WeightEntry[] | null, previous: CheckpointMeta | null): Promise<CheckpointMeta> {
  await mkdir(dir, { recursive: true });
  const full: CheckpointMeta = { ...meta, state: `state-${meta.epoch}.arrow`, best: best || !previous ? `best-${meta.epoch}.arrow` : previous.best };
  await writeTable(join(dir, full.state), state);
  if (best) await writeTable(join(dir, full.best), best);
  await writeFile(join(dir, 'meta.json.tmp'), JSON.stringify(full));
  await rename(join(dir, 'meta.json.tmp'), join(dir, 'meta.json'));
  for (const f of await readdir(dir)) {
    if (f.endsWith('.arrow') && f !== full.state && f !== full.best) await rm(join(dir, f), { force: true });
  }
  return full;
}

/** The checkpoint in `dir` when there is one for `fingerprint`, else null (a note says why through `log`). */
export async function loadCheckpoint(dir: string, fingerprint: string, log: (m: string) => void): Promise<Checkpoint | null> {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
  } catch {
    return null;
  }
  if (meta.fingerprint !== fingerprint) {
    log(`checkpoint in ${dir} is for other settings or data; starting from epoch 1`);
    return null;
  }
  try {
    return { meta, state: await readTable(join(dir, meta.state)), best: await readTable(join(dir, meta.best)) };
  } catch (e) {
    log(`checkpoint in ${dir} is unreadable (${(e as Error).message}); starting from epoch 1`);
    return null;
  }
}
