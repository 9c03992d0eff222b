// The COV19-CT-DB folder layout: <root>/{train,validation}/{covid,non-covid}/ct_scan_K/N.jpg and
// unlabeled <root>/test/ct_scan_K/N.jpg, or a root of scan folders alone (<root>/ct_scan_K/N.jpg: an
// unlabeled test set as distributed). Listing is cheap (directory entries only, no decoding).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { naturalSort } from './natural-sort.js';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Class folder name (lower-cased) → label. */
const CLASS_LABELS: Record<string, 0 | 1> = { covid: 1, 'non-covid': 0 };

export const SLICE_FILE = /\.jpe?g$/i;

export interface ScanDir {
  /** Path of the scan folder relative to the root, '/'-separated: "train/covid/ct_scan_3". */
  scanId: string;
  split: Split;
  label: 0 | 1 | null;
  dir: string;
}

export interface SliceFile {
  file: string;
  /** The file name's number when every slice in the scan is named N.<ext>, else its position in natural order. */
  index: number;
}

const LAYOUT_HINT = 'expected <path>/{train,validation}/{covid,non-covid}/ct_scan_K/N.jpg and/or <path>/test/ct_scan_K/N.jpg, or <path>/ct_scan_K/N.jpg for an unlabeled set';

/** Scan folders of the requested splits (all present ones when `splits` is null), in natural order. */
export async function listScans(root: string, splits: readonly Split[] | null): Promise<ScanDir[]> {
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) {
    throw new Error(`image-folder: path "${root}" is not a folder; set params.path to the dataset root (${LAYOUT_HINT})`);
  }
  const present = new Set((await subdirs(root)).filter((d): d is Split => (SPLITS as readonly string[]).includes(d)));
  const chosen = splits ?? SPLITS.filter((s) => present.has(s));
  if (chosen.length === 0) {
    const flat = await scanFolders(root);
    if (flat.length > 0) return flat;
    throw new Error(`image-folder: "${root}" has no train/, validation/ or test/ folder and no scan folder of JPEG slices; ${LAYOUT_HINT}`);
  }
  const missing = chosen.filter((s) => !present.has(s));
  if (missing.length > 0) {
    throw new Error(`image-folder: params.splits asks for ${missing.map((s) => `"${s}"`).join(', ')} but "${root}" has no such folder; ` +
      `present: ${[...present].join(', ') || 'none'} (leave splits out to read all present)`);
  }
  const scans: ScanDir[] = [];
  for (const split of chosen) {
    const inSplit: ScanDir[] = [];
    for (const name of await subdirs(join(root, split))) {
      const label = CLASS_LABELS[name.toLowerCase()];
      if (label === undefined) {
        inSplit.push({ scanId: `${split}/${name}`, split, label: null, dir: join(root, split, name) });
        continue;
      }
      for (const scan of await subdirs(join(root, split, name))) {
        inSplit.push({ scanId: `${split}/${name}/${scan}`, split, label, dir: join(root, split, name, scan) });
      }
    }
    scans.push(...naturalSort(inSplit, (s) => s.scanId));
  }
  return scans;
}

/** A root without split folders: each sub-folder holding slice files is an unlabeled scan of split "test", its id the folder name. */
async function scanFolders(root: string): Promise<ScanDir[]> {
  const scans: ScanDir[] = [];
  for (const name of await subdirs(root)) {
    const dir = join(root, name);
    if ((await readdir(dir)).some((f) => !f.startsWith('.') && SLICE_FILE.test(f))) scans.push({ scanId: name, split: 'test', label: null, dir });
  }
  return scans;
}

/** Image files of other formats: never read as slices, but noted, so that a scan saved as PNG or DICOM is not silently short. */
export const OTHER_IMAGE = /\.(png|tiff?|bmp|gif|webp|dcm|jp2|j2k)$/i;

/**
 * Slice image files of one scan folder in natural order ("2.jpg" before "10.jpg"). Every entry
 * with a slice name is listed, whatever it is (a directory named 5.jpg is then skipped with its
 * reason when read, not left out unnoticed); `otherImage` is told of each image file of another format.
 */
export async function listSlices(dir: string, otherImage?: (file: string) => void): Promise<SliceFile[]> {
  const entries = (await readdir(dir)).filter((name) => !name.startsWith('.'));
  if (otherImage) for (const name of entries) if (OTHER_IMAGE.test(name)) otherImage(join(dir, name));
  const slices = entries.filter((name) => SLICE_FILE.test(name));
  const under = join(dir, '/'); // entry names hold no '/': the join of each is this prefix and the name
  // Names "<number>.jpg" with distinct numbers (a scan's usual names): natural order is the
  // numbers' order, and each number is the slice's index. Otherwise natural order, indexed in it.
  const numbers = slices.map((n) => n.replace(SLICE_FILE, ''));
  if (numbers.every((s) => /^\d{1,9}$/.test(s))) {
    const byNumber = slices.map((name, i) => ({ name, index: Number(numbers[i]) })).sort((a, b) => a.index - b.index);
    if (byNumber.every((s, i) => i === 0 || s.index !== byNumber[i - 1].index)) return byNumber.map(({ name, index }) => ({ file: under + name, index }));
  }
  return naturalSort(slices, (name) => name).map((name, i) => ({ file: under + name, index: i }));
}

/** Sub-folders of `dir`, symbolic links to folders included (followed: a linked scan folder is read like any other). */
async function subdirs(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const isDir = await Promise.all(entries.map(async (e) =>
    e.isDirectory() || (e.isSymbolicLink() && (await stat(join(dir, e.name)).catch(() => null))?.isDirectory() === true)));
  return naturalSort(entries.filter((_, i) => isDir[i]).map((e) => e.name), (name) => name);
}
