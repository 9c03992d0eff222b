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
    const state = { id, state: field('JobState'), reason: field('Reason'), exitCode: field('ExitCode'), node: field('NodeList') || field('BatchHost') };
    jobs.set(id, state);
    // A job array's task is also known as <array id>_<task>; pending tasks share one line ("0-3%2").
    const array = field('ArrayJobId');
    for (const t of array ? taskIds(field('ArrayTaskId')) : []) jobs.set(`${array}_${t}`, { ...state, id: `${array}_${t}` });
  }
  return jobs;
}

/** The task ids of an ArrayTaskId field: "3", "0-3", "1,4-6", "0-9%2". */
function taskIds(field: string): number[] {
  const out: number[] = [];
  for (const r of field.split('%')[0].split(',')) {
    const [a, b] = r.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let t = a; t <= (Number.isInteger(b) ? b : a); t++) out.push(t);
  }
  return out;
}

/** Every job the controller remembers, by id (a job array's tasks also as <array id>_<task>). */
export async function showJobs(): Promise<Map<string, JobState>> {
  return parseJobs(await slurm('scontrol', ['show', 'job', '--oneliner']));
}

/** How a job that did not complete ended, in words: "TIMEOUT on vm (exit 0:15)". */
export function describe(s: JobState): string {
  const reason = s.reason && s.reason !== 'None' ? `, ${s.reason}` : '';
  return `${s.state}${s.node && s.node !== '(null)' ? ` on ${s.node}` : ''} (exit ${s.exitCode || '?'}${reason})`;
}
