// The child side of runInChild: one barrier node, inputs read from cache files, outputs written
// to the entry's temporary directory; everything else goes back to the parent as messages.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChecksumError, FileTableReader, PortWriter, type PortManifest } from './arrow-io.js';
import type { ChildJob, ChildMessage } from './child.js';
import { corruptKey, PartitionedReader } from './partition-reader.js';
import { portReaders } from './readers.js';
import { rngFrom } from './rng.js';
import type { NodeContext, NodeDef, TableReader } from './types.js';

const send = (m: ChildMessage) => new Promise<void>((r) => process.send!(m, () => r()));

class InputCorrupt extends Error {
  constructor(readonly node: string, readonly key: string, message: string) { super(message); }
}

function reader(input: ChildJob['inputs'][string]): TableReader {
  const r = input.parts ? new PartitionedReader(input.parts) : new FileTableReader(input.path, input.manifest);
  const batch = async (i: number) => {
    try {
      return await r.batch(i);
    } catch (e) {
      if (e instanceof ChecksumError) throw new InputCorrupt(input.node, corruptKey(e, input.key), e.message);
      throw e;
    }
  };
  return {
    numBatches: r.numBatches, numRows: r.numRows, batch,
    async *[Symbol.asyncIterator]() { for (let i = 0; i < r.numBatches; i++) yield await batch(i); },
  };
}

async function run(job: ChildJob) {
  const mod = (await import(job.module)) as Record<string, unknown>;
  const def = Object.values(mod).find((v): v is NodeDef => (v as NodeDef)?.kind === job.kind);
  if (!def || def.mode !== 'barrier') throw new Error(`${job.module} exports no barrier kind "${job.kind}"`);
  const ctx: NodeContext = {
    id: job.id, params: job.params, seed: job.seed, rng: rngFrom(job.seedKey), rngFor: (label) => rngFrom(`${job.seedKey}:${label}`), scratch: job.scratch, checkpoints: job.checkpoints, artifacts: job.artifacts, backend: job.backend, threads: job.threads,
    log: (message) => void send({ type: 'log', message }),
    progress: (done, total, info) => void send({ type: 'progress', done, total, info }),
    note: (key, value) => void send({ type: 'note', key, value }),
    signal: new AbortController().signal,
    stored: true,                                    // a child runs a stored barrier node: it writes every output
  };
  const writers = new Map<string, PortWriter>();
  for (const [port, type] of Object.entries(def.outputs)) writers.set(port, await PortWriter.open(join(job.outDir, `${port}.arrow`), type.schema));
  const inputs = portReaders(Object.fromEntries(Object.entries(job.inputs).map(([p, i]) => [p, reader(i)])));
  const stats = { ms: 0, rows: {} as Record<string, number>, batches: 0 };
  const t0 = performance.now();
  for await (const out of def.run(ctx, inputs)) {
    for (const [port, batch] of Object.entries(out)) {
      const w = writers.get(port);
      if (!w) throw new Error(`emitted undeclared output "${port}"`);
      await w.write(batch);
      stats.rows[port] = (stats.rows[port] ?? 0) + batch.numRows;
    }
    stats.batches++;
  }
  stats.ms = performance.now() - t0;
  const outputs: Record<string, PortManifest> = {};
  for (const [port, w] of writers) outputs[port] = await w.close();
  await send({ type: 'done', outputs, stats });
}

// A parent that dies (SIGKILL, crash) closes the channel: stop at once rather than train on as an
// orphan that would keep writing the node's checkpoints beside the rerun's child.
let finished = false;
process.once('disconnect', () => {
  if (!finished) process.exit(70);
});

process.once('message', (job: ChildJob) => {
  run(job)
    .catch(async (e: Error) => {
      if (e instanceof InputCorrupt) await send({ type: 'corrupt', node: e.node, key: e.key, reason: e.message });
      else await send({ type: 'error', message: e?.message ?? String(e), stack: e?.stack });
    })
    .finally(() => {
      finished = true;
      process.disconnect();
    });
});
