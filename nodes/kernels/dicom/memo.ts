// The header memo of dicom-series' planning: what each file's header says about its scan (its
// series, a localizer, no image, or why it cannot be used), keyed by the file's stat signature
// by the engine's own rule (ScanMemo.signature: size, mtime, ctime, inode), so that a rerun reads
// the headers of new and changed files only, and a summary is trusted exactly when the engine's
// fingerprint of the file is (a same-size edit whose mtime is set back moves the ctime: read again). One JSON file per
// folder of DICOM files, <runs>/memo/dicom-headers/<hash of the folder>.json: adding a series
// writes its folder's memo alone. Written to a temporary file and renamed (a crash leaves the old
// memo or the new one, never half of one); a memo that does not parse or has another shape is
// ignored and rebuilt from the headers.
import { createHash } from 'node:crypto';
import { readFile, rename, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A file's header, summarised: a slice of series `uid`, a localizer of it, no image, or a file error's reason. */
export type Summary = ['slice' | 'localizer', string] | ['none'] | ['error', string];

type Entry = [signature: string, summary: Summary];

/** 2: entries are [signature, summary] (1 keyed by size, mtime and inode: ignored, rebuilt). */
const VERSION = 2;

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

  /** The summary stored for `name` if the file's signature is the one it had then. */
  get(name: string, signature: string): Summary | undefined {
    const e = this.entries.get(name);
    return e && e[0] === signature ? e[1] : undefined;
  }

  set(name: string, signature: string, summary: Summary): void {
    this.entries.set(name, [signature, summary]);
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
  if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') return false;
  const s = e[1] as unknown;
  if (!Array.isArray(s)) return false;
  return s[0] === 'none' ? s.length === 1 : ['slice', 'localizer', 'error'].includes(s[0] as string) && s.length === 2 && typeof s[1] === 'string';
}
