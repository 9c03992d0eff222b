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
    const { graph, issues } = session.load(file, (opts.set as string[] | undefined) ?? []);
    if (!graph) throw new GraphError(issues);
    console.log(`${file}: graph "${graph.name}" is valid (${graph.nodes.size} nodes)`);
    return 0;
  },
};
