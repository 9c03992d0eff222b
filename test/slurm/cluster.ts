// The Slurm cluster for test/slurm: $CTFLOW_TEST_SLURM names the slurm.conf of a running cluster
// (.ci/slurm.sh start prints it; CI sets it). Without one the tests skip, saying why, except
// under CI=true, where they fail: CI never skips them. No Slurm mocked by scripts: sbatch,
// scontrol and scancel are Debian's, talking to a real slurmctld and slurmd.
import { spawnSync } from 'node:child_process';

const HOW = 'start a single-node cluster with  .ci/slurm.sh start  and set CTFLOW_TEST_SLURM to the slurm.conf it prints';

/** The slurm.conf to use (also set as SLURM_CONF for this process), or the suite skipped with the reason printed. */
export function slurmOrSkip(ctx: Mocha.Context): string {
  const conf = process.env.CTFLOW_TEST_SLURM;
  const why = !conf ? `no Slurm cluster for the Slurm executor's tests: ${HOW}`
    : spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8' }).stdout?.includes('is UP') ? undefined
      : `the Slurm controller of ${conf} does not answer scontrol ping: ${HOW}`;
  if (why) {
    if (process.env.CI === 'true') throw new Error(`${why} (CI=true: these tests must run)`);
    console.log(`      skipped: ${why}`);
    ctx.skip();
  }
  process.env.SLURM_CONF = conf;
  return conf!;
}

/** Slurm's own view of a job: its JobState, or undefined once the controller forgot it. */
export function jobState(id: string): string | undefined {
  const out = spawnSync('scontrol', ['show', 'job', '--oneliner', id], { encoding: 'utf8' }).stdout ?? '';
  return /JobState=(\S+)/.exec(out)?.[1];
}

/** Jobs in the queue whose name starts with `prefix`. */
export function queued(prefix: string): string[] {
  const out = spawnSync('squeue', ['-h', '-o', '%i %j'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').map((l) => l.trim().split(' ')).filter(([, name]) => name?.startsWith(prefix)).map(([id]) => id);
}
