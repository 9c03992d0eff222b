// Validate a loaded graph before anything runs: graph schema, each node's params (defaults
// applied), input references, port types, cycles. Every problem is collected and reported.
import type { ErrorObject } from 'ajv';
import type { GraphIssue } from './errors.js';
import { graphSchema, nodeSchema } from './graph-schema.js';
import type { LoadedGraph, Location } from './load.js';
import { NAME_RULE, safeName } from './names.js';
import { checkParams, describeAjvError } from './params.js';
import { describePort, portMismatch, type PortType } from './ports.js';
import type { Registry } from './registry.js';
import { didYouMean, suggest } from './suggest.js';
import { nodeDef, type NodeDef } from './types.js';
import { validator } from './validators.js';

export interface InputRef { node: string; port: string }

export interface GraphNode {
  id: string;
  kind: string;
  def: NodeDef;
  params: Record<string, unknown>;
  /** Input port → upstream output; the i-th node of a variadic port is "<port>#<i>". */
  inputs: Record<string, InputRef>;
  cache: boolean;
  backend: string;
  /** The graph's seed (the key of random kinds includes it). */
  seed: number;
  /** Where a value of this node is written (path below the node, e.g. ["params", "size"]). */
  locate: (path: readonly (string | number)[]) => Location;
}

export interface Graph {
  name: string;
  seed: number;
  file: string;
  nodes: Map<string, GraphNode>;
  /** Node ids in a topological order (inputs first, ties by file order). */
  order: string[];
  source: LoadedGraph;
}

interface RawNode { kind?: unknown; params?: unknown; in?: Record<string, string | string[]>; cache?: boolean; backend?: string }
interface RawGraph { name: string; seed?: number; nodes: Record<string, RawNode> }

const checkGraph = validator(graphSchema);

