// Run a connected group of source and stream nodes in lockstep, one scan (step) at a time:
// sources are pulled lazily, at most `concurrency` steps are in flight between pull and write,
// results are written in input order (a bounded reorder buffer), so memory stays flat however
// many scans there are. Consecutive uncached nodes are fused: their batches never touch disk.
import { performance } from 'node:perf_hooks';
import { Observable, concatMap, from, lastValueFrom, mergeMap, defaultIfEmpty } from 'rxjs';
import type { RecordBatch } from 'apache-arrow';
import { ChecksumError } from './arrow-io.js';
import { corruptKey } from './partition-reader.js';
import { Slots } from './slots.js';
import { stepEnded } from './step-end.js';
import { CorruptEntry, NodeFailure, UpstreamFailed } from './errors.js';
import type { PortWriter } from './arrow-io.js';
import { columnsOf, describePort, portMismatch, portType } from './ports.js';
import type { GroupMember } from './group.js';
import type { NodeContext, NodeDef, Outputs, TableReader } from './types.js';

export interface NodeStats { ms: number; rows: Record<string, number>; batches: number }

export interface Member {
  p: GroupMember;
  ctx: NodeContext;
  /** Writers of the outputs that are stored (or materialised for a barrier), by port. */
  writers: Map<string, PortWriter>;
  stats: NodeStats;
}

/** An input read from an entry that exists before the group starts. */
export interface External { reader: TableReader; node: string; key: string }

/** A scan in flight: the batches by `node.port` (while still wanted), their rows (till written), and the sources' batches (their step ends after the write: step-end.ts). */
interface Step { index: number; values: Map<string, RecordBatch>; rows: Map<string, number>; sourced: RecordBatch[] }

/**
 * Returns the members that failed (by id). A failing stream node stops only itself and the
 * members downstream of it; the rest of the pass goes on, so their outputs are still stored.
 * A failing source, or a corrupt input, stops the whole pass (thrown).
 */
export async function runStreamGroup(members: Member[], external: Map<string, External>, concurrency: number): Promise<Map<string, NodeFailure>> {
  const byId = new Map(members.map((m) => [m.p.node.id, m]));
  const dead = new Map<string, NodeFailure>();
  const sources = members.filter((m) => m.p.node.def.mode === 'source');
  const iterators = sources.map((m) => {
    const def = m.p.node.def;
    if (def.mode !== 'source') throw new Error('unreachable');
    return { m, it: def.run(m.ctx)[Symbol.asyncIterator]() };
  });
  const externalCount = commonCount(external);
  let pulled = 0;
  // A batch no writer takes is dropped once the last member that reads it has run: a scan in flight
  // holds a stage and the next, not every stage of a fused chain till the scan is written (issue 23).
  const lastReader = new Map<string, number>();
  members.forEach((m, k) => { for (const ref of Object.values(m.p.node.inputs)) lastReader.set(`${ref.node}.${ref.port}`, k); });
  const unwritten = (name: string) => { const at = name.lastIndexOf('.'); return !byId.get(name.slice(0, at))?.writers.has(name.slice(at + 1)); };
  /** Drop the unwritten batches no member from the `k`th on reads. */
  const drop = (step: Step, k: number) => {
    for (const name of step.values.keys()) if ((lastReader.get(name) ?? -1) < k && unwritten(name)) step.values.delete(name);
  };
  const set = (step: Step, m: Member, port: string, batch: RecordBatch) => {
    const name = `${m.p.node.id}.${port}`;
    step.values.set(name, checked(m, port, batch));
    step.rows.set(name, batch.numRows);
  };

  const pull = async (): Promise<Step | null> => {
    const step: Step = { index: pulled, values: new Map(), rows: new Map(), sourced: [] };
    let ended = 0;
    for (const { m, it } of iterators) {
      const r = await timed(m, () => it.next());
      if (r.done) { ended++; continue; }
      for (const [port, batch] of Object.entries(r.value)) {
        set(step, m, port, batch);
        step.sourced.push(batch);
      }
    }
    if (ended && ended < iterators.length) throw new Error(`sources ${iterators.map((s) => s.m.p.node.id).join(', ')} give different numbers of scans`);
    const done = iterators.length ? ended > 0 : pulled >= (externalCount ?? 0);
    if (done) {
      if (externalCount !== undefined && pulled !== externalCount) throw new Error(`a source gave ${pulled} scans but a zipped input has ${externalCount}`);
      return null;
    }
    pulled++;
    return step;
  };

  const slots = new Slots(concurrency);
  const steps$ = new Observable<Step>((sub) => {
    let stopped = false;
    (async () => {
      for (;;) {
        await slots.acquire();
        if (stopped) return;
        const step = await pull();
        if (!step) break;
        sub.next(step);
      }
      sub.complete();
    })().catch((e) => sub.error(e));
    return () => { stopped = true; };
  });

  const evaluate = async (step: Step): Promise<Step> => {
    for (const [k, m] of members.entries()) {
      drop(step, k);
      const def = m.p.node.def;
      const id = m.p.node.id;
      if (def.mode !== 'stream' || dead.has(id)) continue;
      const deadUp = Object.values(m.p.node.inputs).find((r) => dead.has(r.node));
      if (deadUp) {
        dead.set(id, new NodeFailure(id, new UpstreamFailed(deadUp.node)));
        continue;
      }
      try {
        await evalMember(m, def, step);
      } catch (e) {
        if (e instanceof CorruptEntry || !(e instanceof NodeFailure)) throw e;
        dead.set(id, e);
      }
    }
    drop(step, members.length);
    return step;
  };

  const evalMember = async (m: Member, def: Extract<NodeDef, { mode: 'stream' }>, step: Step) => {
    const inputs: Outputs = {};
    for (const [port, ref] of Object.entries(m.p.node.inputs)) {
      const name = `${ref.node}.${ref.port}`;
      if (byId.has(ref.node)) {
        const v = step.values.get(name);
        if (!v) throw new NodeFailure(m.p.node.id, new Error(`input "${port}" got no batch for scan ${step.index} from "${name}"`));
        inputs[port] = v;
      } else {
        inputs[port] = await readExternal(external.get(name)!, step.index);
      }
    }
    const out = await timed(m, async () => def.run(m.ctx, inputs));
    for (const [port, batch] of Object.entries(out)) set(step, m, port, batch);
  };

  const write = async (step: Step) => {
    for (const m of members) {
      if (dead.has(m.p.node.id)) continue;
      for (const port of Object.keys(m.p.node.def.outputs)) {
        const name = `${m.p.node.id}.${port}`;
        const rows = step.rows.get(name);
        if (rows === undefined) continue;
        m.stats.rows[port] = (m.stats.rows[port] ?? 0) + rows;
        const batch = step.values.get(name);
        if (batch) await m.writers.get(port)?.write(batch);
      }
      m.stats.batches++;
    }
    for (const b of step.sourced.splice(0)) stepEnded(b);
    slots.release();
  };

  await lastValueFrom(steps$.pipe(
    mergeMap((s) => from(evaluate(s)), concurrency),
    inOrder((s) => s.index),
    concatMap((s) => from(write(s))),
    defaultIfEmpty(undefined),
  ));
  return dead;
}

