// Read a graph file: YAML with positions, no custom tags, nothing executed, aliases bounded.
// Only a regular file of at most 1 MiB is read (checked while reading), and a file that is not a
// graph (no graph key at its top level) is refused by its location alone: nothing of its text is
// echoed. Values YAML reads but a graph cannot hold (merge keys, collection keys, .inf, .nan,
// 1e309) are refused where they are written.
import { relative } from 'node:path';
import { isCollection, isNode, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { GraphIssue } from './errors.js';
import { graphSchema } from './graph-schema.js';
import { readRegularFile, UnsafeRead } from './safe-fs.js';

export const MAX_ALIASES = 100;
const MAX_BYTES = 1 << 20;
const GRAPH_KEYS = Object.keys(graphSchema.properties);

export interface Location { file: string; line: number; col: number }

export interface LoadedGraph {
  file: string;
  /** The graph as plain data (null when the file could not be parsed). */
  data: unknown;
  issues: GraphIssue[];
  /** Where the value at `path` is written (or the closest enclosing value that is). */
  locate(path: readonly (string | number)[]): Location;
  /** Provenance of values overridden by --set: "path" → "--set a.b=c". */
  overrides: Map<string, string>;
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

export function loadGraphFile(path: string): LoadedGraph {
  const file = displayPath(path);
  let text: string;
  try {
    text = readRegularFile(path, MAX_BYTES).toString('utf8');
  } catch (e) {
    const reason = e instanceof UnsafeRead ? e.reason : (e as Error).message;
    if (/over the limit/.test(reason)) return failed(file, 'too-large', `graph file ${reason}`, 'graph files describe wiring, not data');
    return failed(file, 'unreadable', `cannot read the graph file: ${reason}`, 'give the path of a graph file (a regular file)');
  }
  const loaded = loadGraphText(text, file);
  const d = loaded.data;
  if (!loaded.issues.length && !(d && typeof d === 'object' && !Array.isArray(d) && Object.keys(d).some((k) => GRAPH_KEYS.includes(k)))) {
    return failed(file, 'not-a-graph', 'this is not a ctflow graph file: its top level is not a mapping with name:, nodes: or extends:', 'give the path of a graph file');
  }
  return loaded;
}

export function loadGraphText(text: string, file: string): LoadedGraph {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, customTags: [], schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  const pos = (offset: number): Location => {
    const p = lc.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const issues: GraphIssue[] = [];
  for (const e of doc.errors) {
    const at = pos(e.pos[0]);
    const dup = e.code === 'DUPLICATE_KEY';
    issues.push({
      code: dup ? 'duplicate-key' : 'yaml-syntax', ...at,
      message: dup ? `${firstLine(e.message)} (a node id or key may appear only once)` : firstLine(e.message),
      hint: dup ? 'rename or remove one of the two entries' : 'fix the YAML syntax at this position',
    });
  }
  for (const w of doc.warnings) {
    const tag = w.code === 'TAG_RESOLVE_FAILED';
    issues.push({
      code: tag ? 'custom-tag' : 'yaml-warning', ...pos(w.pos[0]),
      message: tag ? `${firstLine(w.message)}: custom YAML tags are not allowed` : firstLine(w.message),
      hint: tag ? 'remove the !tag; graph files hold plain data only' : 'fix the YAML at this position',
    });
  }
  if (issues.length === 0) issues.push(...unfitValues(doc, pos));
  let data: unknown = null;
  if (issues.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      issues.push({ code: 'alias-limit', ...pos(0), message: firstLine((e as Error).message), hint: `use at most ${MAX_ALIASES} alias expansions; write the values out` });
    }
  }
  return { file, data, issues, locate: (path) => locateIn(doc, path, pos), overrides: new Map() };
}

/** Keys and numbers that YAML reads but a graph cannot hold as written. */
function unfitValues(doc: Document, pos: (o: number) => Location): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const at = (node: { range?: [number, number, number] | null }) => pos(node.range?.[0] ?? 0);
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && key.value === '<<') {
        issues.push({ code: 'merge-key', ...at(key), message: 'YAML merge keys (<<) are not supported in graph files', hint: 'write the values out, or share them with  extends: base.yaml' });
      } else if (isCollection(key)) {
        issues.push({ code: 'collection-key', ...at(key), message: 'a key here is a list or mapping; graph keys are plain names', hint: 'write the key as a plain name' });
      }
    },
    Scalar(_, node) {
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) {
        issues.push({
          code: 'not-finite', ...at(node), message: `${node.source ?? node.value} is not a finite number (YAML reads it as ${node.value})`,
          hint: `write a number between -${Number.MAX_VALUE} and ${Number.MAX_VALUE}; .inf, .nan and overflowing numbers are not allowed`,
        });
      }
    },
  });
  return issues;
}

/** A value from the command line or a sweep that is not a finite number, as a reason. */
export function notFinite(value: unknown): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} is not a finite number`;
  if (value && typeof value === 'object') for (const v of Object.values(value)) if (notFinite(v)) return notFinite(v);
  return undefined;
}

function locateIn(doc: Document, path: readonly (string | number)[], pos: (o: number) => Location): Location {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return pos(node.range[0]);
  }
  return pos(0);
}

function failed(file: string, code: string, message: string, hint: string): LoadedGraph {
  const at: Location = { file, line: 1, col: 1 };
  return { file, data: null, issues: [{ code, ...at, message, hint }], locate: () => at, overrides: new Map() };
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
