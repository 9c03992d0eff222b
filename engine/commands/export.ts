import { UsageError } from '../errors.js';
import { graphOptions, loadOrThrow, openSession, type Command } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  usage: 'GRAPH.yaml NODE[.PORT] --to DIR [--quality Q] [--overwrite]',
  summary: "write a node's cached slices out as a COV19-CT-DB-shaped folder of JPEG slices",
  options: {
    ...graphOptions,
    to: { type: 'string', arg: 'DIR', help: 'destination folder (must be empty unless --overwrite)' },
    quality: { type: 'string', arg: 'Q', help: 'JPEG quality 1..100 (default 95)' },
    overwrite: { type: 'boolean', help: 'replace the train/validation/test folders of an earlier export' },
  },
  async run(opts, args) {
    if (args.length !== 2 || !opts.to) throw new UsageError('expected GRAPH.yaml NODE[.PORT] --to DIR');
    const [file, ref] = args;
    const session = await openSession(opts);
    const graph = loadOrThrow(session, file, opts.set);
    const [id, portName] = ref.split('.');
    const node = graph.nodes.get(id);
    if (!node) throw new UsageError(`no node "${id}" in ${file}`);
    const port = portName ?? Object.keys(node.def.outputs).find((p) => node.def.outputs[p].name === 'slices');
    if (!port || node.def.outputs[port]?.name !== 'slices') throw new UsageError(`"${ref}" is not a slices output; name one, e.g. ${id}.slices`);
    const plan = await session.plan(graph);
    const p = plan.nodes.get(id)!;
    const found = session.store.lookup(p.key);
    if (!found.hit) {
      console.error(`the output of "${id}" is not cached (${found.reason}); run the graph first:\n  ctflow run ${file}`);
      return 1;
    }
    const reader = await session.store.reader(session.store.entryDir(p.key), found.manifest, port);
    const { writeJpegFolder } = await import('../../nodes/kernels/jpeg-folder-writer.js');
    try {
      const written = await writeJpegFolder(String(opts.to), reader, { quality: opts.quality ? Number(opts.quality) : undefined, overwrite: Boolean(opts.overwrite) });
      console.log(`wrote ${written.size} scans to ${opts.to}`);
    } finally {
      await reader.close();
    }
    return 0;
  },
};