export function validateGraph(loaded: LoadedGraph, registry: Registry): { graph?: Graph; issues: GraphIssue[] } {
  const issues: GraphIssue[] = [...loaded.issues];
  if (issues.length) return { issues };
  const issue = (path: (string | number)[], code: string, message: string, hint?: string, node?: string) =>
    issues.push({ code, ...loaded.locate(path), node, message, hint });

  const data = structuredClone(loaded.data) as RawGraph;
  const schemaOk: boolean = checkGraph(data);
  if (!schemaOk) {
    for (const e of checkGraph.errors ?? []) schemaIssue(e, issue, data);
    if (!data || typeof data !== 'object' || !data.nodes || typeof data.nodes !== 'object') return { issues };
  }
  const rawNodes = data.nodes as Record<string, RawNode>;
  const nodes = new Map<string, GraphNode>();

  // Kinds and params.
  for (const [id, raw] of Object.entries(rawNodes)) {
    if (!raw || typeof raw !== 'object' || typeof raw.kind !== 'string') continue;
    const def = registry.get(raw.kind);
    if (!def) {
      issue(['nodes', id, 'kind'], 'unknown-kind', `unknown node kind "${raw.kind}"`, didYouMean(raw.kind, registry.kinds()), id);
      continue;
    }
    const { value, errors } = checkParams(def, raw.params);
    for (const e of errors) {
      const key = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
      const path = ['nodes', id, 'params', ...e.instancePath.split('/').filter(Boolean)];
      const hint = key ? didYouMean(key, Object.keys(def.params)) : paramHint(def, e, raw.params);
      issue(path, 'param', `${def.kind}: ${describeAjvError(e, 'params')}`, hint, id);
    }
    const broken = errors.length ? undefined : def.check?.(value);
    if (broken) {
      issue(['nodes', id, 'params', broken.param], 'param', `${def.kind}: params.${broken.param} ${broken.message}`, broken.hint, id);
      continue;
    }
    if (raw.cache === false && def.mode === 'barrier') {
      issue(['nodes', id, 'cache'], 'cache-barrier', `"${def.kind}" is a barrier node: its outputs are always stored`, 'remove "cache: false" from this node', id);
    }
    if (errors.length && def.ports) continue; // its ports come from its params: unknown until they are fixed
    nodes.set(id, {
      id, kind: def.kind, def: nodeDef(def, value), params: value, inputs: {}, cache: raw.cache !== false, backend: raw.backend ?? 'auto', seed: data.seed ?? 0,
      locate: (path) => loaded.locate(['nodes', id, ...path]),
    });
  }

  // Inputs: every declared port wired, references exist, port types match.
  for (const [id, node] of nodes) {
    const raw = rawNodes[id].in ?? {};
    const wired = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
    const declared = node.def.inputs ?? {};
    for (const port of Object.keys(declared)) {
      if (!(port in wired)) {
        issue(['nodes', id], 'missing-input', `${node.kind}: input "${port}" is not connected`, `add  in: { ${port}: <node id> }`, id);
      }
    }
    for (const [port, refs] of Object.entries(wired)) {
      const want = declared[port];
      if (!want) {
        const known = Object.keys(declared);
        issue(['nodes', id, 'in', port], 'unknown-input', `${node.kind} has no input "${port}"`, known.length ? didYouMean(port, known) : `"${node.kind}" takes no inputs`, id);
        continue;
      }
      const many = node.def.mode === 'barrier' && (node.def.variadic ?? []).includes(port);
      if (Array.isArray(refs) && !many) {
        issue(['nodes', id, 'in', port], 'bad-input', `${node.kind}: input "${port}" takes one node, not a list`, `write  ${port}: <node id>`, id);
        continue;
      }
      const list = Array.isArray(refs) ? refs : [refs];
      list.forEach((ref, i) => {
        const at = Array.isArray(refs) ? ['nodes', id, 'in', port, i] : ['nodes', id, 'in', port];
        const resolved = resolveRef(ref, port, rawNodes, nodes);
        if ('error' in resolved) {
          issue(at, 'bad-input', resolved.error, resolved.hint, id);
          return;
        }
        node.inputs[many ? `${port}#${i}` : port] = resolved;
        const from = nodes.get(resolved.node);
        const out = from?.def.outputs[resolved.port];
        if (out) checkPorts(out, want, resolved, port, at, id, issue);
      });
    }
  }

  const cycle = findCycle(nodes);
  if (cycle) {
    issue(['nodes', cycle[0], 'in'], 'cycle', `the graph has a cycle: ${cycle.join(' → ')}`, 'a node cannot depend on its own output; remove one of these inputs', cycle[0]);
  }
  if (issues.length) return { issues };
  return {
    issues,
    graph: { name: data.name, seed: data.seed ?? 0, file: loaded.file, nodes, order: topoOrder(nodes), source: loaded },
  };
}

/** Nodes that run programs, as issues: a session that does not allow commands refuses the graph. */
export function commandIssues(graph: Graph): GraphIssue[] {
  const seen = new Map<string, GraphIssue>();
  for (const node of graph.nodes.values()) {
    if (!node.def.program) continue;
    const at = node.locate(['kind']);
    const id = node.id.split('/').pop()!; // a sweep's combined graph names nodes "<variant>/<id>"
    seen.set(`${at.line}:${at.col}`, {
      code: 'commands-not-allowed', ...at, node: id,
      message: `${node.kind}: runs ${node.def.program(node.params)}, and programs named in a graph run only when allowed`,
      hint: 'if you trust what this graph runs, run it again with --allow-commands',
    });
  }
  return [...seen.values()];
}

type Report = (p: (string | number)[], code: string, message: string, hint?: string, node?: string) => void;

function schemaIssue(e: ErrorObject, issue: Report, data: unknown) {
  const path = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'propertyNames') return; // reported through its inner error, which names the id
  const value = path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);
  if (e.keyword === 'pattern' && path[path.length - 1] === 'name' && typeof value === 'string') {
    const what = path.length === 1 ? 'graph name' : 'variant name';
    issue(path, 'bad-name', `${what} "${value}" is not allowed: names become paths under the runs directory, so they use ${NAME_RULE}`,
      `rename it, e.g. name: ${safeName(value)}`);
    return;
  }
  if (e.propertyName !== undefined) {
    issue([...path, e.propertyName], 'bad-id', `node id "${e.propertyName}" is not allowed`,
      'use lowercase letters, digits, "-" and "_", starting with a letter (ids name cache and report paths)', e.propertyName);
    return;
  }
  const node = path[0] === 'nodes' ? path[1] : undefined;
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const allowed = path.length === 0 ? Object.keys(graphSchema.properties) : path.length === 2 && node ? Object.keys(nodeSchema.properties) : [];
    issue([...path, key], 'schema', describeAjvError(e, ''), allowed.length ? didYouMean(key, allowed) : undefined, node);
    return;
  }
  issue(path, 'schema', describeAjvError(e, ''), schemaHint(e, path), node);
}

