// Run one barrier node in this process: random-access readers over its input entries, its
// batches written to its output ports. An input failing its checksum is a corrupt upstream entry
// (CorruptEntry, recomputed by the session), not a failure of the node.
import { performance } from 'node:perf_hooks';
import { CorruptEntry, NodeFailure } from './errors.js';
import { corruptKey } from './partition-reader.js';
import { portReaders } from './readers.js';
import type { External, Member } from './stream-group.js';
import type { NodeContext } from './types.js';

export async function runBarrier(m: Member, external: Map<string, External>): Promise<void> {
  const def = m.p.node.def;
  if (def.mode !== 'barrier') throw new Error(`node "${m.p.node.id}" is a ${def.mode} node, not a barrier`);
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
      if (e instanceof ChecksumError) throw new CorruptEntry(corruptKey(e, x.key), x.node, e.message);
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
