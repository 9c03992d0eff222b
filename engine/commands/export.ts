import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PortWriter, type FileTableReader } from '../arrow-io.js';
import { entryCorruption } from '../entry-check.js';
import { UsageError } from '../errors.js';
import type { PortType } from '../ports.js';
import { graphOptions, loadOrThrow, openSession, type Command } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  usage: 'GRAPH.yaml NODE[.PORT] --to DIR|FILE.arrow [--quality Q] [--overwrite]',
  summary: "write a node's cached output out: slices as a COV19-CT-DB-shaped folder of JPEG slices, any port (model weights) as an Arrow IPC file",
  options: {
    ...graphOptions,
    to: { type: 'string', arg: 'DIR|FILE.arrow', help: 'a file ending in .arrow: the port as one Arrow IPC file (any port); otherwise a folder for JPEG slices (must be empty unless --overwrite)' },
    quality: { type: 'string', arg: 'Q', help: 'JPEG quality 1..100 (default 95)' },
    overwrite: { type: 'boolean', help: 'replace the file, or the train/validation/test folders of an earlier export' },
  },
  async run(opts, args) {
    if (args.length !== 2 || !opts.to) throw new UsageError('expected GRAPH.yaml NODE[.PORT] --to DIR|FILE.arrow');
    const [file, ref] = args;
    const to = String(opts.to);
    const asArrow = to.endsWith('.arrow');
    const quality = opts.quality === undefined ? undefined : Number(opts.quality);
    if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100)) throw new UsageError(`--quality takes a whole number from 1 to 100, got "${opts.quality}"`);
    if (!asArrow && statSync(to, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError(`--to ${to} is a file; slices are written into a folder (or name a FILE.arrow)`);
    const session = await openSession(opts);
    const graph = loadOrThrow(session, file, opts.set);
    const [id, portName] = ref.split('.');
    const node = graph.nodes.get(id);
    if (!node) throw new UsageError(`no node "${id}" in ${file}`);
    const outputs = node.def.outputs;
    const ports = Object.keys(outputs);
    if (portName !== undefined && !outputs[portName]) throw new UsageError(`node "${id}" has no output "${portName}"; its outputs: ${ports.map((p) => `${id}.${p}`).join(', ')}`);
    const slicesPort = ports.find((p) => outputs[p].name === 'slices');
    const port = portName ?? (asArrow && ports.length === 1 ? ports[0] : slicesPort);
    if (!port) {
      throw new UsageError(asArrow ? `node "${id}" has several outputs; name one: ${ports.map((p) => `${id}.${p}`).join(', ')}` : `"${ref}" is not a slices output; name one, e.g. ${id}.slices, or export any port to a FILE.arrow`);
    }
    if (!asArrow && outputs[port].name !== 'slices') throw new UsageError(`"${id}.${port}" is a ${outputs[port].name} table, not slices: export it to an Arrow file, e.g. --to ${id}-${port}.arrow`);
    const plan = await session.plan(graph);
    const p = plan.nodes.get(id)!;
    const found = session.store.lookup(p.key);
    if (!found.hit) {
      console.error(`the output of "${id}" is not cached (${found.reason}); run the graph first:\n  ctflow run ${file}`);
      return 1;
    }
    const corrupt = entryCorruption(session.store, found.manifest);
    if (corrupt) {
      await session.store.evict(p.key);
      console.error(`the cached output of "${id}" is corrupt (${corrupt}); it was removed: run the graph to recompute it, then export again:\n  ctflow run ${file}`);
      return 1;
    }
    const reader = await session.store.reader(session.store.entryDir(p.key), found.manifest, port);
    try {
      if (asArrow) {
        await writeArrowFile(to, reader, outputs[port], Boolean(opts.overwrite));
        console.log(`wrote ${reader.numRows} rows of ${id}.${port} (${outputs[port].name}) to ${to}`);
        return 0;
      }
      const { writeJpegFolder } = await import('../../nodes/kernels/jpeg-folder-writer.js');
      const written = await writeJpegFolder(to, reader, { quality, overwrite: Boolean(opts.overwrite) });
      console.log(`wrote ${written.size} scans to ${to}`);
    } finally {
      await reader.close();
    }
    return 0;
  },
};

/** Every batch of `reader` (each verified against its checksum) into one Arrow IPC file, written beside `to` and renamed into place. */
async function writeArrowFile(to: string, reader: FileTableReader, type: PortType, overwrite: boolean): Promise<void> {
  const existing = await stat(to).catch(() => null);
  if (existing && (!overwrite || !existing.isFile())) throw new UsageError(`${to} exists${existing.isFile() ? '; add --overwrite to replace it' : ' and is not a file'}`);
  const tmp = `${to}.${process.pid}.tmp`;
  await mkdir(dirname(to), { recursive: true });
  const writer = await PortWriter.open(tmp, type.schema);
  try {
    for await (const b of reader) writer.write(b);
    await writer.close();
    await rename(tmp, to);
  } catch (e) {
    await writer.abort();
    await rm(tmp, { force: true });
    throw e;
  }
}
