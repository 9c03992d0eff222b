// What a run report is built from: the run record, the graph as it ran (graph.json), and the
// stored outputs its nodes reference, read back as plain rows. Port types come from the
// registry, so a section finds its tables by type (every `history` output), not by node name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from '../arrow.js';
import type { Registry } from '../registry.js';
import { listRuns, recordDir, type RunRecord } from '../runs.js';
import type { Store } from '../store.js';
import type { NodeDef } from '../types.js';

export interface ResolvedNode {
  kind: string;
  params: Record<string, unknown>;
  /** Input port → "node.port". */
  in: Record<string, string>;
  cache: boolean;
}

export interface ResolvedGraph { name: string; seed: number; file: string; nodes: Record<string, ResolvedNode> }

export interface PortRef { node: string; port: string }

export type Row = Record<string, unknown>;

export class RunData {
  private computed?: Map<string, number>;

  constructor(readonly runsDir: string, readonly record: RunRecord, readonly graph: ResolvedGraph, readonly store: Store, private readonly registry: Registry) {}

  static load(runsDir: string, record: RunRecord, store: Store, registry: Registry): RunData {
    const file = join(recordDir(runsDir, record.id), 'graph.json');
    if (!existsSync(file)) throw new Error(`run ${record.id} has no graph.json in ${recordDir(runsDir, record.id)}; rerun its graph to record it again`);
    return new RunData(runsDir, record, JSON.parse(readFileSync(file, 'utf8')) as ResolvedGraph, store, registry);
  }

  /** How long the run that computed the entry `key` took for it (for cache hits), when recorded. */
  computedMs(key: string): number | undefined {
    if (!this.computed) {
      this.computed = new Map();
      for (const r of listRuns(this.runsDir)) for (const n of Object.values(r.nodes)) if (n.status === 'ran' && n.ms !== undefined) this.computed.set(n.key, n.ms);
    }
    return this.computed.get(key);
  }

  /** Outputs of port type `type` (e.g. "history"), in run order. */
  outputsOfType(type: string): PortRef[] {
    return Object.keys(this.record.nodes).flatMap((node) => {
      const outputs = this.registry.get(this.record.nodes[node].kind)?.outputs ?? {};
      return Object.entries(outputs).filter(([, t]) => t.name === type).map(([port]) => ({ node, port }));
    });
  }

  /** The definition of a node's kind, when it is registered. */
  def(node: string): NodeDef | undefined {
    return this.registry.get(this.record.nodes[node]?.kind ?? '');
  }

  /** A node's params as it ran. */
  params(node: string): Record<string, unknown> {
    return this.graph.nodes[node]?.params ?? {};
  }

  /** Port type name of a node's output, when its kind is registered. */
  typeOf(ref: PortRef): string | undefined {
    return this.def(ref.node)?.outputs[ref.port]?.name;
  }

  /** The output an input of `node` reads ("in: { areas: lung.areas }" → lung.areas). */
  input(node: string, port: string): PortRef | undefined {
    const ref = this.graph.nodes[node]?.in[port];
    if (!ref) return undefined;
    const dot = ref.lastIndexOf('.');
    return { node: ref.slice(0, dot), port: ref.slice(dot + 1) };
  }

  /** Rows per output port of a stored entry, from its manifest (cache hits record none). */
  storedRows(key: string): Record<string, number> | undefined {
    const found = this.store.lookup(key);
    if (!found.hit) return undefined;
    return found.manifest.rows ?? Object.fromEntries(Object.entries(found.manifest.outputs).map(([p, m]) => [p, m.rows]));
  }

  /** Whether the output's cache entry is present (cache: false nodes have none). */
  stored(ref: PortRef): boolean {
    const key = this.record.nodes[ref.node]?.key;
    return key !== undefined && this.store.lookup(key).hit;
  }

  /**
   * Calls `each` with the stored batches `from` … `to` − 1 of an output (clamped), each verified
   * as it is read; false when the output is not stored.
   */
  async batches(ref: PortRef, each: (batch: RecordBatch, index: number) => void | Promise<void>, from = 0, to = Infinity): Promise<boolean> {
    const key = this.record.nodes[ref.node]?.key;
    const found = key === undefined ? undefined : this.store.lookup(key);
    const has = found?.hit && (found.manifest.partitions ? ref.port in (found.manifest.rows ?? {}) : Boolean(found.manifest.outputs[ref.port]));
    if (!has) return false;
    const reader = await this.store.reader(this.store.entryDir(key!), found.manifest, ref.port);
    try {
      for (let i = from; i < Math.min(to, reader.numBatches); i++) await each(await reader.batch(i), i);
    } finally {
      await reader.close();
    }
    return true;
  }

  /** The named columns of an output's first `limit` batches as rows (undefined when not stored). */
  async rows(ref: PortRef, columns: string[], limit = Infinity): Promise<Row[] | undefined> {
    const rows: Row[] = [];
    const ok = await this.batches(ref, (b) => { rows.push(...batchRows(b, columns)); }, 0, limit);
    return ok ? rows : undefined;
  }
}

export function batchRows(b: RecordBatch, columns: string[]): Row[] {
  const cols = columns.map((c) => [c, b.getChild(c)] as const);
  return Array.from({ length: b.numRows }, (_, i) => Object.fromEntries(cols.map(([c, v]) => [c, v ? v.get(i) : undefined])));
}
