// Imports between project files go one way: no file reaches itself through the files it imports
// (engine/, nodes/, ui/, bench/, test/; static, type-only, re-exports and dynamic import() alike).
// A cycle fails with its path printed, e.g. "engine/a.ts → engine/b.ts → engine/a.ts". And the
// layers hold: the engine core imports no node kind, kernel, command or report; node kinds and
// kernels import only the node contract from the engine (each folder's README.md says so).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FOLDERS = ['engine', 'nodes', 'ui', 'bench', 'test'];

/**
 * Cycles known when this test was written and being removed elsewhere: each is the cycle as this
 * test prints it. Remove an entry once its cycle is gone (the test fails on a stale entry too).
 */
const KNOWN: string[] = [];

/** The application layer above the engine core: the command line, its commands and reports, build steps. */
const APPLICATION = [/^engine\/(commands|report)\//, /^engine\/(cli\.ts|precompile\.ts|bundle\.ts|launch\.cts)$/, /^engine\/scale\/options\.ts$/];
/** What node kinds and kernels may import from the engine: the node contract and its helpers. */
const CONTRACT = ['engine/types.ts', 'engine/ports.ts', 'engine/lazy.ts', 'engine/arrow.ts', 'engine/arrow-io.ts', 'engine/rng.ts', 'engine/registry.ts', 'engine/step-end.ts'];
/** A kind's report sections (nodes/kernels/…/*-section.ts, named in its `report:`) draw with the report's API. */
const SECTION = /^nodes\/kernels\/.+-section\.ts$/;
const REPORT_API = /^engine\/report\//;

/** `import … from`, `import '…'`, `export … from` (type-only included) and `import('…')`. */
const SPECIFIERS = [
  /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : sourceFiles(full);
    return /\.c?ts$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The project files `file` imports (relative specifiers naming the compiled .js/.cjs of a .ts/.cts). */
function importsOf(file: string, text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = new Set<string>();
  for (const re of SPECIFIERS) {
    for (const m of code.matchAll(re)) {
      if (!m[1].startsWith('.')) continue;
      const target = join(dirname(file), m[1]).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts');
      if (existsSync(target)) out.add(target);
    }
  }
  return [...out];
}

/** Every elementary cycle found by a depth-first walk, each once, as a path of relative names. */
function cycles(graph: Map<string, string[]>): string[] {
  const found = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') {
        const loop = stack.slice(stack.indexOf(g));
        const start = loop.indexOf([...loop].sort()[0]); // the same cycle prints the same way
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        found.add([...rotated, rotated[0]].map((x) => relative(ROOT, x)).join(' → '));
      } else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return [...found].sort();
}

describe('imports', () => {
  const files = FOLDERS.flatMap((d) => sourceFiles(join(ROOT, d)));
  const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(f, 'utf8'))]));

  it('reads static, type-only, re-export and dynamic imports', () => {
    const text = `import { a } from './plan.js';\nimport type {\n  B,\n} from './store.js';\nexport { c } from './errors.js';\n// import { d } from './rng.js';\nconst m = await import('./session.js');\nimport './launch.cjs';\nimport { x } from 'rxjs';`;
    const got = importsOf(join(ROOT, 'engine', 'probe.ts'), text).map((f) => relative(ROOT, f));
    expect(got).to.have.members(['engine/plan.ts', 'engine/store.ts', 'engine/errors.ts', 'engine/session.ts', 'engine/launch.cts']);
    expect(got).to.have.length(5);
  });

  it('finds a cycle and prints its path', () => {
    const [a, b, c] = ['a.ts', 'b.ts', 'c.ts'].map((f) => join(ROOT, 'engine', f));
    expect(cycles(new Map([[a, [b]], [b, [c]], [c, [b]]]))).to.deep.equal(['engine/b.ts → engine/c.ts → engine/b.ts']);
    expect(cycles(new Map([[a, [b]], [b, [c]], [c, []]]))).to.deep.equal([]);
  });

  it('no project file imports itself through others', () => {
    expect(files.length, 'source files found').to.be.greaterThan(100);
    const found = cycles(graph);
    const unknown = found.filter((c) => !KNOWN.includes(c));
    expect(unknown, `import cycles:\n  ${unknown.join('\n  ')}\n`).to.deep.equal([]);
    const stale = KNOWN.filter((c) => !found.includes(c));
    expect(stale, 'entries of KNOWN whose cycle is gone: remove them').to.deep.equal([]);
  });

  it('the engine core imports no node kind, kernel, command or report', () => {
    const wrong = edges().filter(([from, to]) => from.startsWith('engine/') && !APPLICATION.some((re) => re.test(from))
      && (to.startsWith('nodes/') || APPLICATION.some((re) => re.test(to))));
    expect(wrong.map((e) => e.join(' → '))).to.deep.equal([]);
  });

  it('node kinds and kernels import only the node contract from the engine', () => {
    const wrong = edges().filter(([from, to]) => from.startsWith('nodes/') && to.startsWith('engine/') && !CONTRACT.includes(to) && !(SECTION.test(from) && REPORT_API.test(to)));
    expect(wrong.map((e) => e.join(' → '))).to.deep.equal([]);
  });

  /** Every import as [from, to], relative to the repository root. */
  function edges(): [string, string][] {
    return [...graph].flatMap(([f, targets]) => targets.map((t): [string, string] => [relative(ROOT, f), relative(ROOT, t)]));
  }
});
