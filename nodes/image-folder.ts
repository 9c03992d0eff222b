// Source: a COV19-CT-DB-shaped folder of JPEG slices → one Slices batch per scan.
// {train,validation}/{covid,non-covid}/ct_scan_K/N.jpg (label 1 / 0) and test/ct_scan_K/N.jpg
// (label null); a root of scan folders alone (ct_scan_K/N.jpg) is an unlabeled test set. Folders are
// listed first; each step decodes one scan, so memory is flat in scans.
import { resolve } from 'node:path';
import { defineNode, type NodeContext } from '../engine/types.js';
import { sliceBatch } from './kernels/slab-batch.js';
import { giveBack } from './kernels/lung/shared-pool.js';
import { byteToHuTable, checkWindow, DEFAULT_WINDOW, type Window } from './kernels/image-folder/hu.js';
import { listScans, SPLITS, type ScanDir, type Split } from './kernels/image-folder/layout.js';
import { imageFolderScans } from './kernels/image-folder/scans.js';
import { applyMixedSizes, MAX_SLICES, readScan, sliceSizes, type MixedSizes, type SizeCount } from './kernels/image-folder/scan.js';
import { Slices } from './tables.js';

export interface ImageFolderParams {
  /** Dataset root holding train/, validation/ and/or test/, or scan folders alone (unlabeled, split "test"). */
  path: string;
  /** HU window the 8-bit grey levels span: hu = round(lo + v8 × (hi − lo) / 255). */
  window: Window;
  /** Scans whose slices differ in size: skip them, keep their last slice, or stop. */
  mixedSizes: MixedSizes;
  /** Split folders to read; null reads every one present. */
  splits: Split[] | null;
}

/** All slice files the selected splits hold, in reading order (fingerprinted into the cache key). */
export async function inputFiles(params: ImageFolderParams): Promise<string[]> {
  const files: string[] = [];
  for await (const s of imageFolderScans(params)) for (const f of s.files) files.push(f);
  return files;
}

interface MixedScan {
  scan_id: string;
  sizes: SizeCount[];
  action: MixedSizes;
}

async function* run(ctx: NodeContext<ImageFolderParams>) {
  const table = byteToHuTable(checkWindow(ctx.params.window, 'image-folder params.window'));
  const only = ctx.scans && new Set(ctx.scans);
  const scans = (await listScans(resolve(ctx.params.path), ctx.params.splits)).filter((s) => !only || only.has(s.scanId));
  const skippedSlices: { file: string; reason: string }[] = [];
  const emptyScans: string[] = [];
  const mixedSizes: MixedScan[] = [];
  const oversizedScans: { scan_id: string; files: number }[] = [];
  const skip = (file: string, reason: string) => {
    skippedSlices.push({ file, reason });
    ctx.log(`image-folder: skipped slice ${file} (${reason})`);
  };
  /**
   * A scan's batch, or nothing when none of its slices is usable (noted). The buffers its slices
   * were decoded into go back to the lung pool when the batch's step ends, or now if it has none.
   */
  const batchOf = (scan: ScanDir, read: Awaited<ReturnType<typeof readScan>>) => {
    if ('files' in read) {
      oversizedScans.push({ scan_id: scan.scanId, files: read.files });
      ctx.log(`image-folder: skipped scan ${scan.scanId} (${scan.dir}): ${read.files} slice files, more than ${MAX_SLICES} (not one CT series?)`);
      return undefined;
    }
    let slices = read.slices;
    const sizes = sliceSizes(slices), lent = new Set(read.slices.map((s) => s.hu.buffer));
    if (sizes.length > 1) {
      mixedSizes.push({ scan_id: scan.scanId, sizes, action: ctx.params.mixedSizes });
      try {
        slices = applyMixedSizes(scan.scanId, scan.dir, slices, sizes, ctx.params.mixedSizes);
      } catch (e) {
        giveBack(lent);
        throw e;
      }
      ctx.log(`image-folder: scan ${scan.scanId} has mixed slice sizes; ${ctx.params.mixedSizes === 'drop' ? 'dropped' : 'kept its last slice'}`);
    } else if (slices.length === 0) {
      emptyScans.push(scan.scanId);
      ctx.log(`image-folder: skipped scan ${scan.scanId} (${scan.dir}): no readable slice`);
    }
    const gathered = read.gather?.inOrder(slices.map((s) => s.hu));
    if (gathered) slices = slices.map((s, i) => ({ ...s, hu: gathered[i] }));
    if (slices.length > 0) return sliceBatch({ source: 'image-folder', ...scan }, slices, lent);
    giveBack(lent);
    return undefined;
  };
  // The next scan decodes (on the lung pool's workers) while this one is consumed downstream. Only
  // the batch is held across the yield: what decoding left besides (slices sharp decoded, their
  // grey levels) stays in take()'s frame, which has ended by then (issue 23).
  const load = (scan: ScanDir) => readScan(scan, table, skip, ctx.stored);
  let next = scans.length > 0 ? load(scans[0]) : undefined;
  const take = async (i: number) => {
    const read = await next!;
    next = i + 1 < scans.length ? load(scans[i + 1]) : undefined;
    next?.catch(() => undefined);                    // awaited next turn; handled if the run stops first
    return batchOf(scans[i], read);
  };
  try {
    for (const [i, scan] of scans.entries()) {
      ctx.signal.throwIfAborted();
      const batch = await take(i);
      ctx.progress(i + 1, scans.length, scan.scanId);
      if (batch) yield { slices: batch };
    }
  } finally {
    ctx.note('skippedSlices', skippedSlices);
    ctx.note('emptyScans', emptyScans);
    ctx.note('mixedSizes', mixedSizes);
    if (oversizedScans.length > 0) ctx.note('oversizedScans', oversizedScans);
  }
}

export default defineNode<ImageFolderParams>(import.meta.url, {
  kind: 'image-folder',
  version: 1,
  description: 'Reads a COV19-CT-DB-shaped folder of 8-bit JPEG slices ({train,validation}/{covid,non-covid}/ct_scan_K/N.jpg, ' +
    'test/ct_scan_K/N.jpg, or ct_scan_K/N.jpg alone: unlabeled) as int16 HU through a window; one batch per scan; unreadable, blank and mixed-size slices are reported',
  mode: 'source',
  params: {
    path: { type: 'string', minLength: 1, description: 'dataset root holding train/, validation/ and/or test/, or scan folders alone (an unlabeled test set)' },
    window: {
      type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, default: [...DEFAULT_WINDOW],
      description: 'HU window [lo, hi] the grey levels 0..255 span',
    },
    mixedSizes: {
      enum: ['drop', 'lastSlice', 'fail'], default: 'drop',
      description: 'scans whose slices differ in size: drop the scan, keep only its last slice (paper §3.1), or fail',
    },
    splits: {
      type: ['array', 'null'], items: { enum: [...SPLITS] }, minItems: 1, uniqueItems: true, default: null,
      description: 'split folders to read; null reads all present',
    },
  },
  required: ['path'],
  example: { path: 'test/fixtures/image-folder/tiny' },
  outputs: { slices: Slices },
  inputFiles,
  scans: imageFolderScans,
  scanSetParams: ['splits'],
  run,
});
