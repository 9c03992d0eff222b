// Sweeps and replicates: a `sweep:` block (a grid over a few paths, or named variants) and
// `replicates: N` expand one graph file into variant graphs. They run as one DAG: the union of
// the variants, in which nodes with equal keys (shared preprocessing, deterministic nodes of
// replicates) are computed once. The number of variants is counted before anything is expanded
// and refused over MAX_VARIANTS; repeated grid values and variant names are refused by name.
import { canonicalJson } from './canonical.js';
import type { GraphIssue } from './errors.js';
import { formatIssue } from './errors.js';
import type { LoadedGraph, Location } from './load.js';
import { MAX_SEED } from './graph-schema.js';
import { fitName, safeName } from './names.js';
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

/** Variants (grid combinations or named variants, times replicates) one sweep may expand to. */
export const MAX_VARIANTS = 1000;

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
  const refused = sizeIssues(loaded, sweep, replicates, baseSeed);
  if (refused.length) return { variants: [], issues: refused };
  const choices = variantsOf(sweep);
  const issues: GraphIssue[] = [];
  const named = new Map<string, Choice>();
  for (const c of choices) {
    const other = named.get(c.name);
    if (other) issues.push({ code: 'sweep-duplicate', ...loaded.locate(['sweep', 'grid']), message: `grid values ${JSON.stringify(other.sets)} and ${JSON.stringify(c.sets)} both make the variant name "${c.name}" (names keep only letters, digits and . _ = , -)`, hint: 'make the values differ in letters or digits' });
    named.set(c.name, c);
  }
  if (issues.length) return { variants: [], issues };
  const variants: Variant[] = [];
  for (const choice of choices) {
    for (let r = 0; r < replicates; r++) {
      const seed = baseSeed + r;
      const clone = structuredClone(data);
      delete clone.sweep;
      delete clone.replicates;
      clone.seed = seed;
      const name = fitName([String(data.name), ...(choice.name === 'base' ? [] : [choice.name]), ...(replicates > 1 ? [`s${seed}`] : [])].join('.'));
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

/** What makes a sweep unfit to expand: too many variants, seeds past 2^53, repeated values or names. */
function sizeIssues(loaded: LoadedGraph, sweep: SweepBlock, replicates: number, seed: number): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const grid = Object.entries(sweep.grid ?? {});
  const choices = sweep.variants ? sweep.variants.length : grid.reduce((n, [, values]) => n * values.length, 1);
  if (choices * replicates > MAX_VARIANTS) {
    const shape = sweep.variants ? `${choices} variants` : `a grid of ${grid.map(([, v]) => v.length).join(' × ')} = ${choices} combinations`;
    issues.push({
      code: 'sweep-size', ...loaded.locate(['sweep']), message: `the sweep expands to ${choices * replicates} variant graphs (${shape}${replicates > 1 ? ` × ${replicates} replicates` : ''}); at most ${MAX_VARIANTS} are allowed`,
      hint: 'narrow the grid (fewer values per path), or split it into several sweep files',
    });
  }
  if (seed + replicates - 1 > MAX_SEED) {
    issues.push({
      code: 'seed-range', ...loaded.locate(['seed']), message: `seed ${seed} + ${replicates - 1} replicates passes 2^53 - 1, where seeds stop being exact (replicates would share one)`,
      hint: `use a seed of at most ${MAX_SEED - (replicates - 1)}`,
    });
  }
  for (const [path, values] of grid) {
    const seen = new Set<string>();
    for (const [i, v] of values.entries()) {
      if (seen.has(canonicalJson(v))) {
        issues.push({ code: 'sweep-duplicate', ...loaded.locate(['sweep', 'grid', path, i]), message: `grid value ${JSON.stringify(v)} of "${path}" appears twice (two variants would be one)`, hint: 'remove the repeated value' });
      }
      seen.add(canonicalJson(v));
    }
  }
  const names = new Map<string, number>();
  for (const [i, v] of (sweep.variants ?? []).entries()) {
    if (names.has(v.name)) issues.push({ code: 'sweep-duplicate', ...loaded.locate(['sweep', 'variants', i, 'name']), message: `variant name "${v.name}" is used twice (its runs would mix)`, hint: 'give each variant its own name' });
    names.set(v.name, i);
  }
  return issues;
}

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
