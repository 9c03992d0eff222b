// `ctflow export`: a node's cached output written out, through the exporter its port type
// declares (engine/ports.ts; slices: a folder of JPEG slices), or as one Arrow IPC file, which
// any port can be.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PortWriter } from '../arrow-io.js';
import { entryCorruption } from '../entry-check.js';
import { UsageError } from '../errors.js';
import { loadExport } from '../lazy.js';
import type { ExportOptions, ExportTables, PortType } from '../ports.js';
import type { Session } from '../session.js';
import type { TableReader } from '../types.js';
import type { Graph } from '../validate.js';
import { graphOptions, loadOrThrow, openSession, type Command } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  usage: 'GRAPH.yaml NODE[.PORT] --to DIR|FILE.arrow [--quality Q] [--overwrite]',
  summary: "write a node's cached output out: to a folder through its port type's exporter (slices: COV19-CT-DB-shaped JPEG folders), any port (model weights) as an Arrow IPC file",
  options: {
    ...graphOptions,
    to: { type: 'string', arg: 'DIR|FILE.arrow', help: "a file ending in .arrow: the port as one Arrow IPC file (any port); otherwise a folder the port type's exporter writes (slices: JPEG slices; must be empty unless --overwrite)" },
    quality: { type: 'string', arg: 'Q', help: 'quality 1..100 of a lossy format (JPEG slices: default 95)' },
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
    const out = await exportOutput(session, graph, ref, to, { quality, overwrite: Boolean(opts.overwrite) });
    if ('missing' in out) {
      console.error(`the output of "${ref.split('.')[0]}" is not cached (${out.missing}); run the graph first:\n  ctflow run ${file}`);
      return 1;
    }
    if ('corrupt' in out) {
      console.error(`the cached output of "${ref.split('.')[0]}" is corrupt (${out.corrupt}); it was removed: run the graph to recompute it, then export again:\n  ctflow run ${file}`);
      return 1;
    }
    console.log(out.wrote);
    return 0;
  },
};

/**
 * Writes the cached output `ref` (NODE or NODE.PORT) of `graph` to `to`: a FILE.arrow for any
 * port, else through the exporter of the port's type. Returns what it wrote, or why the output is
 * not cached (or corrupt: then removed); a reference or target that cannot be exported is a UsageError.
 */
export async function exportOutput(session: Session, graph: Graph, ref: string, to: string, options: ExportOptions): Promise<{ wrote: string } | { missing: string } | { corrupt: string }> {
  const asArrow = to.endsWith('.arrow');
  const [id, portName] = ref.split('.');
  const node = graph.nodes.get(id);
  if (!node) throw new UsageError(`no node "${id}" in ${graph.file}`);
  const outputs = node.def.outputs;
  const ports = Object.keys(outputs);
  const named = (ps: string[]) => ps.map((p) => `${id}.${p}`).join(', ');
  if (portName !== undefined && !outputs[portName]) throw new UsageError(`node "${id}" has no output "${portName}"; its outputs: ${named(ports)}`);
  const exportable = ports.filter((p) => outputs[p].exporter);
  // Unnamed: the only output, else the only one with a folder export (a cropper's slices, not its boxes).
  const port = portName ?? (asArrow && ports.length === 1 ? ports[0] : exportable.length === 1 ? exportable[0] : undefined);
  if (!port) {
    throw new UsageError(asArrow || exportable.length > 1
      ? `node "${id}" has several outputs${asArrow ? '' : ' with an exporter'}; name one: ${named(asArrow ? ports : exportable)}`
      : `no output of "${id}" has an exporter (its outputs: ${named(ports)}); export one to an Arrow file, e.g. --to ${id}-${ports[0]}.arrow`);
  }
  const type = outputs[port];
  if (!asArrow && !type.exporter) throw new UsageError(`"${id}.${port}" is a ${type.name} table, which has no exporter: export it to an Arrow file, e.g. --to ${id}-${port}.arrow`);
  const plan = await session.plan(graph);
  const key = plan.nodes.get(id)!.key;
  const found = session.store.lookup(key);
  if (!found.hit) return { missing: found.reason };
  const corrupt = entryCorruption(session.store, found.manifest);
  if (corrupt) {
    await session.store.evict(corrupt.key);
    return { corrupt: corrupt.why };
  }
  const reader = await session.store.reader(session.store.entryDir(key), found.manifest, port);
  try {
    if (asArrow) {
      await writeArrowFile(to, reader, type, options.overwrite);
      return { wrote: `wrote ${reader.numRows} rows of ${id}.${port} (${type.name}) to ${to}` };
    }
    const write = await loadExport<ExportTables>(type.exporter!);
    return { wrote: await write(to, reader, options) };
  } finally {
    await reader.close();
  }
}

/** Every batch of `reader` (each verified against its checksum) into one Arrow IPC file, written beside `to` and renamed into place. */
async function writeArrowFile(to: string, reader: TableReader, type: PortType, overwrite: boolean): Promise<void> {
  const existing = await stat(to).catch(() => null);
  if (existing && (!overwrite || !existing.isFile())) throw new UsageError(`${to} exists${existing.isFile() ? '; add --overwrite to replace it' : ' and is not a file'}`);
  const tmp = `${to}.${process.pid}.tmp`;
  await mkdir(dirname(to), { recursive: true });
  const writer = await PortWriter.open(tmp, type.schema);
  try {
    for await (const b of reader) await writer.write(b);
    await writer.close();
    await rename(tmp, to);
  } catch (e) {
    await writer.abort();
    await rm(tmp, { force: true });
    throw e;
  }
}
