// The coordinator side of --executor slurm: the engine schedules the DAG as in a local run and
// hands each job (a stored node and the uncached chain feeding it, engine/scale/jobs.ts) to
// sbatch as a `ctflow job` command reading its job file from the shared runs directory. Jobs are
// named ctflow.<run tag>.<node>, tracked by their Slurm job ids, waited on by polling (one
// `scontrol show job` a round for every job, with back-off). A job that fails, is cancelled,
// times out or is pre-empted fails its node with the Slurm state and its log's tail; Ctrl-C
// (SIGINT/SIGTERM) cancels this run's jobs with scancel and says so. Nodes cached per scan run as
// shards of scans (engine/scale/shards.ts), submitted as one job array a group: task K runs shard
// K's job file.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorruptEntry, NodeFailure } from '../../errors.js';
import type { ExecuteOptions, RemoteExecutor } from '../../execute.js';
import type { NodeOutcome } from '../../group-runner.js';
import type { Plan } from '../../plan.js';
import { nodeJob, outcomesOf, type JobResult } from '../jobs.js';
import { isSharded, remoteGroups, runShards, type Shard } from '../shards.js';
import { sbatch, scancel } from './client.js';
import { fileSafe, jobPaths, logTail, readResult, removeJobFiles, Tail, writeJobFile } from './files.js';
import { Poller, type PollTiming } from './poller.js';
import { describeResources, jobResources, resourceArgs } from './resources.js';
import { describe } from './state.js';

export interface SlurmOptions {
  partition?: string;
  account?: string;
  /** Extra sbatch options, KEY=VALUE (or a bare KEY), applied to every job after the others. */
  extra: string[];
  /** The run's --allow-commands: its jobs may run command nodes. */
  allowCommands: boolean;
  poll: PollTiming;
  /** Scans per shard of the nodes cached per scan. */
  shard: number;
}

const CTFLOW = fileURLToPath(new URL('../../../../bin/ctflow.cjs', import.meta.url));

export class SlurmExecutor implements RemoteExecutor {
  /** Names this coordinator's jobs and files apart from any other run's. */
  readonly tag = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  private readonly poller: Poller;
  private readonly submitted = new Set<string>();
  private readonly onSignal = (signal: NodeJS.Signals) => void this.interrupt(signal);

  constructor(readonly opts: SlurmOptions) {
    this.poller = new Poller(opts.poll);
    process.once('SIGINT', this.onSignal).once('SIGTERM', this.onSignal);
  }

  groups(plan: Plan): string[][] {
    return remoteGroups(plan, 'slurm');
  }

  async run(plan: Plan, ids: string[], opts: ExecuteOptions): Promise<Map<string, NodeOutcome>> {
    if (isSharded(plan, ids)) return runShards(plan, ids, opts, this.opts.shard, (shards, progress) => this.runArray(plan, ids, shards, progress, opts));
    const sink = ids[ids.length - 1];
    const key = plan.nodes.get(sink)!.key;
    const runs = resolve(opts.store.root);
    const paths = jobPaths(runs, this.tag, key);
    writeJobFile(runs, paths, nodeJob(plan, ids, opts.concurrency, opts.backend), this.opts.allowCommands);
    const resources = jobResources(plan, ids, opts.backend);
    const log = paths.log(sink);
    const command = [process.execPath, CTFLOW, 'job', '--cache', runs, paths.job].map(shellQuote).join(' ');
    ids.forEach((id) => opts.events.started(id));
    let ok = false;
    try {
      const jobId = await sbatch([
        `--job-name=ctflow.${this.tag}.${fileSafe(sink)}`, `--output=${log}`, `--chdir=${process.cwd()}`,
        ...(this.opts.partition ? [`--partition=${this.opts.partition}`] : []),
        ...(this.opts.account ? [`--account=${this.opts.account}`] : []),
        ...resourceArgs(resources), ...this.opts.extra.map((o) => `--${o}`),
        `--wrap=exec ${command}`,
      ]);
      this.submitted.add(jobId);
      opts.events.log(sink, `Slurm job ${jobId} submitted (${describeResources(resources)})`);
      const byKey = new Map(ids.map((id) => [plan.nodes.get(id)!.key, id]));
      const tail = new Tail(paths.progress);
      const relay = () => {
        for (const line of tail.lines()) {
          const p = JSON.parse(line) as { key: string; done?: number; total?: number; info?: string; log?: string };
          const id = byKey.get(p.key);
          if (!id) continue;
          if (p.log !== undefined) opts.events.log(id, p.log);
          else opts.events.progress(id, p.done!, p.total!, p.info);
        }
      };
      const state = await this.poller.wait(jobId, relay).finally(() => this.submitted.delete(jobId));
      relay();
      const jobLog = log.replace('%j', jobId);
      const result = readResult(paths.result);
      if (!result) {
        throw new NodeFailure(sink, new Error(`Slurm job ${jobId} ended ${describe(state)} without a result; its log ${jobLog} ends:\n${logTail(jobLog)}`));
      }
      if (result.error !== undefined) throw new NodeFailure(sink, new Error(`${result.error} (Slurm job ${jobId})`));
      if (result.corrupt) throw new CorruptEntry(result.corrupt.key, result.corrupt.node, result.corrupt.reason);
      const outcomes = outcomesOf(plan, ids, result);
      ok = outcomes.get(sink)!.status !== 'failed';
      removeJobFiles(paths, ok ? jobLog : undefined);
      return outcomes;
    } finally {
      ids.forEach((id) => opts.events.finished(id, ok));
    }
  }

