// Which build of the command line a fresh process loads: dist/bundle/ (engine/bundle.ts) while
// every file it was bundled from is unchanged (size and mtime; ~120 stats, ~3 ms), else the modules
// themselves — after a bare `tsc` the bundle would run old code under the new code's cache keys.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Cli = typeof import('./cli.js');

interface BundleInput {
  path: string;
  size: number;
  mtimeMs: number;
}

export function bundleIsFresh(dir: URL): boolean {
  try {
    const root = fileURLToPath(dir);
    const inputs = JSON.parse(readFileSync(root + 'inputs.json', 'utf8')) as BundleInput[];
    return inputs.every((i) => {
      const st = statSync(root + i.path);
      return st.size === i.size && st.mtimeMs === i.mtimeMs;
    });
  } catch {
    return false; // no bundle, or a file it was built from is gone
  }
}

export async function loadCli(): Promise<Cli> {
  const bundle = new URL('../bundle/', import.meta.url);
  return bundleIsFresh(bundle) ? (import(new URL('cli.js', bundle).href) as Promise<Cli>) : import('./cli.js');
}
