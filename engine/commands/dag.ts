import { graphOptions, loadOrThrow, oneFile, openSession, type Command } from './common.js';

export const dagCommand: Command = {
  name: 'dag',
  usage: 'GRAPH.yaml [--format text|dot|mermaid]',
  summary: 'show the graph: nodes in run order with their inputs (text, Graphviz dot or Mermaid)',
  options: { ...graphOptions, format: { type: 'string', arg: 'FORMAT', help: 'text (default), dot or mermaid' } },
  async run(opts, args) {
    const session = await openSession(opts);
    const graph = loadOrThrow(session, oneFile(args), opts.set, true);
    const format = (opts.format as string | undefined) ?? 'text';
    const edges: [string, string, string][] = [];
    for (const id of graph.order) {
      for (const [port, ref] of Object.entries(graph.nodes.get(id)!.inputs)) edges.push([ref.node, id, ref.port === port ? port : `${ref.port}→${port}`]);
    }
    if (format === 'dot') {
      console.log(`digraph "${graph.name}" {\n  rankdir=LR;`);
      for (const id of graph.order) console.log(`  "${id}" [label="${id}\\n${graph.nodes.get(id)!.kind}"${graph.nodes.get(id)!.cache ? '' : ' style=dashed'}];`);
      for (const [a, b, l] of edges) console.log(`  "${a}" -> "${b}" [label="${l}"];`);
      console.log('}');
    } else if (format === 'mermaid') {
      console.log('flowchart LR');
      for (const id of graph.order) console.log(`  ${id}["${id}<br/>${graph.nodes.get(id)!.kind}"]`);
      for (const [a, b, l] of edges) console.log(`  ${a} -- ${l} --> ${b}`);
    } else if (format === 'text') {
      for (const id of graph.order) {
        const n = graph.nodes.get(id)!;
        const ins = Object.entries(n.inputs).map(([p, r]) => `${p} ← ${r.node}.${r.port}`).join(', ');
        console.log(`${id.padEnd(16)} ${n.kind.padEnd(18)} ${n.def.mode.padEnd(8)}${n.cache ? '' : ' (not stored)'}${ins ? '  ' + ins : ''}`);
      }
    } else {
      console.error(`unknown format "${format}": use text, dot or mermaid`);
      return 2;
    }
    return 0;
  },
};
