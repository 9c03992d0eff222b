import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { DirectoryStore } from '../scale/store.js';
import type { WorkerEvent } from '../scale/worker.js';
import { integerOption, type Command } from './common.js';

export const workerCommand: Command = {
  name: 'worker',
  usage: '--redis URL --cache DIR [--concurrency N] [--heavy-concurrency N] [--threads N] [--allow-commands] [--json]',
  summary: 'run node jobs of runs and sweeps started with --executor bullmq, on this machine, until stopped',
  options: {
    redis: { type: 'string', arg: 'URL', help: 'the Redis the coordinator enqueues to, redis://host:port (default: $CTFLOW_REDIS)' },
    cache: { type: 'string', arg: 'DIR', help: "the shared runs directory as mounted here (the coordinator's --runs; entries in DIR/cache)" },
    concurrency: { type: 'string', arg: 'N', help: 'jobs of sources, stream chains and light barriers at once (default 1)' },
    'heavy-concurrency': { type: 'string', arg: 'N', help: 'model jobs at once, each in a child process; 0 takes none (default 1)' },
    threads: { type: 'string', arg: 'N', help: 'cores the model jobs share; lstm, swin, embedder and cnn-trainer (with microbatch) run on up to N threads (default: CPU cores)' },
    'allow-commands': { type: 'boolean', help: 'run jobs of command nodes (programs named in graphs); refused without it' },
    json: { type: 'boolean', help: 'events as JSON lines on stdout' },
  },
  async run(opts) {
    const redis = (opts.redis as string | undefined) ?? process.env.CTFLOW_REDIS;
    if (!redis) throw new UsageError('--redis redis://host:port is required (or $CTFLOW_REDIS)');
    if (!opts.cache) throw new UsageError("--cache DIR is required: the shared runs directory (the coordinator's --runs)");
    const { registry } = await import('../../nodes/index.js');
    const { startWorker } = await import('../scale/worker.js');
    const { CoreBudget } = await import('../slots.js');
    const threads = integerOption(opts, 'threads', 1);
    const worker = await startWorker({
      redis, store: new DirectoryStore(resolve(String(opts.cache))), registry,
      concurrency: integerOption(opts, 'concurrency', 1, 1), heavyConcurrency: integerOption(opts, 'heavy-concurrency', 0, 1), allowCommands: Boolean(opts['allow-commands']),
      cores: new CoreBudget(threads ?? availableParallelism()),
      onEvent: opts.json ? (e) => console.log(JSON.stringify({ t: new Date().toISOString(), ...e })) : (e) => console.error(describe(e)),
    });
    const stop = new Promise<void>((r) => process.once('SIGINT', r).once('SIGTERM', r));
    console.error(`worker ${process.pid}: waiting for jobs on ${redis} (Ctrl-C finishes the jobs in hand, then stops)`);
    await stop;
    await worker.close();
    return 0;
  },
};

function describe(e: WorkerEvent): string {
  switch (e.event) {
    case 'ready': return `listening on queues ${e.queues.join(', ')}`;
    case 'active': return `▶ ${e.job.slice(0, 12)} ${e.nodes.join(', ')}`;
    case 'done': return `${e.status === 'failed' ? '✗' : '✓'} ${e.job.slice(0, 12)} ${e.status}${e.error ? `: ${e.error}` : ''}`;
    case 'log': return `  ${e.node}: ${e.message}`;
  }
}
