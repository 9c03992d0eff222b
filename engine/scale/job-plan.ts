// A worker turns a node job back into a plan the engine runs (engine/execute.ts runOne): each
// node's kind from this worker's registry, its key recomputed from the job's key material with
// this worker's own code. A worker on another commit would store wrong outputs under the key,
// so it refuses the job instead, saying why.
import { CorruptEntry } from '../errors.js';
import type { Available } from '../execute.js';
import { implementationHash } from '../impl-hash.js';
import { nodeKey, type Plan, type PlannedNode } from '../plan.js';
import type { Registry } from '../registry.js';
import type { GraphNode } from '../validate.js';
import type { NodeJob } from './jobs.js';
import type { SharedStore } from './store.js';
import { nodeDef } from '../types.js';

export interface JobPlan {
  plan: Plan;
  ids: string[];
  available: Map<string, Available>;
}

export async function jobPlan(job: NodeJob, registry: Registry, store: SharedStore, allowCommands = false): Promise<JobPlan> {
  const nodes = new Map<string, PlannedNode>();
  const available = new Map<string, Available>();
  for (const [id, key] of Object.entries(job.reads)) {
    const found = await store.pull(key);
    if (!found.hit && found.corrupt) throw new CorruptEntry(key, id, `${found.reason} (in ${store.location}, on a worker)`);
    if (!found.hit) throw new Error(`input "${id}" (${key.slice(0, 12)}) is not in ${store.location} on this worker: --cache must name the shared runs directory the coordinator runs with (its --runs)`);
    available.set(id, { dir: store.local.entryDir(key), manifest: found.manifest });
    // runOne reads only the key of a node that does not run here.
    nodes.set(id, { node: { id, inputs: {} } as unknown as GraphNode, key, material: undefined as never, seedKey: '', runs: false, reason: 'read from the store' });
  }
  for (const n of job.nodes) {
    const def = registry.get(n.kind);
    if (!def) throw new Error(`this worker has no node kind "${n.kind}" (node "${n.id}"): run workers from the same ctflow version as the coordinator`);
    if (def.program && !allowCommands) throw new Error(`node "${n.id}" runs a program (${def.program(n.material.params as never)}); this worker runs command nodes only when started with --allow-commands`);
    const impl = implementationHash(def.module);
    const why = def.version !== n.material.version ? `version ${def.version} here, ${n.material.version} in the job`
      : impl !== n.material.impl ? "its implementation (the kind's module or a module it imports) differs"
        : nodeKey(n.material) !== n.key ? "the job's key material does not hash to its key" : undefined;
    if (why) throw new Error(`node "${n.id}" (${n.kind}): this worker's code gives another cache key (${why}); run workers from the same ctflow commit as the coordinator`);
    const node: GraphNode = {
      id: n.id, kind: n.kind, def: nodeDef(def, n.material.params), params: n.material.params, inputs: n.inputs, cache: n.cache, backend: n.backend, seed: n.seed,
      locate: () => ({ file: `job ${job.nodes[job.nodes.length - 1].key.slice(0, 12)}`, line: 0, col: 0 }),
    };
    nodes.set(n.id, { node, key: n.key, material: n.material, seedKey: n.seedKey, runs: true, reason: 'a node job' });
  }
  const ids = job.nodes.map((n) => n.id);
  // runOne reads plan.nodes only: the graph is a stand-in holding the job's own nodes.
  const graph = { name: 'job', seed: job.nodes[0].seed, file: '', nodes: new Map(ids.map((id) => [id, nodes.get(id)!.node])), order: ids } as Plan['graph'];
  return { plan: { graph, nodes }, ids, available };
}
