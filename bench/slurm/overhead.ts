// The Slurm executor's cost, through the command line as a user runs it, on a fresh runs
// directory each time, against a local run of the same graph measured in the same process:
// - a 6-node lung-area graph (4 jobs): per-job overhead = (Slurm wall − local wall) / jobs;
// - with --models, a sweep of graphs/ablations/models.yaml (3 replicates of the paper pipeline)
//   through Slurm vs locally (minutes: both sides train every model).
// usage: SLURM_CONF=… node dist/bench/slurm/overhead.js [--models] [--scans N]
// Needs a running cluster (.ci/slurm.sh start prints its slurm.conf). Data goes to a temp dir.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tempDir, writeGraph } from '../../test/helpers/engine.js';

const BIN = resolve('bin/ctflow.cjs');
const args = process.argv.slice(2);
const scans = Number(args[args.indexOf('--scans') + 1] || 8);
const env = { ...process.env, CTFLOW_SLURM_POLL: process.env.CTFLOW_SLURM_POLL ?? '250,2000' };

function timed(argv: string[], cwd: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ctflow ${argv.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return performance.now() - t0;
}

const slurmVersion = execFileSync('sbatch', ['--version'], { encoding: 'utf8' }).trim();
console.log(`machine: ${cpus()[0].model}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version}; ${slurmVersion}; SLURM_CONF=${process.env.SLURM_CONF ?? '(default)'}`);
const dir = tempDir('ctflow-bench-slurm-');
console.log(`data: ${dir}`);
writeGraph(dir, 'g.yaml', `name: slurm-bench
seed: 5
nodes:
  scans:  { kind: synthetic-ct, params: { scans: ${scans}, slices: [20, 30], size: 128 } }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas } }
`);
const jobs = 4;
const rows: [string, number, number][] = [];
for (let i = 0; i < 3; i++) {
  const local = timed(['run', 'g.yaml', '--runs', `local-${i}`, '--no-report', '--quiet'], dir);
  const slurm = timed(['run', 'g.yaml', '--runs', `slurm-${i}`, '--no-report', '--quiet', '--executor', 'slurm'], dir);
  rows.push([`lung-area graph, ${scans} scans, ${jobs} jobs (#${i + 1})`, local, slurm]);
}
if (args.includes('--models')) {
  const graph = resolve('graphs/ablations/models.yaml');
  const local = timed(['sweep', graph, '--runs', join(dir, 'models-local'), '--no-report'], dir);
  const slurm = timed(['sweep', graph, '--runs', join(dir, 'models-slurm'), '--no-report', '--executor', 'slurm'], dir);
  rows.push(['graphs/ablations/models.yaml sweep', local, slurm]);
}
for (const [what, local, slurm] of rows) {
  const per = what.includes('jobs') ? `, ${((slurm - local) / jobs / 1000).toFixed(2)} s overhead per job` : '';
  console.log(`${what}: local ${(local / 1000).toFixed(1)} s, Slurm ${(slurm / 1000).toFixed(1)} s, ratio ${(slurm / local).toFixed(2)}×${per}`);
}
