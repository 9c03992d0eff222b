// Which build of the command line a fresh process runs: the bundle (engine/bundle.ts) while
// every file it was bundled from is unchanged (size and mtime; ~170 stats, ~3 ms), else the
// modules themselves, with a note on stderr — after a bare `tsc` the bundle would run old code
// under the new code's cache keys. The bundle is compiled with the V8 code cache the build left;
// V8 refuses a cache made by another V8 version or with other flags and then compiles as usual.
// CommonJS, like bin/ctflow.cjs: a process that runs the bundle never starts Node's ESM loader
// (~20 ms).
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

type Cli = typeof import('./cli.js');

export const BUNDLE_FILES = { code: 'cli.cjs', cache: 'cli.cache', inputs: 'inputs.json' } as const;

interface BundleInput {
  path: string;
  size: number;
  mtimeMs: number;
}

export function bundleIsFresh(dir: string): boolean {
  try {
    const inputs = JSON.parse(readFileSync(join(dir, BUNDLE_FILES.inputs), 'utf8')) as BundleInput[];
    return inputs.every((i) => {
      const st = statSync(join(dir, i.path));
      return st.size === i.size && st.mtimeMs === i.mtimeMs;
    });
  } catch {
    return false; // no bundle, or a file it was built from is gone
  }
}

export function compileBundle(dir: string, cachedData: Buffer | undefined): Script {
  const file = join(dir, BUNDLE_FILES.code);
  const source = `(function (exports, require, module, __filename, __dirname, __ctflowImport) {${readFileSync(file, 'utf8')}\n})`;
  return new Script(source, { filename: file, cachedData });
}

export function evaluateBundle(script: Script, dir: string): Cli {
  const file = join(dir, BUNDLE_FILES.code);
  const module = { exports: {} as Cli };
  // The bundle's import() of npm packages (tfjs, sharp, vega, ...) are calls to this.
  const importPackage = (specifier: string) => import(specifier);
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dir, importPackage);
  return module.exports;
}

export async function loadCli(): Promise<Cli> {
  const dir = join(__dirname, '..', 'bundle');
  if (!bundleIsFresh(dir)) {
    process.stderr.write('ctflow: dist/bundle is missing or older than dist/ (`npm run build` makes it); running the compiled modules, which start slower\n');
    return import('./cli.js');
  }
  let cache: Buffer | undefined;
  try {
    cache = readFileSync(join(dir, BUNDLE_FILES.cache));
  } catch {
    cache = undefined; // built without one: compiled as usual
  }
  return evaluateBundle(compileBundle(dir, cache), dir);
}
