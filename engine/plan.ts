// Plan a run: the key of every node, which entries are cached, which nodes must run and the
// first reason each one runs (cheapest checks first; no data is read, only manifests).
import { canonicalJson, hashCanonical, sha256 } from './canonical.js';
import { GraphError } from './errors.js';
import type { FileFingerprints } from './fingerprint.js';
import { implementationHash } from './impl-hash.js';
import { commonDir, under, lookupParts, partsReason, scanSetChange, scansDigest, perScanNodes, sourceParts, streamParts, type Part } from './partitions.js';
import type { Lookup, Store } from './store.js';
import type { Graph, GraphNode } from './validate.js';

/**
 * Bumped when the engine changes what a node computes from the same material: 2 seeds random
 * generators from the seed key (below) instead of the key.
 */
export const ENGINE_FORMAT = 2;

export interface KeyMaterial {
  /** ENGINE_FORMAT (absent in keys of format 1). */
  engine?: number;
  kind: string;
  version: number;
  impl: string;
  params: Record<string, unknown>;
  /** input port → "<upstream key>.<port>" */
  inputs: Record<string, string>;
  seed?: number;
  files?: string;
  /** A partitioned node's: the hash of its scans' keys in order (engine/partitions.ts). */
  scans?: string;
}

export interface PlannedNode {
  node: GraphNode;
  key: string;
  material: KeyMaterial;
  /**
   * What the node's random generators are seeded from: its key material without implementation
   * hashes, with the inputs' seed keys in place of their keys. A code change that leaves results
   * alone (a refactor, an edited engine module every kind imports) reruns the node but draws the
   * same random numbers, so it reproduces its earlier figures; equal keys still mean equal seed keys.
   */
  seedKey: string;
  lookup?: Lookup;
  runs: boolean;
  /** Why it runs, or why not ("cached"). */
  reason: string;
  /** Another running node with the same key: its entry is computed once and shared. */
  sameAs?: string;
  /** A node cached per scan (engine/partitions.ts): its scans in order, each with its own key. */
  parts?: Part[];
}

export interface Plan {
  graph: Graph;
  nodes: Map<string, PlannedNode>;
}

/** What an earlier run recorded of a node, to explain what changed since. */
export interface PriorNode { key: string; material: KeyMaterial }

export interface PlanOptions {
  store: Store;
  fingerprints: FileFingerprints;
  prior?: Map<string, PriorNode>;
  /**
   * Cache sources with a `scans` hook, and the stream nodes they feed, per scan (default true; local
   * and remote runs alike). Off: every node whole, the anchor benches and tests compare with.
   */
  perScan?: boolean;
  /** Implementation hash override (tests pin it for the golden key). */
  implHash?: (node: GraphNode) => string;
}

export function nodeKey(m: KeyMaterial): string {
  return hashCanonical(m);
}

export async function planGraph(graph: Graph, opts: PlanOptions): Promise<Plan> {
  const nodes = new Map<string, PlannedNode>();
  const perScan = opts.perScan === false ? new Set<string>() : perScanNodes(graph);
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const def = node.def;
    const inputs: Record<string, string> = {};
    for (const [port, ref] of Object.entries(node.inputs)) {
      inputs[port] = `${nodes.get(ref.node)!.key}.${ref.port}`;
    }
    const material: KeyMaterial = {
      engine: ENGINE_FORMAT,
      kind: def.kind,
      version: def.version,
      impl: opts.implHash ? opts.implHash(node) : implementationHash(def.module),
      params: node.params,
      inputs,
    };
    if (def.random) material.seed = node.seed;
    let parts: Part[] | undefined;
    if (perScan.has(id) && def.mode === 'source') parts = await sourceParts(node, material, opts.fingerprints);
    else if (perScan.has(id)) {
      parts = streamParts(node, material, Object.fromEntries(Object.entries(node.inputs).map(([port, ref]) => [port, { parts: nodes.get(ref.node)!.parts, port: ref.port, node: ref.node }])));
    }
    if (parts) material.scans = scansDigest(parts);
    else if (def.inputFiles) {
      let files: string[];
      try {
        files = await def.inputFiles(node.params as never);
      } catch (e) {
        const at = node.locate(['params']);
        throw new GraphError([{ code: 'input-files', ...at, node: id, message: `${def.kind}: cannot list its input files: ${(e as Error).message}`, hint: 'check the path params of this node (relative paths are from the working directory)' }]);
      }
      const base = commonDir(files);
      material.files = await opts.fingerprints.of(files, under(base));
    }
    const key = nodeKey(material);
    // Made when first read (a node that runs, or one fed by it): a no-op never hashes a partitioned
    // source's files a second time for it.
    const seedKey = once(() => {
      const seedInputs = Object.fromEntries(Object.entries(node.inputs).map(([port, ref]) => [port, `${nodes.get(ref.node)!.seedKey}.${ref.port}`]));
      return nodeKey(seedMaterial(material, seedInputs, def.mode === 'source' ? parts : undefined));
    });
    const lookup = node.cache ? opts.store.lookup(key) : undefined;
    if (parts && node.cache && !lookup?.hit) lookupParts(opts.store, parts);
    const planned = { node, key, material, lookup, runs: false, reason: 'cached', parts } as PlannedNode;
    Object.defineProperty(planned, 'seedKey', { get: seedKey, enumerable: true });
    nodes.set(id, planned);
  }
  decideRuns(graph, nodes, opts.prior, opts.store);
  shareEqualKeys(graph, nodes);
  return { graph, nodes };
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** Two stored nodes with one key (identical work) run once; the later one reuses the entry. */
function shareEqualKeys(graph: Graph, nodes: Map<string, PlannedNode>) {
  const first = new Map<string, string>();
  for (const id of graph.order) {
    const p = nodes.get(id)!;
    if (!p.runs || !p.node.cache) continue;
    const owner = first.get(p.key);
    if (owner === undefined) {
      first.set(p.key, id);
      continue;
    }
    p.runs = false;
    p.sameAs = owner;
    p.reason = `same key as "${owner}": computed once, shared`;
  }
}