  /** The shards of a group as one job array; each task's result, or why it has none. */
  private async runArray(plan: Plan, ids: string[], shards: Shard[], progress: (s: Shard, key: string, done: number, total: number) => void, opts: ExecuteOptions): Promise<PromiseSettledResult<JobResult>[]> {
    if (!shards.length) return [];
    const sink = ids[ids.length - 1];
    const runs = resolve(opts.store.root);
    const array = shards[0].id;
    const paths = shards.map((s, k) => {
      const p = jobPaths(runs, this.tag, `${array}.${k}`);
      writeJobFile(runs, p, s.job, this.opts.allowCommands);
      return p;
    });
    const resources = jobResources(plan, ids, opts.backend);
    const log = join(paths[0].dir, `${fileSafe(sink)}-%A_%a.log`);
    // Task K reads <array>.K.job.json: the shell expands the task id.
    const jobFile = `${shellQuote(join(paths[0].dir, `${array}.`))}"$SLURM_ARRAY_TASK_ID".job.json`;
    const command = [process.execPath, CTFLOW, 'job', '--cache', runs].map(shellQuote).join(' ');
    const jobId = await sbatch([
      `--job-name=ctflow.${this.tag}.${fileSafe(sink)}`, `--output=${log}`, `--chdir=${process.cwd()}`, `--array=0-${shards.length - 1}`,
      ...(this.opts.partition ? [`--partition=${this.opts.partition}`] : []),
      ...(this.opts.account ? [`--account=${this.opts.account}`] : []),
      ...resourceArgs(resources), ...this.opts.extra.map((o) => `--${o}`),
      `--wrap=exec ${command} ${jobFile}`,
    ]);
    opts.events.log(sink, `Slurm job array ${jobId} submitted: ${shards.length} shard${shards.length > 1 ? 's' : ''} of at most ${this.opts.shard} scans (${describeResources(resources)})`);
    return Promise.allSettled(shards.map(async (s, k) => {
      const task = `${jobId}_${k}`;
      this.submitted.add(task);
      const tail = new Tail(paths[k].progress);
      const relay = () => {
        for (const line of tail.lines()) {
          const p = JSON.parse(line) as { key: string; done?: number; total?: number; log?: string };
          if (p.log !== undefined) opts.events.log(sink, p.log);
          else progress(s, p.key, p.done!, p.total!);
        }
      };
      const state = await this.poller.wait(task, relay).finally(() => this.submitted.delete(task));
      relay();
      const taskLog = log.replace('%A', jobId).replace('%a', String(k));
      const result = readResult(paths[k].result);
      if (!result) throw new NodeFailure(sink, new Error(`Slurm job ${task} (scans ${s.scans[0]} … ${s.scans[s.scans.length - 1]}) ended ${describe(state)} without a result; its log ${taskLog} ends:\n${logTail(taskLog)}`));
      if (result.error !== undefined) throw new NodeFailure(sink, new Error(`${result.error} (Slurm job ${task})`));
      const failed = Object.values(result.outcomes).some((o) => o.status === 'failed');
      removeJobFiles(paths[k], failed ? undefined : taskLog);
      return result;
    }));
  }

  /** Stop waiting; jobs still in Slurm's hands (the run was interrupted) are cancelled. */
  async close(): Promise<void> {
    process.off('SIGINT', this.onSignal).off('SIGTERM', this.onSignal);
    this.poller.stop();
    if (this.submitted.size) await scancel([...this.submitted]).catch(() => {});
  }

  private async interrupt(signal: NodeJS.Signals): Promise<void> {
    const ids = [...this.submitted];
    this.poller.stop();
    if (ids.length) {
      try {
        await scancel(ids);
        console.error(`\n${signal}: cancelled this run's Slurm jobs (scancel ${ids.join(' ')}); finished nodes are cached, a rerun submits what is missing`);
      } catch (e) {
        console.error(`\n${signal}: could not cancel this run's Slurm jobs ${ids.join(' ')}: ${(e as Error).message}; cancel them with  scancel ${ids.join(' ')}`);
      }
    } else {
      console.error(`\n${signal}: no Slurm job of this run was in the queue`);
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }
}

function shellQuote(s: string): string {
  return /^[\w./=:,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
