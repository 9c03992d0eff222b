// Execute a plan: running nodes are split into groups (connected sources and stream nodes run
// in lockstep; each barrier alone); a group starts when the groups it reads from have finished,
// so independent branches run at the same time. A failing group stops its dependents only;
// every finished node keeps its cache entry.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { CorruptEntry, NodeFailure } from './errors.js';
import { Leases } from './lease.js';
import { metricsPorts } from './metrics.js';
import { makeContext, type NodeEvents } from './node-context.js';
import type { Plan, PlannedNode } from './plan.js';
import { portReaders } from './readers.js';
import { Slots } from './slots.js';
import { runInChild, type ChildInput, type ChildJob } from './child.js';
import { ARTIFACTS, type EntryWriter, type Manifest, type Store } from './store.js';
import { runStreamGroup, type External, type Member, type NodeStats } from './stream-group.js';
import type { NodeContext } from './types.js';

export interface ExecuteOptions {
  store: Store;
  scratchDir: string;
  /** Root of per-key checkpoint directories (kept across crashed runs). */
  checkpointDir: string;
  concurrency: number;
  backend: string;
  events: NodeEvents & { started(node: string): void; finished(node: string, ok: boolean): void };
  signal?: AbortSignal;
  /** Run heavy (model) barrier nodes in this process instead of a child process. */
  inProcess?: boolean;
  /** At most this many child processes at once (default: the number of CPU cores). */
  maxChildren?: number;
  /** Run the groups on other machines (engine/scale) instead of in this process. */
  remote?: RemoteExecutor;
}

/** Where groups run when not here: how the plan splits into jobs, and running one job. */
export interface RemoteExecutor {
  groups(plan: Plan): string[][];
  run(plan: Plan, ids: string[], opts: ExecuteOptions): Promise<Map<string, NodeOutcome>>;
}

export interface NodeOutcome {
  status: 'ran' | 'cached' | 'failed' | 'skipped' | 'not-needed';
  stats?: NodeStats;
  notes: Record<string, unknown>;
  error?: Error;
}

export interface ExecuteResult {
  outcomes: Map<string, NodeOutcome>;
  failures: NodeFailure[];
  corrupt: CorruptEntry[];
  /** Another process stored entries this run was waiting for: plan again and reuse them. */
  replan?: boolean;
}

export interface Available { dir: string; manifest: Manifest }