function schemaHint(e: ErrorObject, path: string[]): string {
  if (e.keyword === 'pattern' && path[2] === 'in') return 'write "node" or "node.port" (lowercase ids)';
  if (e.keyword === 'required') return `add "${(e.params as { missingProperty: string }).missingProperty}:" here`;
  if (e.keyword === 'minProperties') return 'a graph needs at least one node';
  return 'see schemas/graph.schema.json for the shape of a graph file';
}

function paramHint(def: NodeDef, e: ErrorObject, params: unknown): string | undefined {
  const path = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'enum') {
    const given = path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), params);
    const close = typeof given === 'string' ? suggest(given, (e.params as { allowedValues: unknown[] }).allowedValues.map(String)) : undefined;
    if (close) return `did you mean "${close}"?`;
  }
  const key = path[0];
  const schema = key ? def.params[key] : undefined;
  if (!schema) return e.keyword === 'required' ? 'add it under params' : undefined;
  const desc = schema.description ? `${key}: ${schema.description}` : key;
  return schema.default !== undefined ? `${desc} (default ${JSON.stringify(schema.default)})` : desc;
}

function resolveRef(ref: string, port: string, raw: Record<string, RawNode>, nodes: Map<string, GraphNode>): InputRef | { error: string; hint?: string } {
  const [nodeId, outPort] = ref.split('.');
  if (!(nodeId in raw)) return { error: `input "${port}" refers to unknown node "${nodeId}"`, hint: didYouMean(nodeId, Object.keys(raw)) };
  const from = nodes.get(nodeId);
  if (!from) return { error: `input "${port}" refers to node "${nodeId}", which is itself invalid`, hint: 'fix that node first' };
  const outs = Object.keys(from.def.outputs);
  if (outPort !== undefined) {
    if (!outs.includes(outPort)) return { error: `node "${nodeId}" (${from.kind}) has no output "${outPort}"`, hint: `outputs: ${outs.join(', ')}${suggest(outPort, outs) ? ` — did you mean "${suggest(outPort, outs)}"?` : ''}` };
    return { node: nodeId, port: outPort };
  }
  if (outs.length === 1) return { node: nodeId, port: outs[0] };
  if (outs.includes(port)) return { node: nodeId, port };
  return { error: `node "${nodeId}" (${from.kind}) has several outputs (${outs.join(', ')})`, hint: `write "${nodeId}.<output>"` };
}

function checkPorts(out: PortType, want: PortType, ref: InputRef, port: string, at: (string | number)[], id: string, issue: Report) {
  const why = portMismatch(out, want);
  if (why) issue(at, 'port-type', `input "${port}" needs ${want.name} but "${ref.node}.${ref.port}" gives ${out.name}: ${why}`, `connect a node that outputs ${describePort(want)}`, id);
}

function findCycle(nodes: Map<string, GraphNode>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    stack.push(id);
    for (const ref of Object.values(nodes.get(id)?.inputs ?? {})) {
      if (state.get(ref.node) === 1) return [...stack.slice(stack.indexOf(ref.node)), ref.node].reverse();
      if (!state.has(ref.node) && nodes.has(ref.node)) {
        const c = visit(ref.node);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const id of nodes.keys()) {
    if (!state.has(id)) {
      const c = visit(id);
      if (c) return c;
    }
  }
  return null;
}

function topoOrder(nodes: Map<string, GraphNode>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    done.add(id);
    for (const ref of Object.values(nodes.get(id)!.inputs)) visit(ref.node);
    order.push(id);
  };
  for (const id of nodes.keys()) visit(id);
  return order;
}
