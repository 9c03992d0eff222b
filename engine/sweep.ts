// Sweeps and replicates: a `sweep:` block (a grid over a few paths, or named variants) and
// `replicates: N` expand one graph file into variant graphs. They run as one DAG: the union of
// the variants, in which nodes with equal keys (shared preprocessing, deterministic nodes of
// replicates) are computed once.
import type { GraphIssue } from './errors.js';
import { formatIssue } from './errors.js';
import type { LoadedGraph, Location } from './load.js';
import { safeName } from './names.js';
import { locateOverrides, paramSchemaAt, setValue } from './overrides.js';
import type { Registry } from './registry.js';
import { didYouMean } from './suggest.js';
import { validateGraph, type Graph, type GraphNode } from './validate.js';

export interface Variant {
  /** The variant's own graph name: <graph>.<variant>[.s<seed>]. */
  name: string;
  /** The variant as the sweep names it ("fraction=0.3", "no-median"; "base" without a sweep). */
  variant: string;
  seed: number;
  /** The values this variant sets, by dotted path. */
  sets: Record<string, unknown>;
  graph: Graph;
}

type Data = Record<string, unknown>;
interface SweepBlock { grid?: Record<string, unknown[]>; variants?: { name: string; set: Record<string, unknown> }[] }

export function hasSweep(loaded: LoadedGraph): boolean {
  const d = loaded.data as Data | null;
  return Boolean(d && typeof d === 'object' && (d.sweep !== undefined || (typeof d.replicates === 'number' && d.replicates > 1)));
}

export function expandSweep(loaded: LoadedGraph, registry: Registry): { variants: Variant[]; issues: GraphIssue[] } {
  const data = loaded.data as Data;
  const sweep = (data.sweep ?? {}) as SweepBlock;
  const replicates = typeof data.replicates === 'number' ? data.replicates : 1;
  const baseSeed = typeof data.seed === 'number' ? data.seed : 0;
  const choices = variantsOf(sweep);
  const issues: GraphIssue[] = [];
  const variants: Variant[] = [];
  for (const choice of choices) {
    for (let r = 0; r < replicates; r++) {
      const seed = baseSeed + r;
      const clone = structuredClone(data);
      delete clone.sweep;
      delete clone.replicates;
      clone.seed = seed;
      const name = [String(data.name), ...(choice.name === 'base' ? [] : [choice.name]), ...(replicates > 1 ? [`s${seed}`] : [])].join('.');
      clone.name = name;
      const where = new Map<string, Location>();
      for (const [dotted, value] of Object.entries(choice.sets)) {
        const at = loaded.locate(choice.at(dotted));
        const r2 = setValue(clone, dotted, value);
        if ('error' in r2) {
          issues.push({ code: 'sweep-path', ...at, message: `sweep sets "${dotted}": ${r2.error}`, hint: r2.hint });
          continue;
        }
        const [node, section, key] = dotted.split('.');
        if (section === 'params' && key && !paramSchemaAt(data, dotted, registry)) {
          const kind = ((data.nodes as Data)[node] as { kind?: string }).kind;
          const known = Object.keys(registry.get(String(kind))?.params ?? {});
          issues.push({ code: 'sweep-path', ...at, node, message: `sweep sets unknown param "${key}" of node "${node}" (${kind})`, hint: didYouMean(key, known) });
        }
        where.set(r2.path.join('.'), at);
      }
      const variantLoaded: LoadedGraph = { ...loaded, data: clone, overrides: new Map() };
      locateOverrides(variantLoaded, where);
      const v = validateGraph(variantLoaded, registry);
      issues.push(...v.issues.map((i) => (choice.name === 'base' ? i : { ...i, message: `variant "${choice.name}": ${i.message}` })));
      if (v.graph) variants.push({ name, variant: choice.name, seed, sets: choice.sets, graph: v.graph });
    }
  }
  return { variants, issues: dedupe(issues) };
}

interface Choice { name: string; sets: Record<string, unknown>; at: (dotted: string) => (string | number)[] }

function variantsOf(sweep: SweepBlock): Choice[] {
  if (sweep.variants) {
    return sweep.variants.map((v, i) => ({ name: v.name, sets: v.set, at: (d) => ['sweep', 'variants', i, 'set', d] }));
  }
  if (sweep.grid) {
    let combos: Record<string, unknown>[] = [{}];
    for (const [path, values] of Object.entries(sweep.grid)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
    return combos.map((sets) => ({
      name: safeName(Object.entries(sets).map(([p, v]) => `${p.split('.').pop()}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',')),
      sets,
      at: (d) => ['sweep', 'grid', d],
    }));
  }
  return [{ name: 'base', sets: {}, at: () => ['sweep'] }];
}

function dedupe(issues: GraphIssue[]): GraphIssue[] {
  const seen = new Map<string, GraphIssue>();
  for (const i of issues) {
    const k = formatIssue({ ...i, message: i.message.replace(/^variant "[^"]*": /, '') });
    if (!seen.has(k)) seen.set(k, i);
  }
  return [...seen.values()];
}

/** One graph holding every variant's nodes as "<variant>/<id>" (equal keys are shared when planned). */
export function combine(variants: Variant[], file: string): Graph {
  const nodes = new Map<string, GraphNode>();
  const order: string[] = [];
  for (const v of variants) {
    for (const id of v.graph.order) {
      const n = v.graph.nodes.get(id)!;
      const inputs = Object.fromEntries(Object.entries(n.inputs).map(([p, r]) => [p, { node: `${v.name}/${r.node}`, port: r.port }]));
      nodes.set(`${v.name}/${id}`, { ...n, id: `${v.name}/${id}`, inputs });
      order.push(`${v.name}/${id}`);
    }
  }
  const first = variants[0].graph;
  return { name: first.name, seed: first.seed, file, nodes, order, source: first.source };
}