export async function execute(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const signal = opts.signal ?? new AbortController().signal;
  const outcomes = new Map<string, NodeOutcome>();
  const available = new Map<string, Available>();
  for (const [id, p] of plan.nodes) {
    if (!p.runs) {
      outcomes.set(id, { status: p.lookup?.hit ? 'cached' : 'not-needed', notes: {} });
      if (p.lookup?.hit) available.set(id, { dir: opts.store.entryDir(p.key), manifest: p.lookup.manifest });
    }
  }
  const groups = opts.remote ? opts.remote.groups(plan) : makeGroups(plan);
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
  const aliases = new Map<string, string[]>();
  for (const [id, p] of plan.nodes) {
    if (!p.sameAs) continue;
    groupOf.set(id, groupOf.get(p.sameAs)!);
    aliases.set(p.sameAs, [...(aliases.get(p.sameAs) ?? []), id]);
    outcomes.set(id, { status: 'skipped', notes: {}, error: new Error(`"${p.sameAs}" did not finish`) });
  }
  const failures: NodeFailure[] = [];
  const corrupt: CorruptEntry[] = [];
  const temporary: EntryWriter[] = [];
  const done = new Map<number, Promise<void>>();

  const leases = new Leases(join(opts.store.cacheDir, 'leases'));
  let replan = false;
  /**
   * Take the leases of the group's stored keys (all or none). While another process holds one,
   * wait; if meanwhile it stored every entry the group would write, reuse them (true: done).
   */
  const leased = async (ids: string[]): Promise<boolean> => {
    const keys = ids.filter((id) => plan.nodes.get(id)!.node.cache).map((id) => plan.nodes.get(id)!.key);
    for (;;) {
      const got = keys.filter((k) => leases.tryAcquire(k));
      if (got.length === keys.length) return false;
      got.forEach((k) => leases.release(k));
      const busy = keys.find((k) => !got.includes(k))!;
      const who = leases.holder(busy);
      opts.events.log(ids[0], `waiting: another process (${who?.host ?? '?'} pid ${who?.pid ?? '?'}) is computing ${busy.slice(0, 12)}`);
      await leases.waitFree(busy);
      if (keys.some((k) => opts.store.lookup(k).hit)) {
        // Some of this group's entries now exist: plan again, so that they are read, not redone.
        replan = true;
        for (const id of ids) outcomes.set(id, { status: 'skipped', notes: {}, error: new Error('replanned: another process stored part of its work') });
        return true;
      }
    }
  };

  const runGroup = (gi: number): Promise<void> => {
    const existing = done.get(gi);
    if (existing) return existing;
    const promise = (async () => {
      const ids = groups[gi];
      const deps = new Set<number>();
      const needs = new Set<string>();
      for (const id of ids) {
        for (const ref of Object.values(plan.nodes.get(id)!.node.inputs)) {
          if (ids.includes(ref.node)) continue;
          needs.add(ref.node);
          const g = groupOf.get(ref.node);
          if (g !== undefined) deps.add(g);
        }
      }
      await Promise.all([...deps].map(runGroup));
      const missing = [...needs].filter((n) => !available.has(n));
      if (missing.length || signal.aborted) {
        const why = new Error(signal.aborted ? 'run aborted' : `input node${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not finish`);
        for (const id of ids) outcomes.set(id, { status: 'skipped', notes: {}, error: why });
        return;
      }
      if (!opts.remote && await leased(ids)) return; // remote jobs are deduplicated by their key
      try {
        failures.push(...await (opts.remote ? runRemote(plan, ids, available, opts, outcomes) : runOne(plan, ids, available, opts, outcomes, temporary, signal)));
        for (const id of ids) {
          for (const alias of aliases.get(id) ?? []) {
            if (!available.has(id)) continue;
            available.set(alias, available.get(id)!);
            outcomes.set(alias, { status: 'cached', notes: {} });
          }
        }
      } catch (e) {
        if (e instanceof CorruptEntry) corrupt.push(e);
        else failures.push(e instanceof NodeFailure ? e : new NodeFailure(ids[0], e));
        const culprit = e instanceof NodeFailure ? e.node : undefined;
        for (const id of ids) {
          const failed = id === culprit || (!culprit && id === ids[0]);
          outcomes.set(id, { status: failed ? 'failed' : 'skipped', notes: {}, error: e as Error });
        }
      } finally {
        for (const id of ids) leases.release(plan.nodes.get(id)!.key);
      }
    })();
    done.set(gi, promise);
    return promise;
  };
  try {
    await Promise.all(groups.map((_, i) => runGroup(i)));
  } finally {
    leases.releaseAll();
  }
  for (const t of temporary) await t.abort();
  return { outcomes, failures, corrupt, replan };
}

/** Run one group elsewhere; its stored outputs become available from the store. */
async function runRemote(plan: Plan, ids: string[], available: Map<string, Available>, opts: ExecuteOptions, outcomes: Map<string, NodeOutcome>): Promise<NodeFailure[]> {
  const failures: NodeFailure[] = [];
  for (const [id, o] of await opts.remote!.run(plan, ids, opts)) {
    const p = plan.nodes.get(id)!;
    outcomes.set(id, o);
    if (o.status === 'failed') failures.push(o.error instanceof NodeFailure ? o.error : new NodeFailure(id, o.error));
    const found = p.node.cache && (o.status === 'ran' || o.status === 'cached') ? opts.store.lookup(p.key) : undefined;
    if (found?.hit) available.set(id, { dir: opts.store.entryDir(p.key), manifest: found.manifest });
  }
  return failures;
}

