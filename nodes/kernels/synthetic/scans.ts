// The scans of a synthetic-ct source at plan time, for its per-scan cache (engine/partitions.ts):
// one per generated scan index, its id prefix + the index zero-padded to 4 digits; no files.
import type { ScanFiles } from '../../../engine/types.js';

export function syntheticScanId(prefix: string, k: number): string {
  return `${prefix}${String(k).padStart(4, '0')}`;
}

export async function syntheticScans(params: { scans: number; prefix: string }): Promise<ScanFiles[]> {
  return Array.from({ length: params.scans }, (_, k) => ({ id: syntheticScanId(params.prefix, k), files: [] }));
}
