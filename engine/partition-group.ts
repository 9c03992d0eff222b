// Run a group of nodes cached per scan (engine/partitions.ts): scan by scan, each member whose
// entry of that scan is missing computes it (a source producing that scan alone, ctx.scans; a
// stream node from its inputs' batches of that scan, computed here or read from their entries)
// and stores it as an entry of its own the moment it is done, so a crash loses only the scans in
// flight. Once every scan is stored, each member's own entry (its scans in order, the rows and
// what it noted, merged) is committed. A member that fails on one scan stops there, and so do
// the members it feeds; its scans already stored stay. Scans run `concurrency` at a time.
// A shard (engine/scale/shards.ts) is such a group over some of the scans: it stores their
// entries only, and its coordinator commits the members' own entries once every shard is done.
import { statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RecordBatch } from './arrow.js';
import { ChecksumError } from './arrow-io.js';
import { CorruptEntry, NodeFailure, UpstreamFailed } from './errors.js';
import type { GroupInput, GroupMember } from './group.js';
import { runGroup, type GroupEnv, type GroupResult } from './group-runner.js';
import { makeContext } from './node-context.js';
import { corruptKey } from './partition-reader.js';
import { filesChangedSince, SCAN_FILES, type Part } from './partitions.js';
import { columnsOf, describePort, portMismatch, portType } from './ports.js';
import { stepEnded } from './step-end.js';
import { ARTIFACTS, type Manifest, type PartitionRef, type Store } from './store.js';
import type { NodeStats } from './stream-group.js';
import type { Outputs } from './types.js';

/** Run a group: per scan when its members are partitioned, else as one pass (engine/group-runner.ts). */
export function runAnyGroup(group: GroupInput, env: GroupEnv): Promise<GroupResult> {
  return group.members.some((m) => m.parts) ? runPartitionedGroup(group, env) : runGroup(group, env);
}

/** Batches of one scan by port. */
type ScanOutputs = Record<string, RecordBatch[]>;

interface State {
  g: GroupMember;
  parts: Part[];
  stats: NodeStats;
  /** The first failure; the member computes no further scan. */
  dead?: NodeFailure;
}

/** `shard`: store the scans' entries only, not the members' own (their coordinator does, commitPartitioned). */
export async function runPartitionedGroup(group: GroupInput, env: GroupEnv, shard = false): Promise<GroupResult> {
  const ids = group.members.map((g) => g.node.id);
  const scratch = join(env.scratchDir, ids[0]);
  const states: State[] = group.members.map((g) => {
    if (!g.parts) throw new Error(`node "${g.node.id}" is in a partitioned group but is not cached per scan`);
    return { g, parts: g.parts, stats: { ms: 0, rows: {}, batches: 0 } };
  });
  const byId = new Map(states.map((s) => [s.g.node.id, s]));
  const scans = states[0].parts.length;
  for (const s of states) {
    if (s.parts.length !== scans) throw new Error(`nodes "${ids[0]}" and "${s.g.node.id}" of one group have different scans`);
    env.events.started(s.g.node.id, s.stats.rows);
  }
  const result: GroupResult = { outcomes: new Map(), entries: new Map(), temporary: [], failures: [] };
  try {
    const todo = [...Array(scans).keys()].filter((i) => states.some((s) => missing(s, i)));
    let done = 0;
    let next = 0;
    let thrown: { e: unknown } | undefined;
    const worker = async () => {
      // After a throw no scan starts, and the group ends only when the scans in flight have.
      while (!thrown && next < todo.length) {
        const i = todo[next++];
        try {
          env.signal.throwIfAborted();
          await runScan(i, states, byId, group, env, scratch);
        } catch (e) {
          thrown ??= { e };
          return;
        }
        done++;
        for (const s of states) env.events.progress(s.g.node.id, done, todo.length, s.parts[i].scan);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(env.concurrency, todo.length)) }, worker));
    if (thrown) throw thrown.e;
    for (const s of states) {
      const id = s.g.node.id;
      const dead = s.dead ?? upstreamDead(s, byId);
      if (dead) {
        const upstream = dead.cause instanceof UpstreamFailed;
        result.outcomes.set(id, { status: upstream ? 'skipped' : 'failed', stats: s.stats, notes: {}, error: dead });
        if (!upstream) result.failures.push(dead);
        env.events.finished(id, false);
        continue;
      }
      if (!s.g.node.cache || shard) {
        result.outcomes.set(id, { status: 'ran', stats: s.stats, notes: {} });
        env.events.finished(id, true, s.stats.rows);
        continue;
      }
      const manifest = await commitPartitioned(env.store, id, s.g.node.kind, s.g.key, s.parts);
      result.entries.set(id, { dir: env.store.entryDir(s.g.key), manifest });
      result.outcomes.set(id, { status: 'ran', stats: s.stats, notes: manifest.notes ?? {} });
      env.events.finished(id, true, s.stats.rows);
    }
    await rm(scratch, { recursive: true, force: true });
    return result;
  } catch (e) {
    for (const id of ids) if (!result.outcomes.has(id)) env.events.finished(id, false);
    throw e;
  }
}

