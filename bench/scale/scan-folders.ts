// The scan folders of a make-folder.js folder (those holding JPEG files), in path order: what the
// scale benches copy, link or hold aside.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function scanFolders(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory()) continue;
    const p = join(root, e.name);
    if (readdirSync(p).some((n) => /\.jpe?g$/i.test(n))) out.push(p);
    else out.push(...scanFolders(p));
  }
  return out;
}