/** Run one group here; returns the failures of members that failed while the rest finished. */
export async function runOne(plan: Plan, ids: string[], available: Map<string, Available>, opts: ExecuteOptions, outcomes: Map<string, NodeOutcome>, temporary: EntryWriter[], signal: AbortSignal): Promise<NodeFailure[]> {
  const scratch = join(opts.scratchDir, ids[0]);
  const members: Member[] = [];
  const entries = new Map<string, EntryWriter>();
  const external = new Map<string, External>();
  const notes = new Map<string, Record<string, unknown>>();
  try {
    for (const id of ids) {
      const p = plan.nodes.get(id)!;
      const n: Record<string, unknown> = {};
      notes.set(id, n);
      const entry = p.node.cache || neededOutside(plan, id, ids) ? await opts.store.begin(p.key, p.node.kind, metricsPorts(p.node.def)) : undefined;
      const artifacts = entry ? join(entry.dir, ARTIFACTS) : join(scratch, id, ARTIFACTS);
      const ctx = makeContext(p, p.node.seed, scratch, opts.checkpointDir, artifacts, opts.backend, opts.events, n, signal);
      const m: Member = { p, ctx, writers: new Map(), stats: { ms: 0, rows: {}, batches: 0 } };
      if (entry) {
        entries.set(id, entry);
        if (!inChild(p, opts)) {
          for (const [port, type] of Object.entries(p.node.def.outputs)) m.writers.set(port, await entry.port(port, type.schema));
        }
      }
      members.push(m);
      opts.events.started(id);
    }
    for (const m of members) {
      for (const ref of Object.values(m.p.node.inputs)) {
        if (ids.includes(ref.node)) continue;
        const a = available.get(ref.node)!;
        const up = plan.nodes.get(ref.node)!;
        external.set(`${ref.node}.${ref.port}`, { reader: await opts.store.reader(a.dir, a.manifest, ref.port), node: ref.node, key: up.key });
      }
    }
    let dead = new Map<string, NodeFailure>();
    if (members.length === 1 && inChild(members[0].p, opts)) {
      const m = members[0];
      const entry = entries.get(m.p.node.id)!;
      const inputs: Record<string, ChildInput> = {};
      for (const [port, ref] of Object.entries(m.p.node.inputs)) {
        const a = available.get(ref.node)!;
        inputs[port] = { path: join(a.dir, a.manifest.outputs[ref.port].file), manifest: a.manifest.outputs[ref.port], node: ref.node, key: a.manifest.key };
      }
      const job: ChildJob = {
        module: m.p.node.def.module, kind: m.p.node.kind, id: m.p.node.id, key: m.p.key, seedKey: m.p.seedKey, params: m.p.node.params,
        seed: m.p.node.seed, backend: m.ctx.backend, scratch: m.ctx.scratch, checkpoints: m.ctx.checkpoints, artifacts: m.ctx.artifacts, inputs, outDir: entry.dir,
      };
      const done = await children(opts).run(() => runInChild(job, opts.events, notes.get(m.p.node.id)!, signal));
      for (const [port, pm] of Object.entries(done.outputs)) entry.adopt(port, pm);
      m.stats = done.stats;
    } else if (members.length === 1 && members[0].p.node.def.mode === 'barrier') {
      await runBarrier(members[0], external);
    } else {
      dead = await runStreamGroup(members, external, opts.concurrency);
    }
    for (const m of members) {
      const id = m.p.node.id;
      const entry = entries.get(id);
      const failure = dead.get(id);
      if (failure) {
        await entry?.abort();
        const upstream = failure.cause instanceof Error && failure.cause.message.startsWith('upstream node');
        outcomes.set(id, { status: upstream ? 'skipped' : 'failed', stats: m.stats, notes: notes.get(id)!, error: failure });
        opts.events.finished(id, false);
        continue;
      }
      if (entry) {
        const manifest = m.p.node.cache ? await entry.commit() : await entry.seal();
        if (!m.p.node.cache) temporary.push(entry);
        available.set(id, { dir: m.p.node.cache ? opts.store.entryDir(m.p.key) : entry.dir, manifest });
      }
      await rm(m.ctx.checkpoints, { recursive: true, force: true });
      outcomes.set(id, { status: 'ran', stats: m.stats, notes: notes.get(id)! });
      opts.events.finished(id, true);
    }
    await rm(scratch, { recursive: true, force: true });
    return [...dead.values()].filter((f) => !(f.cause instanceof Error && f.cause.message.startsWith('upstream node')));
  } catch (e) {
    for (const entry of entries.values()) await entry.abort();
    for (const id of ids) opts.events.finished(id, false);
    throw e;
  } finally {
    for (const x of external.values()) await (x.reader as { close?: () => Promise<void> }).close?.();
  }
}