function stored(p: Part): boolean {
  return Boolean(p.lookup?.hit);
}

/** A stored member's entry of scan `i` is missing: the scan must run. */
function missing(s: State, i: number): boolean {
  return s.g.node.cache && !stored(s.parts[i]);
}

/** When its batches of scan `i` are wanted, the member computes them (an unstored one always). */
function computes(s: State, i: number): boolean {
  return !s.g.node.cache || !stored(s.parts[i]);
}

/** A member's first failed input within the group, as its own (skipped) failure. */
function upstreamDead(s: State, byId: Map<string, State>): NodeFailure | undefined {
  for (const ref of Object.values(s.g.node.inputs)) {
    const up = byId.get(ref.node);
    if (up && (up.dead || upstreamDead(up, byId))) return new NodeFailure(s.g.node.id, new UpstreamFailed(ref.node));
  }
  return undefined;
}

/** Compute scan `i` of every member whose entry of it is missing. */
async function runScan(i: number, states: State[], byId: Map<string, State>, group: GroupInput, env: GroupEnv, scratch: string): Promise<void> {
  const values = new Map<string, ScanOutputs>();
  // A member's batches are needed when it is computed, or a member computed after it reads them.
  const wanted = new Set<string>();
  for (const s of [...states].reverse()) {
    if (missing(s, i) || wanted.has(s.g.node.id)) {
      wanted.add(s.g.node.id);
      if (computes(s, i)) for (const ref of Object.values(s.g.node.inputs)) wanted.add(ref.node);
    }
  }
  // A member's batches are dropped once the last member computed after it has read them (its
  // entry, if stored, is written by then): a scan in flight holds a stage and the next, not every
  // stage of the chain at once (issue 23).
  const lastReader = new Map<string, number>();
  states.forEach((s, k) => {
    if (wanted.has(s.g.node.id) && computes(s, i)) for (const ref of Object.values(s.g.node.inputs)) lastReader.set(ref.node, k);
  });
  // the batches sources computed: their step ends once every member has been computed (step-end.ts)
  const sourced: RecordBatch[] = [];
  for (const [k, s] of states.entries()) {
    for (const id of values.keys()) if ((lastReader.get(id) ?? -1) < k) values.delete(id);
    const id = s.g.node.id;
    if (!wanted.has(id) || s.dead || upstreamDead(s, byId)) continue;
    const part = s.parts[i];
    if (!computes(s, i)) {
      values.set(id, await readPart(env, id, part));
      continue;
    }
    try {
      const out = await computePart(s, i, values, group, env, scratch);
      values.set(id, out);
      if (s.g.node.def.mode === 'source') for (const batches of Object.values(out)) sourced.push(...batches);
    } catch (e) {
      if (e instanceof CorruptEntry || !(e instanceof NodeFailure)) throw e;
      s.dead ??= e;
    }
  }
  values.clear();
  for (const b of sourced) stepEnded(b);
}

