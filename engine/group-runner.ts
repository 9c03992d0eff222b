// Run one group: open an entry for each member that needs one, run the members (a stream group in
// lockstep, one barrier in this process, or a model barrier in a child process), then seal or
// commit each finished member's entry. Its input is narrow (engine/group.ts: the members and the
// entries they read), so the local scheduler (engine/execute.ts) and a scale-out worker
// (engine/scale/worker.ts) run a group with the same code. Rules: a member whose stream
// upstream failed is skipped (UpstreamFailed), not failed; anything thrown aborts every entry the
// group opened; a temporary entry (an unstored node read by another group) is left to the caller.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runInChild, type ChildInput, type ChildJob } from './child.js';
import { NodeFailure, UpstreamFailed } from './errors.js';
import type { Available, GroupInput, GroupMember } from './group.js';
import { metricsSummaries } from './metrics.js';
import { makeContext, type NodeEvents } from './node-context.js';
import { runBarrier } from './run-barrier.js';
import type { CoreBudget, Slots } from './slots.js';
import { ARTIFACTS, type EntryWriter, type Store } from './store.js';
import { runStreamGroup, type External, type Member, type NodeStats } from './stream-group.js';

export interface NodeOutcome {
  status: 'ran' | 'cached' | 'failed' | 'skipped' | 'not-needed';
  stats?: NodeStats;
  notes: Record<string, unknown>;
  error?: Error;
}

export interface GroupEvents extends NodeEvents {
  /** `rows`: the rows written per output port so far, updated in place as the node writes. */
  started(node: string, rows?: Record<string, number>): void;
  /** `rows`: rows written per output port, when it succeeded. */
  finished(node: string, ok: boolean, rows?: Record<string, number>): void;
}

/** Where and how a group runs: the same for every group of one execution. */
export interface GroupEnv {
  store: Store;
  /** The group gets `<scratchDir>/<first member>`, removed when it succeeds. */
  scratchDir: string;
  /** Root of per-key checkpoint directories (kept across crashed runs). */
  checkpointDir: string;
  /** Scans in flight in a stream group. */
  concurrency: number;
  backend: string;
  events: GroupEvents;
  signal: AbortSignal;
  /** Run heavy (model) barrier nodes in this process instead of a child process. */
  inProcess?: boolean;
  /** The bound on child processes, shared by the groups of one execution. */
  children: Slots;
  /** The cores model nodes share (--threads), by the groups of one execution. */
  cores: CoreBudget;
}

export interface GroupResult {
  outcomes: Map<string, NodeOutcome>;
  /** The entries the group wrote (stored or temporary), by member id: what later groups read. */
  entries: Map<string, Available>;
  /** Temporary entries: the caller removes them when the run is over. */
  temporary: EntryWriter[];
  /** Members that failed while the rest of the group finished (skipped members not included). */
  failures: NodeFailure[];
}

