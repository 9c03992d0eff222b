// A worker turns a node job into the group the engine runs (engine/group-runner.ts): each node's
// kind from this worker's registry, its key recomputed from the job's key material with this
// worker's own code, and the entries it reads pulled from the shared store. A worker on another
// commit would store wrong outputs under the key, so it refuses the job instead, saying why. A
// shard's scan keys are recomputed too (a source's from its files, a stream node's from its
// inputs' keys of the scan), and each scan's entry looked up: a shard run again computes only the
// scans still missing.
import { CorruptEntry } from '../errors.js';
import type { Available, GroupInput, GroupMember } from '../group.js';
import { implementationHash } from '../impl-hash.js';
import { FileSet } from '../file-set.js';
import { sourcePartKeys, streamPartKeys, type Part } from '../partitions.js';
import { nodeKey, type KeyMaterial } from '../plan.js';
import type { Registry } from '../registry.js';
import { nodeDef } from '../types.js';
import type { NodeJob, WirePart } from './jobs.js';
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
    return { node, key: n.key, seedKey: n.seedKey, ...(n.parts ? { parts: n.parts.map(revive) } : {}) };
  });
  for (const [k, m] of members.entries()) if (m.parts) await checkParts(m, job.nodes[k].material, members, inputs, store);
  return { members, inputs };
}

/** A part as planning keeps it, from the plain data of its job. */
function revive({ fileSet, ...p }: WirePart): Part {
  return fileSet ? { ...p, fileSet: FileSet.fromJson(fileSet) } : p;
}

/** Recompute a shard member's scan keys with this worker's code (one key template for the member), and look each scan's entry up. */
async function checkParts(m: GroupMember, material: KeyMaterial, members: GroupMember[], inputs: Map<string, Available>, store: SharedStore): Promise<void> {
  const sourceKey = m.node.def.mode === 'source' ? sourcePartKeys(material, m.node.def.scanSetParams ?? []) : undefined;
  const streamKey = sourceKey ? undefined : streamPartKeys(material, Object.keys(m.node.inputs));
  for (const p of m.parts!) {
    let key: string;
    if (sourceKey) key = sourceKey(p.scan, p.fileSet ?? []);
    else {
      const partInputs: Record<string, string> = {};
      for (const [port, ref] of Object.entries(m.node.inputs)) {
        const up = members.find((u) => u.node.id === ref.node)?.parts ?? inputs.get(ref.node)?.manifest.partitions;
        const k = up?.find((u) => u.scan === p.scan)?.key;
        if (!k) throw new Error(`node "${m.node.id}": its input "${ref.node}" has no scan ${p.scan} in this shard or in its entry`);
        partInputs[port] = `${k}.${ref.port}`;
      }
      key = streamKey!(p.scan, partInputs);
    }
    if (key !== p.key) throw new Error(`node "${m.node.id}" (${m.node.kind}): this worker's code gives another key for scan ${p.scan}; run workers from the same ctflow commit as the coordinator`);
    if (m.node.cache) p.lookup = await store.pull(p.key);
  }
}
