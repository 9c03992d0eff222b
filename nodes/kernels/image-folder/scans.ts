// The scans of an image-folder source at plan time, for its per-scan cache (engine/partitions.ts):
// one scan per scan folder, its id the folder's path under the root, its files the slices it holds.
// Directory entries only, nothing decoded.
import { resolve } from 'node:path';
import type { ScanFiles } from '../../../engine/types.js';
import { listScans, listSlices, type Split } from './layout.js';

export async function imageFolderScans(params: { path: string; splits: Split[] | null }): Promise<ScanFiles[]> {
  const out: ScanFiles[] = [];
  for (const scan of await listScans(resolve(params.path), params.splits)) {
    out.push({ id: scan.scanId, files: (await listSlices(scan.dir)).map((s) => s.file) });
  }
  return out;
}
