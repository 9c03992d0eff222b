// The command-line options that choose where a run's nodes execute (ctflow run and sweep).
import { UsageError } from '../errors.js';
import type { Option } from '../commands/common.js';
import type { BullExecutor } from './executor.js';

export const executorOptions: Record<string, Option> = {
  executor: { type: 'string', arg: 'NAME', help: 'local (default) or bullmq: node jobs on workers (ctflow worker) through Redis' },
  redis: { type: 'string', arg: 'URL', help: 'Redis of --executor bullmq, redis://host:port (default: $CTFLOW_REDIS)' },
};

/** The executor the options name: undefined for a local run (BullMQ is loaded only for bullmq). Connects on first use. */
export async function scaleExecutor(opts: Record<string, unknown>): Promise<BullExecutor | undefined> {
  const name = (opts.executor as string | undefined) ?? 'local';
  const redis = (opts.redis as string | undefined) ?? process.env.CTFLOW_REDIS;
  if (name === 'local') {
    if (opts.redis) throw new UsageError('--redis is for --executor bullmq');
    return undefined;
  }
  if (name !== 'bullmq') throw new UsageError(`--executor must be local or bullmq, got "${name}"`);
  if (!redis) throw new UsageError('--executor bullmq needs --redis redis://host:port (or $CTFLOW_REDIS): the Redis the workers (ctflow worker) read');
  const { BullExecutor } = await import('./executor.js');
  return new BullExecutor(redis);
}
