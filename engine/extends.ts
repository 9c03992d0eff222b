// Graph files that extend others: `extends: base.yaml` (relative to the file; chains allowed,
// cycles refused). The child is deep-merged over its base: mappings merge key by key, any other
// value replaces; `null` removes a key (e.g. `nodes: { median: null }` drops a node, and
// `mask: { in: { slices: crop.slices } }` rewires around it). Every value is located in the file
// that introduced it, so a problem in an inherited value points into the base file.
import { dirname, resolve } from 'node:path';
import type { GraphIssue } from './errors.js';
import { displayPath, loadGraphFile, type LoadedGraph, type Location } from './load.js';

const MAX_DEPTH = 16;
/** Problems that make a base file no graph at all: reported at the child's `extends:` line. */
const UNFIT = ['unreadable', 'too-large', 'not-a-graph'];
type Path = readonly (string | number)[];

export function loadWithExtends(path: string): LoadedGraph {
  const chain: LoadedGraph[] = [];
  const seen: string[] = [];
  let current = resolve(path);
  for (;;) {
    if (seen.includes(current)) return refused(chain, 'extends-cycle', `"extends" forms a cycle: ${[...seen, current].map(displayPath).join(' → ')}`, 'remove one of these extends');
    if (seen.length >= MAX_DEPTH) return refused(chain, 'extends-depth', `"extends" chain is deeper than ${MAX_DEPTH} files`, 'flatten the chain');
    seen.push(current);
    const loaded = loadGraphFile(current);
    const child = chain[chain.length - 1];
    const unfit = loaded.issues.find((i) => UNFIT.includes(i.code));
    if (child && unfit) {
      const at = child.locate(['extends']);
      return withIssue(merged([...chain].reverse()), { code: 'extends', ...at, message: `base graph ${displayPath(current)}: ${unfit.message}`, hint: 'extends takes the path of a graph file, relative to this file' });
    }
    chain.push(loaded);
    if (loaded.issues.length) return merged(chain.reverse());
    const base = (loaded.data as { extends?: unknown } | null)?.extends;
    if (base === undefined) break;
    if (typeof base !== 'string') {
      const at = loaded.locate(['extends']);
      return withIssue(merged(chain.reverse()), { code: 'extends', ...at, message: '"extends" must be a file path', hint: 'extends: base.yaml (relative to this file)' });
    }
    current = resolve(dirname(current), base);
  }
  return merged(chain.reverse());
}

/** Deep-merge the chain (base first), remembering which file introduced each value. */
function merged(chain: LoadedGraph[]): LoadedGraph {
  const leaf = chain[chain.length - 1];
  const origin = new Map<string, LoadedGraph>();
  let data: unknown = undefined;
  const issues: GraphIssue[] = [];
  for (const g of chain) {
    issues.push(...g.issues);
    if (g.data === null || typeof g.data !== 'object') continue;
    const { extends: _drop, ...rest } = g.data as Record<string, unknown>;
    void _drop;
    data = merge(data, rest, [], g, origin);
  }
  const locate = (path: Path): Location => {
    for (let n = path.length; n >= 0; n--) {
      const g = origin.get(key(path.slice(0, n)));
      if (g) return g.locate(path);
    }
    return leaf.locate(path);
  };
  return { file: leaf.file, data: issues.length ? null : (data ?? null), issues, locate, overrides: new Map() };
}

function merge(base: unknown, over: unknown, path: (string | number)[], from: LoadedGraph, origin: Map<string, LoadedGraph>): unknown {
  origin.set(key(path), from);
  if (!isMap(over) || !isMap(base)) {
    markAll(over, path, from, origin);
    return over;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    // defined, not assigned: a key "__proto__" stays a plain key and never sets a prototype
    else Object.defineProperty(out, k, { value: merge(Object.hasOwn(base, k) ? base[k] : undefined, v, [...path, k], from, origin), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function markAll(value: unknown, path: (string | number)[], from: LoadedGraph, origin: Map<string, LoadedGraph>) {
  origin.set(key(path), from);
  if (isMap(value)) for (const [k, v] of Object.entries(value)) markAll(v, [...path, k], from, origin);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function key(path: Path): string {
  return JSON.stringify(path);
}

function refused(chain: LoadedGraph[], code: string, message: string, hint: string): LoadedGraph {
  const last = chain[chain.length - 1];
  const at = last.locate(['extends']);
  return withIssue(merged([...chain].reverse()), { code, ...at, message, hint });
}

function withIssue(g: LoadedGraph, issue: GraphIssue): LoadedGraph {
  return { ...g, data: null, issues: [...g.issues, issue] };
}
