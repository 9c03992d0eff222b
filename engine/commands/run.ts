import { formatMetricsTable, formatRunSummary } from './summary.js';
import { reporter, reporterMode } from './reporter.js';
import { reportsAfterRun } from './report.js';
import { graphOptions, integerOption, loadOrThrow, oneFile, openSession, resumeCommand, type Command } from './common.js';
import { executorOptions, scaleExecutor } from '../scale/options.js';

export const runCommand: Command = {
  name: 'run',
  usage: 'GRAPH.yaml [--set PATH=VALUE]… [--backend NAME] [--concurrency N] [--threads N] [--executor bullmq --redis URL | --executor slurm [--partition P] [--account A] [--slurm-opt K=V]…] [--no-report] [--quiet|--json]',
  summary: 'run a graph: cached nodes are reused, the rest run and are stored',
  options: {
    ...graphOptions,
    backend: { type: 'string', arg: 'NAME', help: 'model backend: auto, tensorflow-gpu, tensorflow, wasm, cpu, webgpu' },
    concurrency: { type: 'string', arg: 'N', help: 'scans in flight per stream group (default 2)' },
    threads: { type: 'string', arg: 'N', help: 'cores the model nodes share; lstm, swin, embedder and cnn-trainer (with microbatch) run on up to N threads (default: CPU cores; results do not depend on it)' },
    'in-process': { type: 'boolean', help: 'run model nodes in this process (default: a child process each)' },
    quiet: { type: 'boolean', short: 'q', help: 'print only the summary' },
    json: { type: 'boolean', help: 'progress as JSON lines on stdout' },
    'no-report': { type: 'boolean', help: 'write no report.html (ctflow report RUN writes it later)' },
    ...executorOptions,
  },
  async run(opts, args) {
    const file = oneFile(args);
    const concurrency = integerOption(opts, 'concurrency', 1);
    const events = reporter(reporterMode(opts));
    const remote = await scaleExecutor(opts);
    const session = await openSession(opts, { backend: opts.backend as string | undefined, concurrency, threads: integerOption(opts, 'threads', 1), events, inProcess: Boolean(opts['in-process']), remote });
    const graph = loadOrThrow(session, file, opts.set);
    const t0 = Date.now();
    const out = await session.run(graph).finally(() => remote?.close());
    const summary = formatRunSummary(out, Date.now() - t0);
    const [report] = opts['no-report'] ? [] : await reportsAfterRun(session, [out.record]);
    if (opts.json) console.log(JSON.stringify({ event: 'done', run: out.record.id, status: out.record.status, record: out.recordDir, report }));
    else {
      console.log(summary);
      const table = formatMetricsTable(out.record.metrics);
      if (table) console.log(`\n${table}`);
      for (const [id, n] of Object.entries(out.record.nodes)) for (const a of n.artifacts ?? []) console.log(`${id}: ${a}`);
      if (report) console.log(`report: ${report}`);
    }
    if (out.record.status === 'ok') return 0;
    for (const f of out.result.failures) {
      console.error(`\nnode "${f.node}" failed: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}`);
      if (process.env.CTFLOW_DEBUG && f.cause instanceof Error) console.error(f.cause.stack);
    }
    for (const c of out.result.corrupt) console.error(`\n${c.message} (it was removed)`);
    console.error(`\nFinished nodes are cached. After fixing the cause, resume with:\n  ${resumeCommand(file, opts)}`);
    return 1;
  },
};