const childLimits = new WeakMap<ExecuteOptions, Slots>();

/** The bound on child processes of one execution. */
function children(opts: ExecuteOptions): Slots {
  let l = childLimits.get(opts);
  if (!l) childLimits.set(opts, (l = new Slots(opts.maxChildren ?? availableParallelism())));
  return l;
}

function inChild(p: PlannedNode, opts: ExecuteOptions): boolean {
  return p.node.def.mode === 'barrier' && Boolean(p.node.def.heavy) && !opts.inProcess;
}

async function runBarrier(m: Member, external: Map<string, External>) {
  const def = m.p.node.def;
  if (def.mode !== 'barrier') throw new Error('unreachable');
  const byInput: Record<string, External['reader']> = {};
  for (const [port, ref] of Object.entries(m.p.node.inputs)) byInput[port] = guarded(external.get(`${ref.node}.${ref.port}`)!);
  const readers = portReaders(byInput);
  const t0 = performance.now();
  try {
    for await (const out of def.run(m.ctx as NodeContext, readers)) {
      for (const [port, batch] of Object.entries(out)) {
        if (!def.outputs[port]) throw new Error(`emitted undeclared output "${port}"`);
        await m.writers.get(port)!.write(batch);
        m.stats.rows[port] = (m.stats.rows[port] ?? 0) + batch.numRows;
      }
      m.stats.batches++;
    }
  } catch (e) {
    if (e instanceof CorruptEntry) throw e;
    throw new NodeFailure(m.p.node.id, e);
  } finally {
    m.stats.ms += performance.now() - t0;
  }
}

/** Checksum failures of an input are reported as a corrupt upstream entry, not a node bug. */
function guarded(x: External): External['reader'] {
  const wrap = async (i: number) => {
    try {
      return await x.reader.batch(i);
    } catch (e) {
      const { ChecksumError } = await import('./arrow-io.js');
      if (e instanceof ChecksumError) throw new CorruptEntry(x.key, x.node, e.message);
      throw e;
    }
  };
  return {
    numBatches: x.reader.numBatches,
    numRows: x.reader.numRows,
    batch: wrap,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < x.reader.numBatches; i++) yield await wrap(i);
    },
  };
}

/** An unstored node read by a node of another group is materialised for this run only. */
function neededOutside(plan: Plan, id: string, group: string[]): boolean {
  for (const [other, p] of plan.nodes) {
    if (group.includes(other) || !p.runs) continue;
    if (Object.values(p.node.inputs).some((r) => r.node === id)) return true;
  }
  return false;
}

/**
 * Connected components of running sources and stream nodes; each barrier is its own group.
 * Nodes are joined only at equal "barrier depth" (running barriers upstream), so a stream node
 * fed by a barrier (an embedder reading a trained model) never joins the group the barrier
 * itself reads from: group dependencies stay acyclic.
 */
function makeGroups(plan: Plan): string[][] {
  const running = plan.graph.order.filter((id) => plan.nodes.get(id)!.runs);
  const depth = new Map<string, number>();
  for (const id of running) {
    const p = plan.nodes.get(id)!;
    const up = Object.values(p.node.inputs).map((r) => depth.get(r.node) ?? 0);
    depth.set(id, Math.max(0, ...up) + (p.node.def.mode === 'barrier' ? 1 : 0));
  }
  const parent = new Map(running.map((id) => [id, id]));
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  for (const id of running) {
    const p = plan.nodes.get(id)!;
    if (p.node.def.mode !== 'stream') continue;
    for (const ref of Object.values(p.node.inputs)) {
      const up = plan.nodes.get(ref.node)!;
      if (up.runs && up.node.def.mode !== 'barrier' && depth.get(ref.node) === depth.get(id)) parent.set(find(ref.node), find(id));
    }
  }
  const groups = new Map<string, string[]>();
  for (const id of running) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  return [...groups.values()];
}
