// Build step (after tsc and precompile): bundle the command line into one CommonJS file,
// dist/bundle/cli.cjs, with a V8 code cache beside it, so a fresh `ctflow` process compiles
// little and loads one module instead of ~120 (ESM loading in Node costs ~1.5 ms per module; a
// no-op rerun is mostly start-up). Modules reached by dynamic import stay lazy (evaluated on
// first import). npm packages stay external, except the small CommonJS ones every command loads;
// the bundle's import() of a package is a call into the launcher (import() in a vm script needs
// an experimental loader hook whose callback a code cache does not keep). Each module's
// import.meta.url is rewritten to its own dist/ file: node kinds are still hashed
// (engine/impl-hash.ts) and forked (engine/child.ts) from their files, so keys do not change.
// inputs.json lists the files bundled with their size and mtime; engine/launch.cts runs the
// bundle only while they are unchanged.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_FILES, compileBundle, evaluateBundle } from './launch.cjs';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(DIST, 'bundle');
/** CommonJS packages loaded by every command: bundled (yaml alone is 72 files). */
const BUNDLED_PACKAGES = new Set(['yaml', 'fastest-levenshtein']);

const ownUrls: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const pkg = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED_PACKAGES.has(pkg) ? undefined : { path: args.path, external: true };
    });
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(DIST + '/')) return { contents: text, loader: 'js' };
      const contents = text
        .replaceAll('import.meta.url', `__ctflowUrl(${JSON.stringify(relative(OUT, args.path))})`)
        .replace(/(?<![.\w$])import\((?!\s*['"]\.)/g, '__ctflowImport('); // packages: see engine/launch.cts
      return { contents, loader: 'js' };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(DIST, 'engine', 'cli.js')],
  outfile: join(OUT, BUNDLE_FILES.code),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [ownUrls],
  banner: { js: 'const __ctflowUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;' },
});

// The code cache holds what V8 compiled while the bundle planned the main graph (`status`, the
// path of a no-op rerun), not just its top level.
const script = compileBundle(OUT, undefined);
const cli = evaluateBundle(script, OUT);
const runs = await mkdtemp(join(tmpdir(), 'ctflow-bundle-'));
const log = console.log;
console.log = () => {};
try {
  await cli.main(['status', join(DIST, '..', 'graphs', 'quick.yaml'), '--runs', runs]);
} finally {
  console.log = log;
  await rm(runs, { recursive: true, force: true });
}
await writeFile(join(OUT, BUNDLE_FILES.cache), script.createCachedData());

// Our own modules only: a changed npm package is reinstalled, and installing rebuilds (prepare).
const own = Object.keys(result.metafile.inputs).filter((path) => resolve(path).startsWith(DIST + '/'));
const inputs = await Promise.all(own.map(async (path) => {
  const st = await stat(path);
  return { path: relative(OUT, resolve(path)), size: st.size, mtimeMs: st.mtimeMs };
}));
await writeFile(join(OUT, BUNDLE_FILES.inputs), JSON.stringify(inputs));
console.log(`bundled ${inputs.length} modules → ${relative(process.cwd(), OUT)}/${BUNDLE_FILES.code} (+ code cache)`);
