// Build step (after tsc): bundle the run browser's client into dist/ui/assets — app.js (every
// page) and charts.js (with Vega and Vega-Lite, for pages with charts) — and copy its stylesheet
// beside them. The server serves only these files, so a page fetches nothing from outside it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const DIST_UI = dirname(fileURLToPath(import.meta.url));
const SOURCE = resolve(DIST_UI, '..', '..', 'ui', 'client');
const OUT = join(DIST_UI, 'assets');

mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: [{ in: join(SOURCE, 'main.ts'), out: 'app' }, { in: join(SOURCE, 'charts.ts'), out: 'charts' }],
  outdir: OUT,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(SOURCE, 'app.css'), join(OUT, 'app.css'));