/** The batches of one stored scan entry, by port. */
async function readPart(env: GroupEnv, node: string, part: Part): Promise<ScanOutputs> {
  const found = env.store.lookup(part.key);
  if (!found.hit) throw new CorruptEntry(part.key, node, `the entry of scan ${part.scan}: ${found.reason}`);
  return readEntry(env, node, part.key, found.manifest);
}

async function readEntry(env: GroupEnv, node: string, key: string, manifest: Manifest): Promise<ScanOutputs> {
  const out: ScanOutputs = {};
  for (const port of Object.keys(manifest.outputs)) {
    const reader = await env.store.reader(env.store.entryDir(key), manifest, port);
    try {
      out[port] = [];
      for await (const b of reader) out[port].push(b);
    } catch (e) {
      if (e instanceof ChecksumError) throw new CorruptEntry(corruptKey(e, key), node, e.message);
      throw e;
    } finally {
      await reader.close();
    }
  }
  return out;
}

/** Compute and store one member's entry of scan `i`. */
async function computePart(s: State, i: number, values: Map<string, ScanOutputs>, group: GroupInput, env: GroupEnv, scratch: string): Promise<ScanOutputs> {
  const part = s.parts[i];
  const { node } = s.g;
  const notes: Record<string, unknown> = {};
  const entry = node.cache ? await env.store.begin(part.key, node.kind) : undefined;
  const ctx = {
    ...makeContext({
      member: { ...s.g, key: part.key }, scratchRoot: scratch, checkpointRoot: env.checkpointDir, artifacts: join(entry?.dir ?? join(scratch, node.id), ARTIFACTS),
      backend: env.backend, threads: 1, events: { log: env.events.log, progress: () => {} }, notes, signal: env.signal, stored: Boolean(entry),
    }),
    scans: [part.scan],
    ...(part.fileSet ? { scanFiles: part.fileSet.files() } : {}),
  };
  const out: ScanOutputs = Object.fromEntries(Object.keys(node.def.outputs).map((p) => [p, []]));
  const t0 = performance.now();
  try {
    try {
      const def = node.def;
      if (def.mode === 'source') {
        for await (const o of def.run(ctx)) add(s, out, o);
        const changed = await filesChangedSince(part);
        if (changed.length) {
          throw new Error(`its files changed while they were read (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''} under ${part.fileSet!.base}), ` +
            'so it is not stored under the key planned from their old contents; rerun once the data is stable');
        }
      } else if (def.mode === 'stream') {
        const inputs = await scanInputs(s, i, values, group, env);
        const counts = new Set(Object.values(inputs).map((b) => b.length));
        if (counts.size > 1) throw new Error(`its inputs have different numbers of batches for scan ${part.scan}`);
        const n = counts.size ? [...counts][0] : 0;
        for (let j = 0; j < n; j++) add(s, out, await def.run(ctx, Object.fromEntries(Object.entries(inputs).map(([port, bs]) => [port, bs[j]]))));
      } else throw new Error(`a ${def.mode} node cannot be cached per scan`);
    } catch (e) {
      if (e instanceof CorruptEntry || e instanceof NodeFailure) throw e;
      throw new NodeFailure(node.id, new Error(`scan ${part.scan}: ${(e as Error).message}`));
    }
    for (const [port, batches] of Object.entries(out)) {
      const w = await entry?.port(port, node.def.outputs[port].schema);
      for (const b of batches) await w?.write(b);
      s.stats.rows[port] = (s.stats.rows[port] ?? 0) + batches.reduce((a, b) => a + b.numRows, 0);
    }
    s.stats.batches += Math.max(0, ...Object.values(out).map((b) => b.length));
    if (!entry) return out;
    // A source's files and their hashes, to say later which file of a changed scan differs: beside
    // the manifest, not in it, so that looking entries up stays cheap.
    if (part.fileSet) await writeFile(join(entry.dir, SCAN_FILES), JSON.stringify(part.fileSet.entries()));
    entry.describe({ scan: { id: part.scan, ...(Object.keys(notes).length ? { notes } : {}) } });
    part.lookup = { hit: true, manifest: await entry.commit() };
    await rm(ctx.checkpoints, { recursive: true, force: true });
    return out;
  } catch (e) {
    await entry?.abort();
    throw e;
  } finally {
    s.stats.ms += performance.now() - t0;
  }
}

