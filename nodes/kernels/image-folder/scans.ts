// The scans of an image-folder source at plan time, for its per-scan cache (engine/partitions.ts):
// one scan per scan folder, its id the folder's path under the root, its files the slices it holds.
// Directory entries only, nothing decoded; LISTS folders are listed at once (a no-op over 300 scan
// folders otherwise waits for each listing in turn).
import { resolve } from 'node:path';
import type { ScanFiles } from '../../../engine/types.js';
import { listScans, listSlices, type Split } from './layout.js';
import { mapLimit } from './map-limit.js';

/** Folder listings in flight at once. */
const LISTS = 8;

export async function imageFolderScans(params: { path: string; splits: Split[] | null }): Promise<ScanFiles[]> {
  const scans = await listScans(resolve(params.path), params.splits);
  return mapLimit(scans, LISTS, async (scan) => ({ id: scan.scanId, files: (await listSlices(scan.dir)).map((s) => s.file) }));
}
