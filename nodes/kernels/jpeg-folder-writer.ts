// Writes Slices batches as a COV19-CT-DB-shaped folder of 8-bit greyscale JPEG slices, the layout
// the image-folder kind reads: <split>/<covid|non-covid>/ct_scan_K/<slice_index>.jpg, and
// <split>/ct_scan_K/<slice_index>.jpg for the test split (labels hidden, as in the challenge) and
// for unlabeled scans. K counts scans per folder in order of first appearance. It is the Slices
// port type's exporter (`ctflow export … --to DIR`).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { ExportTables } from '../../engine/ports.js';
import { checkWindow, DEFAULT_WINDOW, huPixelsToBytes } from './image-folder/hu.js';
import { SPLITS } from './image-folder/layout.js';
import { mapLimit } from './image-folder/map-limit.js';

export interface JpegFolderOptions {
  /** JPEG quality 1..100 (default 95). */
  quality?: number;
  /** HU window mapped onto grey levels 0..255; values outside clamp (default [-1150, 350]). */
  window?: readonly number[];
  /** Replace the train/, validation/ and test/ folders of a non-empty `dir` (default false: refuse). */
  overwrite?: boolean;
}

const CLASS_FOLDER = { 1: 'covid', 0: 'non-covid' } as const;
const COLUMNS = ['scan_id', 'split', 'label', 'slice_index', 'height', 'width', 'pixels'];

/**
 * Write every row of `batches` (Slices tables) under `dir`. Returns scan_id → the scan's folder
 * relative to `dir` ('/'-separated), which is the scan_id image-folder gives it when read back.
 */
export async function writeJpegFolder(
  dir: string,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  opts: JpegFolderOptions = {},
): Promise<Map<string, string>> {
  const quality = opts.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new Error(`writeJpegFolder: quality must be an integer 1..100, got ${quality}`);
  }
  const window = checkWindow(opts.window ?? DEFAULT_WINDOW, 'writeJpegFolder');
  await prepare(dir, opts.overwrite ?? false);
  const { default: sharp } = await import('sharp');
  const folders = new Map<string, string>();
  const counts = new Map<string, number>();

  /** The scan's folder, assigned on first sight (synchronously, so K follows row order). */
  const folderOf = (scanId: string, split: string, label: number | null): string => {
    const known = folders.get(scanId);
    if (known) return known;
    if (!(SPLITS as readonly string[]).includes(split)) {
      throw new Error(`writeJpegFolder: scan "${scanId}" has split "${split}"; only ${SPLITS.join(', ')} can be written`);
    }
    if (label !== null && label !== 0 && label !== 1) {
      throw new Error(`writeJpegFolder: scan "${scanId}" has label ${label}; only 1 (covid), 0 (non-covid) or null can be written`);
    }
    const parent = split === 'test' || label === null ? split : `${split}/${CLASS_FOLDER[label]}`;
    const k = counts.get(parent) ?? 0;
    counts.set(parent, k + 1);
    const folder = `${parent}/ct_scan_${k}`;
    folders.set(scanId, folder);
    return folder;
  };

  for await (const batch of batches) {
    const missing = COLUMNS.filter((c) => !batch.schema.fields.some((f) => f.name === c));
    if (missing.length > 0) throw new Error(`writeJpegFolder: batch is not a Slices table (no column ${missing.join(', ')})`);
    const col = (name: string) => batch.getChild(name)!;
    const rows = Array.from({ length: batch.numRows }, (_, i) => {
      const scanId = col('scan_id').get(i) as string;
      return {
        scanId,
        folder: folderOf(scanId, col('split').get(i), col('label').get(i)),
        index: col('slice_index').get(i) as number,
        height: col('height').get(i) as number,
        width: col('width').get(i) as number,
        pixels: col('pixels').get(i) as Uint8Array,
      };
    });
    await Promise.all([...new Set(rows.map((r) => r.folder))].map((f) => mkdir(join(dir, f), { recursive: true })));
    await mapLimit(rows, 4, async ({ scanId, folder, index, height, width, pixels }) => {
      if (pixels.length !== 2 * height * width) {
        throw new Error(`writeJpegFolder: scan "${scanId}" slice ${index} has ${pixels.length} pixel bytes, expected 2 × ${height} × ${width}`);
      }
      const jpeg = await sharp(huPixelsToBytes(pixels, window), { raw: { width, height, channels: 1 } })
        .toColourspace('b-w').jpeg({ quality }).toBuffer();
      await writeFile(join(dir, folder, `${index}.jpg`), jpeg, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        throw new Error(`writeJpegFolder: scan "${scanId}" has slice_index ${index} twice (${folder}/${index}.jpg)`);
      });
    });
  }
  return folders;
}

/** The Slices exporter: `ctflow export GRAPH NODE.slices --to DIR [--quality Q] [--overwrite]`. */
export const exportSlices: ExportTables = async (to, batches, { quality, overwrite }) => {
  const written = await writeJpegFolder(to, batches, { quality, overwrite });
  return `wrote ${written.size} scans to ${to}`;
};

/** Create `dir`, or check it is empty; with overwrite, clear a folder holding only split folders. */
async function prepare(dir: string, overwrite: boolean): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) {
    if (!overwrite) {
      throw new Error(`writeJpegFolder: "${dir}" is not empty; choose a new folder, or pass overwrite: true to replace its split folders`);
    }
    const foreign = entries.filter((e) => !(SPLITS as readonly string[]).includes(e));
    if (foreign.length > 0) {
      throw new Error(`writeJpegFolder: will not overwrite "${dir}": it holds ${foreign.map((e) => `"${e}"`).join(', ')}, ` +
        'which is not a split folder (train, validation, test); remove it yourself or choose another folder');
    }
    await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true })));
  }
  await mkdir(dir, { recursive: true });
}