/** A stream member's inputs of scan `i`, by port: from members of the group or the inputs' entries of that scan. */
async function scanInputs(s: State, i: number, values: Map<string, ScanOutputs>, group: GroupInput, env: GroupEnv): Promise<ScanOutputs> {
  const inputs: ScanOutputs = {};
  for (const [port, ref] of Object.entries(s.g.node.inputs)) {
    let got = values.get(ref.node);
    if (!got) {
      const scan = s.parts[i].scan;
      const part = group.inputs.get(ref.node)?.manifest.partitions?.find((p) => p.scan === scan);
      if (!part) throw new Error(`input "${port}" from "${ref.node}" has no entry of scan ${s.parts[i].scan}`);
      got = await readPart(env, ref.node, { ...part });
      values.set(ref.node, got);
    }
    if (!got[ref.port]) throw new Error(`input "${port}" got no batches from "${ref.node}.${ref.port}"`);
    inputs[port] = got[ref.port];
  }
  return inputs;
}

/** Append a step's batches, checked against the ports the member declares. */
function add(s: State, out: ScanOutputs, o: Outputs): void {
  for (const [port, batch] of Object.entries(o)) {
    const want = s.g.node.def.outputs[port];
    if (!want) throw new Error(`emitted undeclared output "${port}"`);
    const why = portMismatch(portType(port, columnsOf(batch.schema), ''), want);
    if (why) throw new Error(`output "${port}" does not match ${describePort(want)}: ${why}`);
    out[port].push(batch);
  }
}

/** A partitioned node's own entry (`key`): its scans in order, rows by port and notes merged over every scan. */
export async function commitPartitioned(store: Store, node: string, kind: string, key: string, parts: readonly PartitionRef[]): Promise<Manifest> {
  const rows: Record<string, number> = {};
  const notes: Record<string, unknown> = {};
  const partitions: PartitionRef[] = [];
  for (const part of parts) {
    const found = store.lookup(part.key);
    if (!found.hit) throw new CorruptEntry(part.key, node, `the entry of scan ${part.scan}: ${found.reason}`);
    const sizes: Record<string, number> = { 'manifest.json': statSync(join(store.entryDir(part.key), 'manifest.json')).size };
    for (const [port, pm] of Object.entries(found.manifest.outputs)) {
      rows[port] = (rows[port] ?? 0) + pm.rows;
      sizes[pm.file] = pm.bytes;
    }
    for (const [rel, a] of Object.entries(found.manifest.artifacts ?? {})) sizes[join(ARTIFACTS, rel)] = a.bytes;
    partitions.push({ scan: part.scan, key: part.key, sizes });
    mergeNotes(notes, found.manifest.scan?.notes);
  }
  const entry = await store.begin(key, kind);
  try {
    entry.describe({ partitions, rows, ...(Object.keys(notes).length ? { notes } : {}) });
    return await entry.commit();
  } catch (e) {
    await entry.abort();
    throw e;
  }
}

/** Lists are joined, counts added; anything else keeps its last value. */
export function mergeNotes(into: Record<string, unknown>, add: Record<string, unknown> | undefined): void {
  for (const [k, v] of Object.entries(add ?? {})) {
    const had = into[k];
    if (Array.isArray(v)) into[k] = [...(Array.isArray(had) ? had : []), ...v];
    else if (typeof v === 'number' && typeof had === 'number') into[k] = had + v;
    else into[k] = v;
  }
}
