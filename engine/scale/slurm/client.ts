// Slurm's client commands (sbatch, scontrol, scancel) as the executor calls them. A failure names
// the command, its exit status and what it printed; a command missing from PATH says how to get
// it. SLURM_CONF and the rest of the environment are inherited, as a user's shell would pass them.
import { execFile } from 'node:child_process';

/** Slurm cannot be used from here, or a command of it failed: the message says why and the fix. */
export class SlurmError extends Error {}

export function slurm(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') {
        return reject(new SlurmError(`${command} is not on PATH (${process.env.PATH ?? ''}): run ctflow on a machine where Slurm's commands work (a login node), or load them first (e.g. module load slurm)`));
      }
      const said = (stderr.trim() || stdout.trim() || e.message).split('\n').slice(-5).join(' / ');
      reject(new SlurmError(`${command} ${args.join(' ')} ${e.killed ? `gave no answer within ${timeoutMs / 1000} s` : `failed (exit ${e.code})`}: ${said}`));
    });
  });
}

/** Check, before anything is submitted, that sbatch exists and the controller answers. */
export async function preflight(): Promise<void> {
  await slurm('sbatch', ['--version']);
  let answer: string;
  try {
    answer = await slurm('scontrol', ['ping'], 30_000);
  } catch (e) {
    throw new SlurmError(`the Slurm controller does not answer: ${(e as Error).message}; check SLURM_CONF (${process.env.SLURM_CONF ?? 'not set'}) and that slurmctld runs`);
  }
  if (!/\bis UP\b/.test(answer)) {
    throw new SlurmError(`the Slurm controller is not up (scontrol ping: ${answer.trim().replace(/\s+/g, ' ')}); check SLURM_CONF (${process.env.SLURM_CONF ?? 'not set'}) and that slurmctld runs`);
  }
}

/** Submit a batch job; its Slurm job id. */
export async function sbatch(args: string[]): Promise<string> {
  const out = (await slurm('sbatch', ['--parsable', ...args])).trim();
  const id = out.split(';')[0];
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch answered "${out}", not a job id`);
  return id;
}

export async function scancel(ids: string[]): Promise<void> {
  if (ids.length) await slurm('scancel', ids);
}
