import { columnsOf, compare, formatComparison } from '../compare.js';
import { GraphError } from '../errors.js';
import { estimateMs } from '../estimate.js';
import { listRuns } from '../runs.js';
import { reporter, reporterMode } from './reporter.js';
import { sweepReport } from './report.js';
import { graphOptions, integerOption, oneFile, openSession, runsDir, seconds, type Command } from './common.js';
import { executorOptions, scaleExecutor } from '../scale/options.js';

export const sweepCommand: Command = {
  name: 'sweep',
  usage: 'GRAPH.yaml [--jobs N] [--threads N] [--dry-run] [--format table|md|csv|json] [--executor bullmq --redis URL | --executor slurm [--partition P] [--account A] [--slurm-opt K=V]…] [--no-report]',
  summary: "run a graph's sweep: block and replicates as one DAG (shared nodes run once), then compare the variants",
  options: {
    ...graphOptions,
    jobs: { type: 'string', arg: 'N', help: 'model nodes in child processes at once (default: CPU cores)' },
    threads: { type: 'string', arg: 'N', help: 'cores the model nodes share; lstm, swin, embedder and cnn-trainer (with microbatch) run on up to N threads (default: CPU cores; results do not depend on it)' },
    'dry-run': { type: 'boolean', help: 'show the variants, what they share and the estimate; run nothing' },
    format: { type: 'string', arg: 'FORMAT', help: 'comparison table format: table (default), md, csv, json' },
    quiet: { type: 'boolean', short: 'q', help: 'print only the summary' },
    'no-report': { type: 'boolean', help: 'write no reports (ctflow report RUN|SWEEP writes them later)' },
    ...executorOptions,
  },
  async run(opts, args) {
    const file = oneFile(args);
    const jobs = integerOption(opts, 'jobs', 1);
    const remote = await scaleExecutor(opts);
    const session = await openSession(opts, { maxChildren: jobs, threads: integerOption(opts, 'threads', 1), events: reporter(reporterMode(opts)), remote });
    const { variants, issues } = session.loadSweep(file, (opts.set as string[] | undefined) ?? []);
    if (!variants.length) throw new GraphError(issues);
    const { combined, plan } = await session.planSweep(variants, file);
    const ids = variants[0].graph.order;
    const shared = ids.filter((id) => new Set(variants.map((v) => plan.nodes.get(`${v.name}/${id}`)?.key)).size === 1);
    const differ = ids.filter((id) => !shared.includes(id));
    console.log(`${variants.length} variants: ${variants.map((v) => v.name).join(', ')}`);
    console.log(`shared by all (run once): ${shared.join(', ') || '—'}`);
    console.log(`differ between variants: ${differ.map((id) => `${id} (${new Set(variants.map((v) => plan.nodes.get(`${v.name}/${id}`)!.key)).size} versions)`).join(', ') || '—'}`);
    const todo = [...plan.nodes.values()].filter((p) => p.runs).length;
    const est = estimateMs(plan, listRuns(runsDir(opts)));
    console.log(`${todo} of ${combined.nodes.size} variant nodes to run${todo ? `; estimate ${seconds(est.ms)} from earlier runs${est.unknown.length ? ` (+ ${est.unknown.length} nodes never run before)` : ''}` : ''}`);
    if (opts['dry-run']) return 0;
    const out = await session.runSweep(variants, file).finally(() => remote?.close());
    const failed = out.runs.filter((r) => r.status !== 'ok');
    console.log(`\nsweep ${out.id}: ${out.runs.length - failed.length} of ${out.runs.length} variants ok\n`);
    console.log(formatComparison(compare(columnsOf(out.runs)), ((opts.format as string) ?? 'table') as 'table'));
    const report = opts['no-report'] ? undefined : await sweepReport(session, out.id, out.runs);
    if (report) console.log(`\nreport: ${report}`);
    for (const f of out.executed.result.failures) console.error(`\nnode "${f.node}" failed: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}`);
    if (failed.length) console.error(`\nFinished nodes are cached. After fixing the cause, resume with:\n  ctflow sweep ${file}`);
    return failed.length ? 1 : 0;
  },
};
