import { existsSync } from 'node:fs';
import { columnsOf, compare, formatComparison } from '../compare.js';
import { UsageError } from '../errors.js';
import { latestRun, readRecord, type RunRecord } from '../runs.js';
import { openSession, runsDir, runsOption, type Command } from './common.js';

export const compareCommand: Command = {
  name: 'compare',
  usage: 'RUN|GRAPH.yaml … [--format table|md|csv|json]',
  summary: 'compare runs (ids, or graph files for their latest run): params that differ, metrics side by side, best marked',
  options: { ...runsOption, format: { type: 'string', arg: 'FORMAT', help: 'table (default), md, csv or json' } },
  async run(opts, args) {
    if (args.length < 1) throw new UsageError('name at least one run id or graph file');
    const format = (opts.format as string | undefined) ?? 'table';
    if (!['table', 'md', 'csv', 'json'].includes(format)) throw new UsageError(`unknown format "${format}"`);
    const dir = runsDir(opts);
    const runs: RunRecord[] = [];
    for (const a of args) {
      let r = readRecord(dir, a);
      if (!r && existsSync(a)) {
        const session = await openSession(opts);
        const { graph, issues } = session.load(a);
        if (!graph) throw new UsageError(`${a}: ${issues[0]?.message ?? 'invalid graph'}`);
        r = latestRun(dir, graph.name);
        if (!r) throw new UsageError(`${a}: graph "${graph.name}" has no run in ${dir} yet`);
      }
      if (!r) throw new UsageError(`"${a}" is neither a run id in ${dir} nor a graph file`);
      runs.push(r);
    }
    console.log(formatComparison(compare(columnsOf(runs)), format as 'table'));
    return 0;
  },
};
