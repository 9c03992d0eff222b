import { graphOptions, loadOrThrow, oneFile, openSession, type Command } from './common.js';

export const statusCommand: Command = {
  name: 'status',
  usage: 'GRAPH.yaml [--against RUN] [--set PATH=VALUE]…',
  summary: 'say, without running, which nodes would run and the first reason for each',
  options: { ...graphOptions, against: { type: 'string', arg: 'RUN', help: 'compare with this run id instead of the latest run of the graph' }, json: { type: 'boolean', help: 'print JSON' } },
  async run(opts, args) {
    const session = await openSession(opts);
    const graph = loadOrThrow(session, oneFile(args), opts.set);
    const plan = await session.plan(graph, opts.against as string | undefined);
    const rows = graph.order.map((id) => {
      const p = plan.nodes.get(id)!;
      return { node: id, kind: p.node.kind, runs: p.runs, reason: p.reason, key: p.key };
    });
    if (opts.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    for (const r of rows) console.log(`${r.runs ? 'run   ' : 'cached'} ${r.node.padEnd(16)} ${r.runs ? r.reason : ''}`);
    const n = rows.filter((r) => r.runs).length;
    console.log(n ? `${n} of ${rows.length} nodes would run` : `all ${rows.length} nodes are cached: nothing would run`);
    return 0;
  },
};
