// The scans of a dicom-series source at plan time, for its per-scan cache (engine/partitions.ts):
// one scan per SeriesInstanceUID, its files the series' slices. Which series a file holds is in its
// header, so planning reads headers, and keeps what each says in a memo keyed by the file's stat
// signature by the engine's rule (memo.ts, ScanMemo.signature): a no-op rerun stats the files and reads no header, adding series reads
// the headers of their files only. A file that is no slice of a series (a localizer, DICOM without
// an image, a file that cannot be used) joins the scan with most slices in its folder, so its
// fingerprint is in that scan's key and the run that reads the scan reports it (or stops on it
// under onError: fail); a folder without slices gives its files to the first scan, and a path
// without any series is one scan of no slices (NO_SERIES) holding every file.
import { basename, dirname, resolve } from 'node:path';
import type { ScanFiles, ScanMemo } from '../../../engine/types.js';
import { isLocalizer, listFiles, type FileStat } from './files.js';
import { mapLimit } from '../image-folder/map-limit.js';
import { DicomFileError, ReadBuffer, readHeader } from './header.js';
import { FolderMemo, type Summary } from './memo.js';

/** The scan of a folder without any image series: it yields no slice, only what its files are. */
export const NO_SERIES = '(no image series)';

/** Header reads in flight at once (a cold disk answers several together; the next file is read while one is parsed). */
const READS = 8;

export interface DicomScanParams { path: string; recursive: boolean }

export async function dicomScans(params: DicomScanParams, memo?: ScanMemo): Promise<ScanFiles[]> {
  const root = resolve(params.path);
  const files = await listFiles(root, params.recursive);
  if (files.length === 0) {
    throw new Error(`no files in params.path "${params.path}"` + (params.recursive ? '' : ' (recursive is false: set recursive: true to read sub-directories)'));
  }
  const folders = new Map<string, FileStat[]>();
  for (const f of files) {
    const folder = folders.get(dirname(f.file));
    if (folder) folder.push(f);
    else folders.set(dirname(f.file), [f]);
  }
  const summaries = new Map<string, Summary | undefined>();
  const memos: [FolderMemo, Set<string>][] = [];
  const misses: { f: FileStat; memo?: FolderMemo; signature?: string }[] = [];
  for (const [folder, inFolder] of folders) {
    const m = memo ? await FolderMemo.open(memo.dir, folder) : undefined;
    if (m) memos.push([m, new Set(inFolder.map((f) => basename(f.file)))]);
    for (const f of inFolder) {
      const signature = memo?.signature(f);
      const known = signature === undefined ? undefined : m?.get(basename(f.file), signature);
      if (known) summaries.set(f.file, known);
      else misses.push({ f, memo: m, signature });
    }
  }
  // READS reads in flight, each into a buffer of its own, reused
  const buffers = Array.from({ length: READS }, () => new ReadBuffer());
  await mapLimit(misses, READS, async ({ f, memo: m, signature }) => {
    const into = buffers.pop()!;
    try {
      const s = await summarise(f.file, into);
      summaries.set(f.file, s);
      if (s && signature !== undefined) m?.set(basename(f.file), signature, s);
    } finally {
      buffers.push(into);
    }
  });
  for (const [m, present] of memos) await m.save(present);
  return group(files, summaries);
}

/** What a file's header says of its scan; undefined when it cannot be read now (not memoised). */
async function summarise(file: string, into: ReadBuffer): Promise<Summary | undefined> {
  try {
    const h = await readHeader(file, into);
    if (!h) return ['none'];
    return [isLocalizer(h) ? 'localizer' : 'slice', h.seriesUid];
  } catch (e) {
    if (!(e instanceof DicomFileError)) throw e;
    return e.io ? undefined : ['error', e.reason];
  }
}

function group(files: readonly FileStat[], summaries: Map<string, Summary | undefined>): ScanFiles[] {
  const byUid = new Map<string, string[]>();
  const loose: string[] = [];
  for (const { file } of files) {
    const s = summaries.get(file);
    if (s?.[0] !== 'slice') loose.push(file);
    else if (byUid.has(s[1])) byUid.get(s[1])!.push(file);
    else byUid.set(s[1], [file]);
  }
  const uids = [...byUid.keys()].sort();
  // No series at all: the files are one scan with no slices, so that its run reports them (or stops on one).
  if (uids.length === 0) return [{ id: NO_SERIES, files: loose }];
  // the series with most slices in each folder (ties: the first UID)
  const main = new Map<string, { uid: string; n: number }>();
  for (const uid of uids) {
    const count = new Map<string, number>();
    for (const f of byUid.get(uid)!) count.set(dirname(f), (count.get(dirname(f)) ?? 0) + 1);
    for (const [folder, n] of count) if (n > (main.get(folder)?.n ?? 0)) main.set(folder, { uid, n });
  }
  for (const file of loose) {
    const uid = main.get(dirname(file))?.uid ?? uids[0];
    byUid.get(uid)!.push(file);
  }
  return uids.map((id) => ({ id, files: byUid.get(id)!.sort() }));
}
