// --set PATH=VALUE on the command line: PATH is "node.params.key" (or a top-level key such as
// "seed"); VALUE is read as YAML ("5", "true", "[40, 80]", "reflect"). Problems in a value that
// came from --set are reported at the --set argument, not in the file.
import { parse } from 'yaml';
import type { GraphIssue } from './errors.js';
import type { LoadedGraph } from './load.js';

export function applySets(loaded: LoadedGraph, sets: readonly string[]): GraphIssue[] {
  const issues: GraphIssue[] = [];
  if (!loaded.data || typeof loaded.data !== 'object') return issues;
  for (const expr of sets) {
    const eq = expr.indexOf('=');
    const at = { file: `--set ${expr}`, line: 1, col: 1 };
    if (eq <= 0) {
      issues.push({ code: 'bad-set', ...at, message: 'expected PATH=VALUE', hint: 'for example --set median.params.size=5' });
      continue;
    }
    const keys = expr.slice(0, eq).split('.');
    let value: unknown;
    try {
      value = parse(expr.slice(eq + 1), { customTags: [], schema: 'core', maxAliasCount: 0 });
    } catch (e) {
      issues.push({ code: 'bad-set', ...at, message: `value is not valid YAML: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    if (keys.length > 1 && !((loaded.data as { nodes?: Record<string, unknown> }).nodes ?? {})[keys[0]]) {
      issues.push({ code: 'bad-set', ...at, message: `no node "${keys[0]}" in the graph`, hint: 'the first part of PATH is a node id' });
      continue;
    }
    const path = keys.length > 1 ? ['nodes', ...keys] : keys;
    let obj = loaded.data as Record<string, unknown>;
    for (const k of path.slice(0, -1)) {
      if (obj[k] === undefined) obj[k] = {};
      if (typeof obj[k] !== 'object' || obj[k] === null) {
        issues.push({ code: 'bad-set', ...at, message: `"${k}" is not a mapping`, hint: 'set a key inside a mapping, e.g. node.params.key=value' });
        obj = {};
        break;
      }
      obj = obj[k] as Record<string, unknown>;
    }
    obj[path[path.length - 1]] = value;
    loaded.overrides.set(path.join('.'), expr);
  }
  const locate = loaded.locate;
  loaded.locate = (p) => {
    for (let n = p.length; n > 0; n--) {
      const expr = loaded.overrides.get(p.slice(0, n).join('.'));
      if (expr) return { file: `--set ${expr}`, line: 1, col: 1 };
    }
    return locate(p);
  };
  return issues;
}
