import { listRuns } from '../runs.js';
import { runsDir, runsOption, type Command } from './common.js';

export const runsCommand: Command = {
  name: 'runs',
  usage: '[--graph NAME] [--json]',
  summary: 'list recorded runs: graph, time, status, ran/cached counts',
  options: { ...runsOption, graph: { type: 'string', arg: 'NAME', help: 'only runs of this graph' }, json: { type: 'boolean', help: 'print JSON' } },
  async run(opts) {
    const runs = listRuns(runsDir(opts)).filter((r) => !opts.graph || r.graph === opts.graph);
    const rows = runs.map((r) => {
      const nodes = Object.values(r.nodes);
      return {
        id: r.id, graph: r.graph, started: r.startedAt, status: r.status,
        ran: nodes.filter((n) => n.status === 'ran').length, cached: nodes.filter((n) => n.status === 'cached').length,
        seconds: (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000,
      };
    });
    if (opts.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (!rows.length) {
      console.log(`no runs in ${runsDir(opts)}`);
      return 0;
    }
    console.log(`${'run'.padEnd(40)} ${'status'.padEnd(7)} ${'ran'.padStart(4)} ${'cached'.padStart(6)} ${'time'.padStart(8)}`);
    for (const r of rows) console.log(`${r.id.padEnd(40)} ${r.status.padEnd(7)} ${String(r.ran).padStart(4)} ${String(r.cached).padStart(6)} ${r.seconds.toFixed(1).padStart(7)}s`);
    return 0;
  },
};
