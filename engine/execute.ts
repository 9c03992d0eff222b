// Schedule a plan: running nodes are split into groups (connected sources and stream nodes run
// in lockstep; each barrier alone); a group starts when the groups it reads from have finished,
// so independent branches run at the same time. Each group runs here (engine/group-runner.ts,
// under a lease on its keys) or on a worker (opts.remote). A failing group stops its dependents
// only; every finished node keeps its cache entry.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CorruptEntry, NodeFailure } from './errors.js';
import type { Available, GroupInput } from './group.js';
import type { GroupEnv, NodeOutcome } from './group-runner.js';
import { runAnyGroup } from './partition-group.js';
import { Leases } from './lease.js';
import type { Plan } from './plan.js';
import { CoreBudget, Slots } from './slots.js';
import type { EntryWriter } from './store.js';

/** Where and how groups run (engine/group-runner.ts GroupEnv), and how many child processes at most. */
export interface ExecuteOptions extends Omit<GroupEnv, 'signal' | 'children' | 'cores'> {
  signal?: AbortSignal;
  /** Cores the model nodes share (--threads; default: the number of CPU cores). */
  threads?: number;
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

export interface ExecuteResult {
  outcomes: Map<string, NodeOutcome>;
  failures: NodeFailure[];
  corrupt: CorruptEntry[];
  /** Another process stored entries this run was waiting for: plan again and reuse them. */
  replan?: boolean;
}

export async function execute(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const signal = opts.signal ?? new AbortController().signal;
  const outcomes = new Map<string, NodeOutcome>();
  const available = new Map<string, Available>();
  for (const [id, p] of plan.nodes) {
    if (!p.runs) {
      outcomes.set(id, { status: p.lookup?.hit ? 'cached' : 'not-needed', notes: (p.lookup?.hit && p.lookup.manifest.notes) || {} });
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

  const env: GroupEnv = { ...opts, signal, children: new Slots(opts.maxChildren ?? availableParallelism()), cores: new CoreBudget(opts.threads ?? availableParallelism()) };
  /** Run one group here; returns the failures of members that failed while the rest finished. */
  const runHere = async (ids: string[]): Promise<NodeFailure[]> => {
    const result = await runAnyGroup(groupInput(plan, ids, available), env);
    for (const [id, o] of result.outcomes) outcomes.set(id, o);
    for (const [id, a] of result.entries) available.set(id, a);
    temporary.push(...result.temporary);
    return result.failures;
  };

  const schedule = (gi: number): Promise<void> => {
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
      await Promise.all([...deps].map(schedule));
      const missing = [...needs].filter((n) => !available.has(n));
      if (missing.length || signal.aborted) {
        const why = new Error(signal.aborted ? 'run aborted' : `input node${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not finish`);
        for (const id of ids) outcomes.set(id, { status: 'skipped', notes: {}, error: why });
        return;
      }
      if (!opts.remote && await leased(ids)) return; // remote jobs are deduplicated by their key
      try {
        failures.push(...await (opts.remote ? runRemote(plan, ids, available, opts, outcomes) : runHere(ids)));
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
    await Promise.all(groups.map((_, i) => schedule(i)));
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

/** What the group runner needs of a group: its members and the entries they read. */
function groupInput(plan: Plan, ids: string[], available: ReadonlyMap<string, Available>): GroupInput {
  const members = ids.map((id) => {
    const { node, key, seedKey, parts } = plan.nodes.get(id)!;
    return { node, key, seedKey, readOutside: neededOutside(plan, id, ids), ...(parts ? { parts } : {}) };
  });
  const inputs = new Map<string, Available>();
  for (const m of members) {
    for (const ref of Object.values(m.node.inputs)) if (!ids.includes(ref.node)) inputs.set(ref.node, available.get(ref.node)!);
  }
  return { members, inputs };
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
      // Nodes cached per scan run scan by scan (engine/partition-group.ts), apart from whole ones.
      const alike = Boolean(up.parts) === Boolean(p.parts);
      if (up.runs && up.node.def.mode !== 'barrier' && alike && depth.get(ref.node) === depth.get(id)) parent.set(find(ref.node), find(id));
    }
  }
  const groups = new Map<string, string[]>();
  for (const id of running) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  return [...groups.values()];
}
