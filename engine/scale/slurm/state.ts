// What Slurm says of a job: `scontrol show job --oneliner` parsed into the fields the executor
// needs. One `scontrol show job` lists every job the controller still remembers (finished ones
// for MinJobAge seconds), so a single call per poll answers for every job a run waits on.
import { slurm } from './client.js';

export interface JobState {
  id: string;
  /** JobState: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, OUT_OF_MEMORY, NODE_FAIL, … */
  state: string;
  reason: string;
  exitCode: string;
  node: string;
}

/** States after which the job will not run again (COMPLETING still writes its output). */
const ACTIVE = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD']);

export function finished(s: JobState): boolean {
  return !ACTIVE.has(s.state);
}

function parseJobs(text: string): Map<string, JobState> {
  const jobs = new Map<string, JobState>();
  for (const line of text.split('\n')) {
    const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? '';
    const id = field('JobId');
    if (!id) continue;
    jobs.set(id, { id, state: field('JobState'), reason: field('Reason'), exitCode: field('ExitCode'), node: field('NodeList') || field('BatchHost') });
  }
  return jobs;
}

/** Every job the controller remembers, by id. */
export async function showJobs(): Promise<Map<string, JobState>> {
  return parseJobs(await slurm('scontrol', ['show', 'job', '--oneliner']));
}

/** How a job that did not complete ended, in words: "TIMEOUT on vm (exit 0:15)". */
export function describe(s: JobState): string {
  const reason = s.reason && s.reason !== 'None' ? `, ${s.reason}` : '';
  return `${s.state}${s.node && s.node !== '(null)' ? ` on ${s.node}` : ''} (exit ${s.exitCode || '?'}${reason})`;
}
