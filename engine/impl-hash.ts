// Implementation hash of a node kind: its module and every project-local module it imports,
// transitively (type-only imports are erased by the compiler and so do not count), and every file
// one of them loads by `new URL('./…', import.meta.url)` (worker scripts, followed in turn;
// WebAssembly modules, hashed as bytes). A code change without a version bump therefore cannot
// reuse old outputs. Paths are relative to the package root, so clones in different directories agree.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './canonical.js';

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const URL_RE = /\bnew URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;
/** Files whose text is scanned for the files they load; any other is hashed as bytes only. */
const SCRIPT = /\.[cm]?js$/;
const memo = new Map<string, string>();
/** Per file (and its size and mtime): its hash and the files it imports; kinds share most of them. */
const files = new Map<string, { hash: string; imports: string[] }>();

function scan(file: string): { hash: string; imports: string[] } {
  const st = statSync(file);
  const id = `${file}\0${st.size}\0${st.mtimeMs}`;
  let f = files.get(id);
  if (!f) {
    const bytes = readFileSync(file), text = SCRIPT.test(file) ? bytes.toString('utf8') : '';
    const near = (m: RegExpMatchArray) => resolve(dirname(file), m[1]);
    // a file loaded by URL may be one the build leaves out (an optional asset): only those present count
    const loaded = [...text.matchAll(URL_RE)].map(near).filter((next) => existsSync(next));
    f = { hash: sha256(bytes), imports: [...[...text.matchAll(IMPORT_RE)].map(near), ...loaded] };
    files.set(id, f);
  }
  return f;
}

export function implementationHash(moduleUrl: string): string {
  const cached = memo.get(moduleUrl);
  if (cached) return cached;
  const entry = fileURLToPath(moduleUrl);
  const root = packageRoot(entry);
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const { hash, imports } = scan(file);
    seen.set(file, hash);
    for (const next of imports) visit(next);
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
