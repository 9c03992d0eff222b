// One scan folder → its usable slices: decode (a few at a time), skip unreadable and blank
// slices, and apply the mixed-size policy (paper §3.1: some scans have only the last slice axial).
import { giveBack } from '../lung/shared-pool.js';
import { ScanGather } from '../scan-gather.js';
import { decodeSlices, type HuSlice } from './decode.js';
import { listSlices, type ScanDir, type SliceFile } from './layout.js';
import { DatasetChanged } from './read-file.js';

/** More slice files than this in one scan folder is not one CT series (the largest have ~2,000): the scan is skipped unread. */
export const MAX_SLICES = 10_000;

export type MixedSizes = 'drop' | 'lastSlice' | 'fail';

export interface DecodedSlice extends HuSlice {
  file: string;
  index: number;
}

export interface SizeCount {
  width: number;
  height: number;
  slices: number;
}

/**
 * One scan folder: its decoded slices, or its file count when it holds more than MAX_SLICES;
 * `stored`: gathered into one buffer of the scan's as they are decoded (`gather`: scan-gather.ts). The
 * folder is listed again after decoding: a folder that vanished or whose slice files changed while
 * it was read is an error naming the scan (the stored result would not match the fingerprinted files).
 */
export async function readScan(scan: ScanDir, table: Int16Array, skip: (file: string, reason: string) => void, stored = false):
  Promise<{ slices: DecodedSlice[]; gather?: ScanGather } | { files: number }> {
  const changed = (what: string) => new Error(`image-folder: scan "${scan.scanId}" (${scan.dir}) changed while the run read it: ${what}; ` +
    'rerun once the dataset is stable');
  let slices: DecodedSlice[] = [];
  try {
    const files = await listSlices(scan.dir, (file) => skip(file, `${file.replace(/^.*\./, '').toUpperCase()} file, not a slice: only .jpg/.jpeg slices are read; ` +
      'convert it to an 8-bit greyscale JPEG (e.g. `convert in.png -depth 8 -colorspace gray out.jpg`)'));
    if (files.length > MAX_SLICES) return { files: files.length };
    const gather = stored ? new ScanGather(files.length) : undefined;
    slices = await decodeScan(files, table, skip, gather);
    const after = await listSlices(scan.dir);
    if (after.length !== files.length || after.some((f, i) => f.file !== files[i].file)) throw new DatasetChanged('its slice files were added, removed or renamed');
    return { slices, gather };
  } catch (err) {
    giveBack(slices.map((s) => s.hu.buffer));         // the lung pool's slabs they were decoded into
    if (err instanceof DatasetChanged) throw changed(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).syscall === 'scandir') throw changed('the folder disappeared');
    throw err;
  }
}

/** A scan's slices as HU through `table`; `skip(file, reason)` is told of each slice left out, in file order. */
export async function decodeScan(files: readonly SliceFile[], table: Int16Array, skip: (file: string, reason: string) => void, gather?: ScanGather): Promise<DecodedSlice[]> {
  const decoded = await decodeSlices(files.map((f) => f.file), table, gather);
  const kept: DecodedSlice[] = [];
  decoded.forEach((d, i) => {
    if ('reason' in d) skip(files[i].file, d.reason);
    else kept.push({ ...d, file: files[i].file, index: files[i].index });
  });
  return kept;
}

/** Each distinct width×height among the slices, in order of first appearance, with its count. */
export function sliceSizes(slices: readonly { width: number; height: number }[]): SizeCount[] {
  const sizes = new Map<string, SizeCount>();
  for (const { width, height } of slices) {
    const k = `${width}x${height}`;
    const s = sizes.get(k) ?? sizes.set(k, { width, height, slices: 0 }).get(k)!;
    s.slices++;
  }
  return [...sizes.values()];
}

/**
 * The slices to keep under `policy` when sizes differ: none (drop), the last one (lastSlice),
 * or an error naming the scan and the sizes seen (fail).
 */
export function applyMixedSizes(scanId: string, dir: string, slices: DecodedSlice[], sizes: SizeCount[], policy: MixedSizes): DecodedSlice[] {
  if (policy === 'drop') return [];
  if (policy === 'lastSlice') return slices.slice(-1);
  const seen = sizes.map((s) => `${s.width}x${s.height} (${s.slices} slice${s.slices === 1 ? '' : 's'})`).join(', ');
  throw new Error(`image-folder: scan "${scanId}" (${dir}) has slices of different sizes: ${seen}; ` +
    'set params.mixedSizes to "drop" to skip such scans or "lastSlice" to keep only their last slice (paper §3.1)');
}
