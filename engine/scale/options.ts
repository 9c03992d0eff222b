// The command-line options that choose where a run's nodes execute (ctflow run and sweep).
import { UsageError } from '../errors.js';
import type { Option } from '../commands/common.js';
import type { RemoteExecutor } from '../execute.js';
import { DEFAULT_SHARD } from './queue.js';

export const executorOptions: Record<string, Option> = {
  executor: { type: 'string', arg: 'NAME', help: 'local (default); bullmq: node jobs on workers (ctflow worker) through Redis; slurm: node jobs submitted with sbatch' },
  shard: { type: 'string', arg: 'N', help: `scans per job of the nodes cached per scan (--executor bullmq or slurm; default ${DEFAULT_SHARD})` },
  redis: { type: 'string', arg: 'URL', help: 'Redis of --executor bullmq, redis://host:port (default: $CTFLOW_REDIS)' },
  partition: { type: 'string', arg: 'P', help: 'Slurm partition of every job (--executor slurm)' },
  account: { type: 'string', arg: 'A', help: 'Slurm account charged (--executor slurm)' },
  'slurm-opt': { type: 'string', multiple: true, arg: 'KEY=VALUE', help: 'an sbatch option for every job, e.g. --slurm-opt qos=short (repeatable)' },
};

/** A remote executor that can be closed (its connections, or jobs still queued). */
export type ClosableExecutor = RemoteExecutor & { close(): Promise<void> };

/**
 * The executor the options name: undefined for a local run (BullMQ and the Slurm client are
 * loaded only when named). Slurm is checked here, before anything is submitted.
 */
export async function scaleExecutor(opts: Record<string, unknown>): Promise<ClosableExecutor | undefined> {
  const name = (opts.executor as string | undefined) ?? 'local';
  const slurmOnly = ['partition', 'account', 'slurm-opt'].filter((k) => opts[k] !== undefined);
  if (name !== 'slurm' && slurmOnly.length) throw new UsageError(`--${slurmOnly[0]} is for --executor slurm`);
  if (name !== 'bullmq' && opts.redis) throw new UsageError('--redis is for --executor bullmq');
  if (name === 'local' && opts.shard !== undefined) throw new UsageError('--shard is for --executor bullmq or slurm (a local run computes scans in one process)');
  if (name === 'local') return undefined;
  const shard = opts.shard === undefined ? DEFAULT_SHARD : Number(opts.shard);
  if (!Number.isInteger(shard) || shard < 1) throw new UsageError(`--shard takes a whole number of scans ≥ 1, got "${String(opts.shard)}"`);
  if (name === 'bullmq') {
    const redis = (opts.redis as string | undefined) ?? process.env.CTFLOW_REDIS;
    if (!redis) throw new UsageError('--executor bullmq needs --redis redis://host:port (or $CTFLOW_REDIS): the Redis the workers (ctflow worker) read');
    const { BullExecutor } = await import('./executor.js');
    return new BullExecutor(redis, undefined, shard);
  }
  if (name === 'slurm') return slurmExecutor(opts, shard);
  throw new UsageError(`--executor must be local, bullmq or slurm, got "${name}"`);
}

async function slurmExecutor(opts: Record<string, unknown>, shard: number): Promise<ClosableExecutor> {
  const extra = ((opts['slurm-opt'] as string[] | undefined) ?? []).map((o) => {
    const m = /^([a-z][a-z-]*)(=(.+))?$/.exec(o);
    if (!m) throw new UsageError(`--slurm-opt takes an sbatch long option as KEY=VALUE (e.g. qos=short, constraint=a100) or KEY, got "${o}"`);
    if (['wrap', 'output', 'error', 'job-name', 'parsable', 'chdir'].includes(m[1])) throw new UsageError(`--slurm-opt ${m[1]} is set by ctflow for every job and cannot be changed`);
    return o;
  });
  const { preflight, SlurmError } = await import('./slurm/client.js');
  try {
    await preflight();
  } catch (e) {
    if (e instanceof SlurmError) throw new UsageError(`--executor slurm: ${e.message}. Nothing was submitted.`);
    throw e;
  }
  const { SlurmExecutor } = await import('./slurm/executor.js');
  return new SlurmExecutor({
    partition: opts.partition as string | undefined, account: opts.account as string | undefined, extra,
    allowCommands: Boolean(opts['allow-commands']), poll: pollTiming(), shard,
  });
}

/** Poll interval bounds in ms: CTFLOW_SLURM_POLL="MIN,MAX" (default 1000,15000). */
function pollTiming(): { minMs: number; maxMs: number } {
  const [min, max] = (process.env.CTFLOW_SLURM_POLL ?? '1000,15000').split(',').map(Number);
  if (!(min > 0 && max >= min)) throw new UsageError(`CTFLOW_SLURM_POLL must be "MIN,MAX" in ms with 0 < MIN ≤ MAX, got "${process.env.CTFLOW_SLURM_POLL}"`);
  return { minMs: min, maxMs: max };
}
