// Node jobs: what the coordinator enqueues. A job is one stored node plus the uncached nodes that
// feed it through uncached links (a fused chain: streams do not cross machines); its id is that
// stored node's cache key, so identical work from concurrent runs is one job. A job carries keys,
// key material and wiring only; its inputs are entries of the shared store. Nodes cached per scan
// are not split here: their jobs are shards of scans (engine/scale/shards.ts).
import { sha256 } from '../canonical.js';
import { GraphError, NodeFailure, type GraphIssue } from '../errors.js';
import type { NodeOutcome } from '../group-runner.js';
import type { NodeStats } from '../stream-group.js';
import type { KeyMaterial, Plan } from '../plan.js';
import type { FileSetJson } from '../file-set.js';
import type { PartitionRef } from '../store.js';
import type { InputRef } from '../validate.js';

/** A scan of a shard's node as its job carries it (engine/partitions.ts Part, less its lookup, its files as JSON). */
export type WirePart = PartitionRef & { fileSet?: FileSetJson };

export interface JobNode {
  id: string;
  kind: string;
  key: string;
  /** Everything the key hashes: params after defaults, version, implementation hash, inputs. */
  material: KeyMaterial;
  /** What its random generators are seeded from (engine/plan.ts). */
  seedKey: string;
  seed: number;
  backend: string;
  cache: boolean;
  inputs: Record<string, InputRef>;
  /** A shard's: this node's scans in the shard (a source's with its files, as plain data, to check them after reading). */
  parts?: WirePart[];
}

export interface NodeJob {
  format: 1;
  /** The job's nodes in run order; the last one is the stored node the job is named after. */
  nodes: JobNode[];
  /** Upstream nodes read from the store: id → key. */
  reads: Record<string, string>;
  /** Scans in flight in a stream job. */
  concurrency: number;
  /** The run's --backend (a node's own `backend:` wins over it). */
  backend: string;
  /** A shard of scans (engine/scale/shards.ts): it stores its nodes' scan entries, not their own. */
  shard?: boolean;
}

/** What a finished (or failed) job reports, by node key (runs sharing a job name nodes differently). */
export interface JobResult {
  outcomes: Record<string, WireOutcome>;
  /** An input entry was found corrupt: the coordinator evicts it and plans again. */
  corrupt?: { key: string; node: string; reason: string };
  /** The job failed before any node ran, for a reason of the machine it ran on (Slurm jobs). */
  error?: string;
}

export interface WireOutcome {
  status: 'ran' | 'cached' | 'failed' | 'skipped' | 'not-needed';
  stats?: NodeStats;
  notes: Record<string, unknown>;
  error?: string;
}

/**
 * Split the running nodes of a plan into jobs. Throws a GraphError naming each unstored node
 * whose output would have to cross machines (it feeds a barrier, or is a barrier itself).
 */
export function splitJobs(plan: Plan, executor = 'bullmq'): string[][] {
  const running = plan.graph.order.filter((id) => plan.nodes.get(id)!.runs && !plan.nodes.get(id)!.parts);
  const issues: GraphIssue[] = [];
  for (const id of running) {
    const p = plan.nodes.get(id)!;
    if (p.node.cache) continue;
    const barrierUser = running.find((c) => plan.nodes.get(c)!.node.def.mode === 'barrier' && Object.values(plan.nodes.get(c)!.node.inputs).some((r) => r.node === id));
    if (p.node.def.mode === 'barrier' || barrierUser) {
      issues.push({
        code: 'scale-out', ...p.node.locate([]), node: id,
        message: `"${id}" is not stored (cache: false) but ${barrierUser ? `the barrier "${barrierUser}" reads it` : 'it is a barrier'}; on --executor ${executor} data crosses machines only through the store`,
        hint: `remove "cache: false" from "${id}", or run with --executor local`,
      });
    }
  }
  if (issues.length) throw new GraphError(issues);
  return running.filter((id) => plan.nodes.get(id)!.node.cache).map((sink) => {
    const members = new Set<string>([sink]);
    const visit = (id: string) => {
      for (const ref of Object.values(plan.nodes.get(id)!.node.inputs)) {
        if (plan.nodes.get(ref.node)!.node.cache || members.has(ref.node)) continue;
        members.add(ref.node);
        visit(ref.node);
      }
    };
    visit(sink);
    return running.filter((id) => members.has(id));
  });
}

/** The job that runs `ids` (as split above). */
export function nodeJob(plan: Plan, ids: string[], concurrency: number, backend: string): NodeJob {
  const reads: Record<string, string> = {};
  const nodes = ids.map((id): JobNode => {
    const p = plan.nodes.get(id)!;
    for (const ref of Object.values(p.node.inputs)) if (!ids.includes(ref.node)) reads[ref.node] = plan.nodes.get(ref.node)!.key;
    return { id, kind: p.node.kind, key: p.key, material: p.material, seedKey: p.seedKey, seed: p.node.seed, backend: p.node.backend, cache: p.node.cache, inputs: p.node.inputs };
  });
  return { format: 1, nodes, reads, concurrency, backend };
}

/** Per-node outcomes of a job's result; a node absent from it was stored apart by another run sharing the job. */
export function outcomesOf(plan: Plan, ids: string[], result: JobResult): Map<string, NodeOutcome> {
  return new Map(ids.map((id): [string, NodeOutcome] => {
    const w = result.outcomes[plan.nodes.get(id)!.key];
    if (!w) return [id, { status: 'cached', notes: {} }];
    const error = w.error === undefined ? undefined : w.status === 'failed' ? new NodeFailure(id, new Error(w.error)) : new Error(w.error);
    return [id, { status: w.status, stats: w.stats, notes: w.notes, ...(error ? { error } : {}) }];
  }));
}

/**
 * A shard's id, its job's name: the hash of its stored nodes' scan keys, so that runs needing the
 * same scans of the same nodes share one job. Its outcomes are named by each node's first scan key
 * in it (a node's own key depends on the whole scan set, which two runs sharing a shard may not share).
 */
export function shardId(job: NodeJob): string {
  return sha256(job.nodes.filter((n) => n.cache).flatMap((n) => (n.parts ?? []).map((p) => p.key)).join('\n'));
}