/** Re-emit values in index order 0, 1, 2, … (buffer bounded by the work in flight). */
function inOrder<T>(index: (v: T) => number) {
  return (source: Observable<T>) => new Observable<T>((sub) => {
    const waiting = new Map<number, T>();
    let next = 0;
    return source.subscribe({
      next: (v) => {
        waiting.set(index(v), v);
        while (waiting.has(next)) {
          const w = waiting.get(next)!;
          waiting.delete(next++);
          sub.next(w);
        }
      },
      error: (e) => sub.error(e),
      complete: () => sub.complete(),
    });
  });
}

async function timed<T>(m: Member, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NodeFailure || e instanceof CorruptEntry) throw e;
    throw new NodeFailure(m.p.node.id, e);
  } finally {
    m.stats.ms += performance.now() - t0;
  }
}

async function readExternal(x: External, i: number): Promise<RecordBatch> {
  try {
    return await x.reader.batch(i);
  } catch (e) {
    if (e instanceof ChecksumError) throw new CorruptEntry(corruptKey(e, x.key), x.node, e.message);
    throw e;
  }
}

/** A node must emit batches of the types it declares. */
function checked(m: Member, port: string, batch: RecordBatch): RecordBatch {
  const want = m.p.node.def.outputs[port];
  if (!want) throw new NodeFailure(m.p.node.id, new Error(`emitted undeclared output "${port}"`));
  const why = portMismatch(portType(port, columnsOf(batch.schema), ''), want);
  if (why) throw new NodeFailure(m.p.node.id, new Error(`output "${port}" does not match ${describePort(want)}: ${why}`));
  return batch;
}

function commonCount(external: Map<string, External>): number | undefined {
  const counts = new Set([...external.values()].map((x) => x.reader.numBatches));
  if (counts.size > 1) throw new Error(`zipped inputs have different numbers of scans: ${[...external].map(([k, x]) => `${k}=${x.reader.numBatches}`).join(', ')}`);
  return counts.size ? [...counts][0] : undefined;
}
