// The scans of an image-folder source at plan time, for its per-scan cache (engine/partitions.ts):
// one scan per scan folder, its id the folder's path under the root, its files the slices it holds.
// Directory entries only, nothing decoded. Yielded one by one, in order, with the next AHEAD folders
// being listed meanwhile: a no-op over 300 scan folders does not wait for each listing in turn, and
// planning holds the paths of a few scans at once, not of the whole dataset.
import { resolve } from 'node:path';
import type { ScanFiles } from '../../../engine/types.js';
import { listScans, listSlices, type Split } from './layout.js';

/** Folder listings in flight ahead of the scan being yielded. */
const AHEAD = 8;

export async function* imageFolderScans(params: { path: string; splits: Split[] | null }): AsyncIterable<ScanFiles> {
  const scans = await listScans(resolve(params.path), params.splits);
  const list = (i: number): Promise<ScanFiles> => {
    const p = listSlices(scans[i].dir).then((slices) => ({ id: scans[i].scanId, files: slices.map((s) => s.file) }));
    p.catch(() => {}); // awaited in its turn; not an unhandled rejection if planning stops before it
    return p;
  };
  const pending = scans.slice(0, AHEAD).map((_, i) => list(i));
  for (let i = 0; i < scans.length; i++) {
    if (i + AHEAD < scans.length) pending.push(list(i + AHEAD));
    yield await pending.shift()!;
  }
}
