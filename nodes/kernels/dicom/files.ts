// Which files a DICOM directory holds, and how their headers group into series (one scan each).
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { SliceHeader } from './header.js';

/** Regular files under `dir` (hidden names skipped), sorted so that every run reads them alike. */
export async function listFiles(dir: string, recursive: boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive });
  } catch (e) {
    throw new Error(`dicom-series: params.path "${dir}" cannot be listed (${(e as NodeJS.ErrnoException).code ?? String(e)}): give a directory of DICOM files`);
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (name.split(sep).some((part) => part.startsWith('.'))) continue;
    const file = join(dir, name);
    if ((await stat(file)).isFile()) files.push(file);
  }
  return files;
}

/** ImageType names a localizer (scout / topogram): not a slice of the volume. */
export function isLocalizer(h: SliceHeader): boolean {
  return h.imageType.includes('LOCALIZER');
}

export interface Series {
  uid: string;
  slices: SliceHeader[];
}

/** Headers grouped by SeriesInstanceUID, series sorted by UID. */
export function groupSeries(headers: readonly SliceHeader[]): Series[] {
  const byUid = new Map<string, SliceHeader[]>();
  for (const h of headers) {
    const group = byUid.get(h.seriesUid);
    if (group) group.push(h);
    else byUid.set(h.seriesUid, [h]);
  }
  return [...byUid.keys()].sort().map((uid) => ({ uid, slices: byUid.get(uid)! }));
}
