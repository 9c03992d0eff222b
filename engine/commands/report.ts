import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { latestRun, listRuns, readRecord, type RunRecord } from '../runs.js';
import type { Session } from '../session.js';
import { oneFile, openSession, runsDir, runsOption, type Command } from './common.js';

export const reportCommand: Command = {
  name: 'report',
  usage: 'RUN|latest|SWEEP|GRAPH.yaml',
  summary: 'write the HTML report of a recorded run (or the comparison report of a sweep) and print its path',
  options: { ...runsOption },
  async run(opts, args) {
    const target = oneFile(args, 'RUN (a run id, latest, a sweep id or a graph file)');
    const dir = runsDir(opts);
    const session = await openSession(opts);
    const { readSweepRecord, writeSweepReport } = await import('../report/sweep-report.js');
    const sweep = readSweepRecord(dir, target);
    if (sweep) {
      console.log(await writeSweepReport(dir, sweep));
      return 0;
    }
    const record = findRun(session, dir, target);
    const { writeRunReport } = await import('../report/run-report.js');
    console.log(await writeRunReport(dir, record, session.opts.registry));
    return 0;
  },
};

function findRun(session: Session, dir: string, target: string): RunRecord {
  const hint = `list the recorded runs with  ctflow runs --runs ${dir}`;
  if (target === 'latest') {
    const last = listRuns(dir).at(-1);
    if (!last) throw new UsageError(`no runs in ${dir} yet; run a graph first`);
    return last;
  }
  const record = readRecord(dir, target);
  if (record) return record;
  if (!existsSync(target)) throw new UsageError(`"${target}" is not a run id, a sweep id, "latest" or a graph file in ${dir}; ${hint}`);
  const { graph, issues } = session.load(target);
  if (!graph) throw new UsageError(`${target}: ${issues[0]?.message ?? 'invalid graph'}`);
  const latest = latestRun(dir, graph.name);
  if (!latest) throw new UsageError(`${target}: graph "${graph.name}" has no run in ${dir} yet; run it with  ctflow run ${target}`);
  return latest;
}

/**
 * After a run: the report of each run in which a node ran (a fully cached run writes none, so it
 * stays fast). A report that cannot be written is a warning, not a failed run.
 */
export async function reportsAfterRun(session: Session, records: RunRecord[]): Promise<string[]> {
  const ran = records.filter((r) => Object.values(r.nodes).some((n) => n.status === 'ran'));
  if (!ran.length) return [];
  const { writeRunReport } = await import('../report/run-report.js');
  const files: string[] = [];
  for (const r of ran) {
    try {
      files.push(await writeRunReport(session.opts.runsDir, r, session.opts.registry));
    } catch (e) {
      console.error(`warning: no report for run ${r.id}: ${(e as Error).message}`);
    }
  }
  return files;
}

/** After a sweep in which a node ran: each such variant's report, then the comparison report. */
export async function sweepReport(session: Session, id: string, runs: RunRecord[]): Promise<string | undefined> {
  if (!(await reportsAfterRun(session, runs)).length) return undefined;
  const { readSweepRecord, writeSweepReport } = await import('../report/sweep-report.js');
  try {
    return await writeSweepReport(session.opts.runsDir, readSweepRecord(session.opts.runsDir, id)!);
  } catch (e) {
    console.error(`warning: no report for sweep ${id}: ${(e as Error).message}`);
    return undefined;
  }
}
