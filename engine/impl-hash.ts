// Implementation hash of a node kind: its module and every project-local module it imports,
// transitively (type-only imports are erased by the compiler and so do not count). A code change
// without a version bump therefore cannot reuse old outputs. Paths are relative to the package
// root, so clones in different directories agree.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './canonical.js';

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const memo = new Map<string, string>();

export function implementationHash(moduleUrl: string): string {
  const cached = memo.get(moduleUrl);
  if (cached) return cached;
  const entry = fileURLToPath(moduleUrl);
  const root = packageRoot(entry);
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, sha256(text));
    for (const m of text.matchAll(IMPORT_RE)) visit(resolve(dirname(file), m[1]));
  };
  visit(entry);
  const parts = [...seen].map(([f, h]) => `${relative(root, f).split('\\').join('/')} ${h}`).sort();
  const hash = sha256(parts.join('\n'));
  memo.set(moduleUrl, hash);
  return hash;
}

function packageRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return dirname(file);
    dir = up;
  }
  return dir;
}
