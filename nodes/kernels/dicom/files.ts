// Which files a DICOM directory holds (with what the engine fingerprints them by), and which of
// them are localizers.
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { SliceHeader } from './header.js';

/** A regular file and the stat fields that tell whether it changed (the header memo's key, by the engine's rule). */
export interface FileStat { file: string; size: number; mtimeMs: number; ctimeMs: number; ino: number }

/** Regular files under `dir` (hidden names skipped), sorted so that every run reads them alike. */
export async function listFiles(dir: string, recursive: boolean): Promise<FileStat[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive });
  } catch (e) {
    throw new Error(`dicom-series: params.path "${dir}" cannot be listed (${(e as NodeJS.ErrnoException).code ?? String(e)}): give a directory of DICOM files`);
  }
  const files: FileStat[] = [];
  for (const name of names.sort()) {
    if (name.split(sep).some((part) => part.startsWith('.'))) continue;
    const file = join(dir, name);
    const st = await stat(file);
    if (st.isFile()) files.push({ file, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });
  }
  return files;
}

/** ImageType names a localizer (scout / topogram): not a slice of the volume. */
export function isLocalizer(h: SliceHeader): boolean {
  return h.imageType.includes('LOCALIZER');
}
