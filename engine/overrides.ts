// Overrides of graph values by dotted path: `--set node.params.key=VALUE` on the command line
// (VALUE read as YAML — "5", "true", "[40, 80]" — then coerced by the param's schema, so
// `prefix=0012` stays the string "0012"), and the values a sweep assigns. A problem in an
// overridden value is reported where the override was written, not in the graph file.
import { parse } from 'yaml';
import type { GraphIssue } from './errors.js';
import { notFinite, type LoadedGraph, type Location } from './load.js';
import type { Registry } from './registry.js';

type Data = Record<string, unknown>;

/** Keys that would reach an object's prototype rather than a value of the graph. */
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Set `dotted` ("node.params.key" or a top-level key) in graph data; returns the data path or why not. */
export function setValue(data: Data, dotted: string, value: unknown): { path: string[] } | { error: string; hint: string } {
  const keys = dotted.split('.');
  const bad = keys.find((k) => PROTO_KEYS.has(k) || k === '');
  if (bad !== undefined) {
    return { error: `"${dotted}" has ${bad ? `the key "${bad}", which names no graph value` : 'an empty part'}`, hint: 'write a path of node id, section and key, e.g. median.params.size' };
  }
  const nodes = (data.nodes ?? {}) as Data;
  if (keys.length > 1 && !Object.hasOwn(nodes, keys[0])) {
    return { error: `no node "${keys[0]}" in the graph`, hint: `the first part of the path is a node id: ${Object.keys(nodes).join(', ')}` };
  }
  const path = keys.length > 1 ? ['nodes', ...keys] : keys;
  let obj = data;
  for (const k of path.slice(0, -1)) {
    if (!Object.hasOwn(obj, k)) obj[k] = {};
    if (typeof obj[k] !== 'object' || obj[k] === null) return { error: `"${k}" is not a mapping`, hint: 'set a key inside a mapping, e.g. node.params.key' };
    obj = obj[k] as Data;
  }
  obj[path[path.length - 1]] = value;
  return { path };
}

/** The param schema a dotted path points at ("node.params.key"), if any. */
export function paramSchemaAt(data: Data, dotted: string, registry: Registry): Record<string, unknown> | undefined {
  const [node, section, key] = dotted.split('.');
  if (section !== 'params' || !key || PROTO_KEYS.has(key) || PROTO_KEYS.has(node)) return undefined;
  const kind = ((data.nodes as Data | undefined)?.[node] as { kind?: string } | undefined)?.kind;
  return kind ? registry.get(kind)?.params[key] : undefined;
}

/** Route locations of overridden paths to where the override was written. */
export function locateOverrides(loaded: LoadedGraph, where: Map<string, Location>): void {
  const locate = loaded.locate;
  loaded.locate = (p) => {
    for (let n = p.length; n > 0; n--) {
      const at = where.get(p.slice(0, n).join('.'));
      if (at) return at;
    }
    return locate(p);
  };
}

export function applySets(loaded: LoadedGraph, sets: readonly string[], registry: Registry): GraphIssue[] {
  const issues: GraphIssue[] = [];
  if (!loaded.data || typeof loaded.data !== 'object') return issues;
  const where = new Map<string, Location>();
  for (const expr of sets) {
    const eq = expr.indexOf('=');
    const at = { file: `--set ${expr}`, line: 1, col: 1 };
    if (eq <= 0) {
      issues.push({ code: 'bad-set', ...at, message: 'expected PATH=VALUE', hint: 'for example --set median.params.size=5' });
      continue;
    }
    const dotted = expr.slice(0, eq);
    const raw = expr.slice(eq + 1);
    let value: unknown;
    try {
      value = parse(raw, { customTags: [], schema: 'core', maxAliasCount: 0, logLevel: 'error' });
    } catch (e) {
      issues.push({ code: 'bad-set', ...at, message: `value is not valid YAML: ${(e as Error).message.split('\n')[0]}`, hint: 'quote it, e.g. --set "node.params.key=\'text\'"' });
      continue;
    }
    const nan = notFinite(value);
    if (nan) {
      issues.push({ code: 'bad-set', ...at, message: `value ${nan}`, hint: 'write a finite number' });
      continue;
    }
    const schema = paramSchemaAt(loaded.data as Data, dotted, registry);
    if (schema?.type === 'string' && typeof value !== 'string' && value !== null) value = raw;
    const r = setValue(loaded.data as Data, dotted, value);
    if ('error' in r) {
      issues.push({ code: 'bad-set', ...at, message: r.error, hint: r.hint });
      continue;
    }
    where.set(r.path.join('.'), at);
    loaded.overrides.set(r.path.join('.'), expr);
  }
  locateOverrides(loaded, where);
  return issues;
}
