// The header memo of dicom-series' planning: what each file's header says about its scan (its
// series, a localizer, no image, or why it cannot be used), keyed by the file's size, mtime and
// inode, so that a rerun reads the headers of new and changed files only. One JSON file per
// folder of DICOM files, <runs>/memo/dicom-headers/<hash of the folder>.json: adding a series
// writes its folder's memo alone. Written to a temporary file and renamed (a crash leaves the old
// memo or the new one, never half of one); a memo that does not parse or has another shape is
// ignored and rebuilt from the headers.
import { createHash } from 'node:crypto';
import { readFile, rename, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileStat } from './files.js';

/** A file's header, summarised: a slice of series `uid`, a localizer of it, no image, or a file error's reason. */
export type Summary = ['slice' | 'localizer', string] | ['none'] | ['error', string];

type Entry = [size: number, mtimeMs: number, ino: number, summary: Summary];

const VERSION = 1;

export class FolderMemo {
  private entries = new Map<string, Entry>();
  private changed = false;

  private constructor(private readonly file: string, private readonly folder: string) {}

  /** The memo of `folder` under `memoDir` (empty when there is none, or it is damaged). */
  static async open(memoDir: string, folder: string): Promise<FolderMemo> {
    const file = join(memoDir, 'dicom-headers', `${createHash('sha256').update(folder).digest('hex').slice(0, 32)}.json`);
    const memo = new FolderMemo(file, folder);
    try {
      const m = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown; folder?: unknown; files?: unknown };
      if (m.version === VERSION && m.folder === folder && m.files && typeof m.files === 'object') {
        for (const [name, e] of Object.entries(m.files as Record<string, unknown>)) if (validEntry(e)) memo.entries.set(name, e);
      }
    } catch {
      // missing or damaged: rebuilt from the headers
    }
    return memo;
  }

  /** The summary stored for `name` if the file is still what it was then. */
  get(name: string, st: FileStat): Summary | undefined {
    const e = this.entries.get(name);
    return e && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ino ? e[3] : undefined;
  }

  set(name: string, st: FileStat, summary: Summary): void {
    this.entries.set(name, [st.size, st.mtimeMs, st.ino, summary]);
    this.changed = true;
  }

  /** Forget files no longer in the folder, and write the memo if anything changed. */
  async save(present: ReadonlySet<string>): Promise<void> {
    for (const name of this.entries.keys()) {
      if (!present.has(name)) {
        this.entries.delete(name);
        this.changed = true;
      }
    }
    if (!this.changed) return;
    await mkdir(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: VERSION, folder: this.folder, files: Object.fromEntries(this.entries) }));
    await rename(tmp, this.file);
    this.changed = false;
  }
}

function validEntry(e: unknown): e is Entry {
  if (!Array.isArray(e) || e.length !== 4 || !e.slice(0, 3).every((v) => typeof v === 'number')) return false;
  const s = e[3] as unknown;
  if (!Array.isArray(s)) return false;
  return s[0] === 'none' ? s.length === 1 : ['slice', 'localizer', 'error'].includes(s[0] as string) && s.length === 2 && typeof s[1] === 'string';
}
