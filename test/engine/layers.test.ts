// Layering: the engine knows no node kind. Files under engine/ import nothing from nodes/ (static,
// type-only, re-export, dynamic import(), require, or a module URL), except the wiring points that
// load the shipped registry, and those import only nodes/index.js. Kinds bring their own report
// sections and exporters through the node contract instead (engine/types.ts, engine/ports.ts).
// Reads the TypeScript sources, since the compiler erases type-only imports.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();

/** The files that load the registry of shipped kinds, and the one module they may import from nodes/. */
const WIRING = ['engine/commands/common.ts', 'engine/commands/schema.ts', 'engine/commands/worker.ts', 'engine/commands/job.ts', 'engine/commands/ui.ts', 'engine/precompile.ts'];
const REGISTRY = 'nodes/index.js';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\bnew\s+URL\s*\(\s*)['"]([^'"]+)['"]/g;

/** Every module specifier a source names, in any of the forms a module can be reached by. */
function specifiers(text: string): string[] {
  return [...text.matchAll(SPECIFIER)].map((m) => m[1]);
}

/** The nodes/ modules (root-relative) that `file` (root-relative) reaches and may not. */
function offenders(file: string, text: string): string[] {
  const reached = specifiers(text).filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).split('\\').join('/'))
    .filter((p) => p.startsWith('nodes/'));
  return reached.filter((p) => !(WIRING.includes(file) && p === REGISTRY));
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((n) => {
    const p = `${dir}/${n}`;
    return statSync(join(ROOT, p)).isDirectory() ? sources(p) : /\.c?ts$/.test(n) ? [p] : [];
  });
}

describe('engine layering', () => {
  it('sees every form of import', () => {
    const forms = [
      `import { Slices } from '../nodes/tables.js';`,
      `import type { CropperParams } from '../nodes/cropper.js';`,
      `import {\n  Masks,\n  Slices,\n} from "../nodes/tables.js";`,
      `export { Slices } from '../nodes/tables.js';`,
      `import '../nodes/tables.js';`,
      `const { Slices } = await import('../nodes/tables.js');`,
      `type T = typeof import('../nodes/tables.js');`,
      `const t = require('../nodes/tables.js');`,
      `const url = new URL('../nodes/tables.js', import.meta.url);`,
    ];
    for (const text of forms) expect(offenders('engine/any.ts', text), text).to.have.length(1);
    expect(offenders('engine/any.ts', `import { portType } from './ports.js';\nimport sharp from 'sharp';`)).to.deep.equal([]);
  });

  it('allows only the wiring points to load only the registry', () => {
    const load = `const { registry } = await import('../../nodes/index.js');`;
    expect(offenders('engine/commands/common.ts', load)).to.deep.equal([]);
    expect(offenders('engine/commands/export.ts', load)).to.deep.equal(['nodes/index.js']);
    expect(offenders('engine/commands/common.ts', `import('../../nodes/kernels/jpeg-folder-writer.js')`)).to.deep.equal(['nodes/kernels/jpeg-folder-writer.js']);
  });

  it('no file under engine/ imports from nodes/ but the registry wiring', () => {
    const files = sources('engine');
    expect(files.length).to.be.greaterThan(50);
    const found = files.flatMap((f) => offenders(f, readFileSync(join(ROOT, f), 'utf8')).map((p) => `${f} → ${p}`));
    expect(found, 'kinds contribute report sections and exporters through the node contract; the engine imports none of them').to.deep.equal([]);
  });

  it('each wiring point exists and loads the registry (the list is not stale)', () => {
    for (const f of WIRING) {
      const reached = specifiers(readFileSync(join(ROOT, f), 'utf8')).map((s) => relative(ROOT, resolve(ROOT, dirname(f), s)).split('\\').join('/'));
      expect(reached, f).to.include(REGISTRY);
    }
  });
});