/** Stored nodes run when their entry is missing; unstored nodes when a running node needs them. */
function decideRuns(graph: Graph, nodes: Map<string, PlannedNode>, prior: Map<string, PriorNode> | undefined, store: Store) {
  const consumers = new Map<string, string[]>();
  for (const id of graph.order) {
    for (const ref of Object.values(graph.nodes.get(id)!.inputs)) {
      consumers.set(ref.node, [...(consumers.get(ref.node) ?? []), id]);
    }
  }
  for (const id of [...graph.order].reverse()) {
    const p = nodes.get(id)!;
    if (p.node.cache) {
      if (p.lookup?.hit) continue;
      p.runs = true;
      p.reason = whyMiss(p, prior?.get(id), store, nodes);
    } else {
      const needers = (consumers.get(id) ?? []).filter((c) => nodes.get(c)!.runs);
      p.runs = needers.length > 0;
      p.reason = p.runs ? `not stored (cache: false); needed by ${needers.join(', ')}` : 'not stored (cache: false); nothing downstream runs';
    }
  }
}

function whyMiss(p: PlannedNode, before: PriorNode | undefined, store: Store, nodes: Map<string, PlannedNode>): string {
  const miss = p.lookup && !p.lookup.hit ? p.lookup : undefined;
  if (p.parts) {
    const general = before && before.key !== p.key && whyChanged(p, before, store, nodes);
    // What changed besides the scans (a param, the code) recomputes every scan: say that first.
    const setParam = /^param (\S+) changed/.exec(general || '')?.[1];
    const onlySet = setParam !== undefined && p.node.def.mode === 'source' && (p.node.def.scanSetParams ?? []).includes(setParam.split('.')[0]);
    if (general && !onlySet && !/^input "|^input files|^key changed|^set of scans/.test(general)) return general;
    const was = before ? store.manifest(before.key) : undefined;
    return partsReason(store, p.parts, was?.hit ? was.manifest : undefined);
  }
  if (miss?.corrupt) return `cache entry corrupt: ${miss.reason}`;
  if (!before) return 'no cache entry (no earlier run of this node)';
  return whyChanged(p, before, store, nodes);
}

function whyChanged(p: PlannedNode, before: PriorNode, store: Store, nodes: Map<string, PlannedNode>): string {
  if (before.key === p.key) return 'cache entry missing (removed, or the earlier run did not finish it)';
  const a = before.material;
  const b = p.material;
  if (a.engine !== b.engine) return `engine format changed ${a.engine ?? 1} → ${b.engine ?? 1} (how nodes draw random numbers)`;
  if (a.kind !== b.kind) return `kind changed ${a.kind} → ${b.kind}`;
  if (a.version !== b.version) return `version bumped ${a.version} → ${b.version}`;
  if (a.impl !== b.impl) return `implementation changed (the kind's module or a module it imports)`;
  const param = firstDifference(a.params, b.params);
  if (param) {
    const at = p.node.locate(['params', ...param.path]);
    return `param ${param.path.join('.')} changed ${show(param.old)} → ${show(param.new)} at ${at.file}:${at.line}:${at.col}`;
  }
  for (const port of new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])) {
    if (a.inputs[port] !== b.inputs[port]) {
      const ref = p.node.inputs[port];
      if (!ref) return `input "${port}" removed`;
      const scans = ref && nodes.get(ref.node)!.parts;
      const was = scans && a.inputs[port] ? store.manifest(a.inputs[port].slice(0, a.inputs[port].lastIndexOf('.'))) : undefined;
      if (scans && was?.hit && was.manifest.partitions) return `${scanSetChange(was.manifest, scans)} (input "${port}" from "${ref.node}.${ref.port}")`;
      return `input "${port}" changed (from "${ref.node}.${ref.port}")`;
    }
  }
  if (a.seed !== b.seed) return `seed changed ${a.seed} → ${b.seed}`;
  if (a.files !== b.files) return 'input files changed';
  if (a.scans !== b.scans) return 'set of scans changed';
  return 'key changed';
}

interface Difference { path: string[]; old: unknown; new: unknown }

function firstDifference(a: unknown, b: unknown, path: string[] = []): Difference | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
      const d = firstDifference(ao[k], bo[k], [...path, k]);
      if (d) return d;
    }
  }
  return { path, old: a, new: b };
}

function show(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

/**
 * What a node's seed key hashes: its key material without implementation hashes, with its inputs'
 * seed keys. A partitioned node's scan digest is made of keys, which carry implementation hashes:
 * it is left out (a stream node's data identity comes through its inputs' seed keys), and a
 * partitioned source stands for its data by its scans' files alone.
 */
function seedMaterial(material: KeyMaterial, seedInputs: Record<string, string>, ofSource: Part[] | undefined): KeyMaterial {
  const { scans: _scans, ...rest } = material;
  const out: KeyMaterial = { ...rest, impl: '', inputs: seedInputs };
  if (ofSource?.some((p) => p.fileSet?.length)) out.files = sha256(ofSource.map((p) => `${p.scan}\t${JSON.stringify(p.fileSet?.entries() ?? [])}`).join('\n'));
  return out;
}