export async function runGroup(group: GroupInput, env: GroupEnv): Promise<GroupResult> {
  const ids = group.members.map((g) => g.node.id);
  const scratch = join(env.scratchDir, ids[0]);
  const members: Member[] = [];
  const writers = new Map<string, EntryWriter>();
  const external = new Map<string, External>();
  const notes = new Map<string, Record<string, unknown>>();
  const result: GroupResult = { outcomes: new Map(), entries: new Map(), temporary: [], failures: [] };
  try {
    for (const g of group.members) {
      const n: Record<string, unknown> = {};
      notes.set(g.node.id, n);
      const entry = g.node.cache || g.readOutside ? await env.store.begin(g.key, g.node.kind, metricsSummaries(g.node.def)) : undefined;
      const artifacts = entry ? join(entry.dir, ARTIFACTS) : join(scratch, g.node.id, ARTIFACTS);
      const ctx = makeContext({ member: g, scratchRoot: scratch, checkpointRoot: env.checkpointDir, artifacts, backend: env.backend, threads: 1, events: env.events, notes: n, signal: env.signal, stored: Boolean(entry) });
      const m: Member = { p: g, ctx, writers: new Map(), stats: { ms: 0, rows: {}, batches: 0 } };
      if (entry) {
        writers.set(g.node.id, entry);
        if (!inChild(g, env)) {
          for (const [port, type] of Object.entries(g.node.def.outputs)) m.writers.set(port, await entry.port(port, type.schema));
        }
      }
      members.push(m);
      env.events.started(g.node.id, m.stats.rows);
    }
    for (const m of members) {
      for (const ref of Object.values(m.p.node.inputs)) {
        if (ids.includes(ref.node)) continue;
        const a = inputEntry(group, m.p, ref.node);
        external.set(`${ref.node}.${ref.port}`, { reader: await env.store.reader(a.dir, a.manifest, ref.port), node: ref.node, key: a.manifest.key });
      }
    }
    let dead = new Map<string, NodeFailure>();
    if (members.length === 1 && inChild(members[0].p, env)) {
      await withCores(members[0], env, () => runChild(members[0], group, writers.get(members[0].p.node.id)!, notes.get(members[0].p.node.id)!, env));
    } else if (members.length === 1 && members[0].p.node.def.mode === 'barrier') {
      await withCores(members[0], env, () => runBarrier(members[0], external));
    } else {
      dead = await runStreamGroup(members, external, env.concurrency);
    }
    for (const m of members) {
      const id = m.p.node.id;
      const entry = writers.get(id);
      const failure = dead.get(id);
      if (failure) {
        await entry?.abort();
        const upstream = failure.cause instanceof UpstreamFailed;
        result.outcomes.set(id, { status: upstream ? 'skipped' : 'failed', stats: m.stats, notes: notes.get(id)!, error: failure });
        if (!upstream) result.failures.push(failure);
        env.events.finished(id, false);
        continue;
      }
      if (entry) {
        const manifest = m.p.node.cache ? await entry.commit() : await entry.seal();
        if (!m.p.node.cache) result.temporary.push(entry);
        result.entries.set(id, { dir: m.p.node.cache ? env.store.entryDir(m.p.key) : entry.dir, manifest });
      }
      await rm(m.ctx.checkpoints, { recursive: true, force: true });
      result.outcomes.set(id, { status: 'ran', stats: m.stats, notes: notes.get(id)! });
      env.events.finished(id, true, m.stats.rows);
    }
    await rm(scratch, { recursive: true, force: true });
    return result;
  } catch (e) {
    for (const entry of writers.values()) await entry.abort();
    for (const id of ids) env.events.finished(id, false);
    throw e;
  } finally {
    for (const x of external.values()) await (x.reader as { close?: () => Promise<void> }).close?.();
  }
}

/** A model barrier in a child process: it writes its port files into the entry; the entry adopts them. */
async function runChild(m: Member, group: GroupInput, entry: EntryWriter, notes: Record<string, unknown>, env: GroupEnv): Promise<void> {
  const inputs: Record<string, ChildInput> = {};
  for (const [port, ref] of Object.entries(m.p.node.inputs)) {
    const a = inputEntry(group, m.p, ref.node);
    inputs[port] = a.manifest.partitions
      ? { node: ref.node, key: a.manifest.key, parts: await env.store.partFiles(a.manifest, ref.port) }
      : { path: join(a.dir, a.manifest.outputs[ref.port].file), manifest: a.manifest.outputs[ref.port], node: ref.node, key: a.manifest.key };
  }
  const { node, key, seedKey } = m.p;
  const job: ChildJob = {
    module: node.def.module, kind: node.kind, id: node.id, key, seedKey, params: node.params,
    seed: node.seed, backend: m.ctx.backend, threads: m.ctx.threads, scratch: m.ctx.scratch, checkpoints: m.ctx.checkpoints, artifacts: m.ctx.artifacts, inputs, outDir: entry.dir,
  };
  const done = await env.children.run(() => runInChild(job, env.events, notes, env.signal));
  for (const [port, pm] of Object.entries(done.outputs)) entry.adopt(port, pm);
  m.stats = done.stats;
}

/**
 * Run a model barrier with its share of the core budget: a kind that declares `threads` takes up
 * to all of it, or to what its `threads` function asks (ctx.threads: what it got), another heavy
 * kind one core; a light barrier takes none.
 */
async function withCores(m: Member, env: GroupEnv, fn: () => Promise<void>): Promise<void> {
  const def = m.p.node.def;
  if (!def.heavy) return fn();
  const want = typeof def.threads === 'function' ? Math.max(1, def.threads(m.p.node.params as never)) : def.threads ? env.cores.total : 1;
  await env.cores.run(want, (threads) => {
    m.ctx = { ...m.ctx, threads };
    return fn();
  });
}

function inputEntry(group: GroupInput, member: GroupMember, upstream: string): Available {
  const a = group.inputs.get(upstream);
  if (!a) throw new Error(`node "${member.node.id}" reads "${upstream}", whose entry was not given to its group`);
  return a;
}

function inChild(g: GroupMember, env: GroupEnv): boolean {
  return g.node.def.mode === 'barrier' && Boolean(g.node.def.heavy) && !env.inProcess;
}
