// Fingerprint of a node's input files (a source's data, a command's deps): content hashes
// memoised by (path, size, mtime), so an unchanged data set is not re-read on every run.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from './canonical.js';

type Memo = Record<string, { size: number; mtimeMs: number; hash: string }>;

export class FileFingerprints {
  private memo: Memo = {};
  private dirty = false;

  constructor(private readonly memoFile: string) {
    try {
      this.memo = JSON.parse(readFileSync(memoFile, 'utf8')) as Memo;
    } catch {
      this.memo = {};
    }
  }

  /** One hash over the given files: their paths (relative to `base`) and contents. */
  async of(files: readonly string[], base: (f: string) => string): Promise<string> {
    const parts: string[] = [];
    for (const f of [...files].sort()) parts.push(`${base(f)} ${await this.fileHash(f)}`);
    return sha256(parts.join('\n'));
  }

  private async fileHash(file: string): Promise<string> {
    const st = statSync(file);
    const m = this.memo[file];
    if (m && m.size === st.size && m.mtimeMs === st.mtimeMs) return m.hash;
    const h = createHash('sha256');
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
    const hash = h.digest('hex');
    this.memo[file] = { size: st.size, mtimeMs: st.mtimeMs, hash };
    this.dirty = true;
    return hash;
  }

  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.memoFile), { recursive: true });
    const tmp = `${this.memoFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.memo));
    renameSync(tmp, this.memoFile);
    this.dirty = false;
  }
}
