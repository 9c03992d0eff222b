// A worker turns a node job into the group the engine runs (engine/group-runner.ts): each node's
// kind from this worker's registry, its key recomputed from the job's key material with this
// worker's own code, and the entries it reads pulled from the shared store. A worker on another
// commit would store wrong outputs under the key, so it refuses the job instead, saying why.
import { CorruptEntry } from '../errors.js';
import type { Available, GroupInput, GroupMember } from '../group.js';
import { implementationHash } from '../impl-hash.js';
import { nodeKey } from '../plan.js';
import type { Registry } from '../registry.js';
import { nodeDef } from '../types.js';
import type { NodeJob } from './jobs.js';
import type { SharedStore } from './store.js';

export async function jobGroup(job: NodeJob, registry: Registry, store: SharedStore, allowCommands = false): Promise<GroupInput> {
  const inputs = new Map<string, Available>();
  for (const [id, key] of Object.entries(job.reads)) {
    const found = await store.pull(key);
    if (!found.hit && found.corrupt) throw new CorruptEntry(key, id, `${found.reason} (in ${store.location}, on a worker)`);
    if (!found.hit) throw new Error(`input "${id}" (${key.slice(0, 12)}) is not in ${store.location} on this worker: --cache must name the shared runs directory the coordinator runs with (its --runs)`);
    inputs.set(id, { dir: store.local.entryDir(key), manifest: found.manifest });
  }
  const members = job.nodes.map((n): GroupMember => {
    const def = registry.get(n.kind);
    if (!def) throw new Error(`this worker has no node kind "${n.kind}" (node "${n.id}"): run workers from the same ctflow version as the coordinator`);
    if (def.program && !allowCommands) throw new Error(`node "${n.id}" runs a program (${def.program(n.material.params as never)}); this worker runs command nodes only when started with --allow-commands`);
    const impl = implementationHash(def.module);
    const why = def.version !== n.material.version ? `version ${def.version} here, ${n.material.version} in the job`
      : impl !== n.material.impl ? "its implementation (the kind's module or a module it imports) differs"
        : nodeKey(n.material) !== n.key ? "the job's key material does not hash to its key" : undefined;
    if (why) throw new Error(`node "${n.id}" (${n.kind}): this worker's code gives another cache key (${why}); run workers from the same ctflow commit as the coordinator`);
    // An unstored member feeds only members of its own job (engine/scale/jobs.ts splitJobs).
    const node = { id: n.id, kind: n.kind, def: nodeDef(def, n.material.params), params: n.material.params, inputs: n.inputs, cache: n.cache, backend: n.backend, seed: n.seed };
    return { node, key: n.key, seedKey: n.seedKey };
  });
  return { members, inputs };
}
