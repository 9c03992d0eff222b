// Call a node kind's run() directly in unit tests, typed by its mode.
import type { RecordBatch } from 'apache-arrow';
import type { NodeContext, NodeDef, Outputs, TableReader } from '../../engine/types.js';

export async function runBarrierKind(def: NodeDef, ctx: NodeContext<never>, inputs: Record<string, TableReader>): Promise<Outputs[]> {
  if (def.mode !== 'barrier') throw new Error(`${def.kind} is not a barrier kind`);
  const out: Outputs[] = [];
  for await (const o of def.run(ctx, inputs)) out.push(o);
  return out;
}

export async function runStreamKind(def: NodeDef, ctx: NodeContext<never>, batch: Record<string, RecordBatch>): Promise<Outputs> {
  if (def.mode !== 'stream') throw new Error(`${def.kind} is not a stream kind`);
  return def.run(ctx, batch);
}
