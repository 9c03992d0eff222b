import { GraphError } from '../errors.js';
import { graphOptions, oneFile, openSession, type Command } from './common.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: 'GRAPH.yaml [--set PATH=VALUE]…',
  summary: 'check a graph without running it; lists every problem with file:line:column and a hint',
  options: { ...graphOptions },
  async run(opts, args) {
    const session = await openSession(opts);
    const file = oneFile(args);
    const { variants, issues } = session.loadSweep(file, (opts.set as string[] | undefined) ?? []);
    if (!variants.length) throw new GraphError(issues);
    const g = variants[0].graph;
    console.log(`${file}: graph "${g.name}" is valid (${g.nodes.size} nodes${variants.length > 1 ? `; ${variants.length} sweep variants` : ''})`);
    return 0;
  },
};
