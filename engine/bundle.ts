// Build step (after tsc and precompile): bundle the command line into dist/bundle/ so a fresh
// `ctflow` process loads a few modules instead of ~120 (ESM loading in Node costs ~1.5 ms per
// module; a no-op rerun is mostly start-up). Dynamic imports stay separate chunks, so what was
// lazy stays lazy; npm packages stay external except the small CommonJS ones every command loads.
// Each module's import.meta.url is rewritten to its own dist/ file: node kinds are still hashed
// (engine/impl-hash.ts) and forked (engine/child.ts) from their files, so keys do not change.
// dist/bundle/inputs.json lists the files bundled with their size and mtime; engine/launch.ts
// loads the bundle only while they are unchanged.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

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
      const own = `new URL(${JSON.stringify(relative(OUT, args.path))}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: { cli: join(DIST, 'engine', 'cli.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [ownUrls],
  // The bundled CommonJS packages require Node built-ins; ESM output has no `require` of its own.
  banner: { js: "import { createRequire as __ctflowRequire } from 'node:module'; const require = __ctflowRequire(import.meta.url);" },
});
// Our own modules only: a changed npm package is reinstalled, and installing rebuilds (prepare).
const own = Object.keys(result.metafile.inputs).filter((path) => resolve(path).startsWith(DIST + '/'));
const inputs = await Promise.all(own.map(async (path) => {
  const st = await stat(path);
  return { path: relative(OUT, resolve(path)), size: st.size, mtimeMs: st.mtimeMs };
}));
await writeFile(join(OUT, 'inputs.json'), JSON.stringify(inputs));
console.log(`bundled ${inputs.length} modules → ${relative(process.cwd(), OUT)}/`);
