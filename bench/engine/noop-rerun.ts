// Bench: no-op rerun of a 12-node graph of the paper's pipeline (shipped kinds), in process and as
// a fresh `ctflow run`, against Snakemake's no-op rerun of an equivalent 12-rule workflow,
// measured in the same run. Run from the repository root:
//   node dist/bench/engine/noop-rerun.js [repeats]
// Needs Debian's snakemake for the ratio (apt-get install snakemake); prints ctflow alone otherwise.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleIsFresh } from '../../engine/launch.cjs';
import { Session } from '../../engine/session.js';
import { registry } from '../../nodes/index.js';

const STAGES = ['scans', 'crop', 'median', 'threshold', 'lung', 'window', 'cnn', 'embed', 'sampler', 'lstm', 'swin', 'evaluate'];

// The paper's pipeline with shipped kinds at toy size (the first run trains for seconds; what is
// measured is the no-op rerun: load, validate, hash, plan against manifests, record the run).
const GRAPH = `name: noop12
seed: 7
nodes:
  scans: { kind: synthetic-ct, params: { scans: 4, slices: [8, 10], size: 64, extent: 3, splits: { train: 0.5, validation: 0.5, test: 0 } } }
  crop: { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }
  threshold: { kind: threshold, in: { slices: median }, cache: false }
  lung: { kind: binary-dilation, in: { masks: threshold } }
  window: { kind: area-window, in: { areas: lung.areas } }
  cnn: { kind: cnn-trainer, in: { slices: crop.slices, windows: window }, params: { backbone: small, resolution: 32, embedding: 8, epochs: 1, stepsPerEpoch: 1 } }
  embed: { kind: embedder, in: { slices: crop.slices, model: cnn.model } }
  sampler: { kind: sequence-sampler, in: { embeddings: embed }, params: { mode: lstm, length: 8, draws: 2 } }
  lstm: { kind: lstm, in: { embeddings: embed, sequences: sampler }, params: { length: 8, hidden: 8, layers: 1, head: 4, epochs: 1 } }
  swin: { kind: slice-scorer, in: { embeddings: embed, windows: window }, params: { draws: 2, name: score } }
  evaluate: { kind: evaluator, in: { predictions: [lstm.predictions, swin] }, params: { splits: [validation], meanK: [2] } }
`;

function snakefile(): string {
  const deps: Record<string, string[]> = {
    scans: [], crop: ['scans'], median: ['crop'], threshold: ['median'], lung: ['threshold'], window: ['lung'],
    cnn: ['window'], embed: ['crop'], sampler: ['embed'], lstm: ['sampler'], swin: ['sampler'], evaluate: ['lstm', 'swin', 'cnn'],
  };
  const rules = STAGES.map((s) => `rule ${s}:\n${deps[s].length ? `    input: ${deps[s].map((d) => `"out/${d}.txt"`).join(', ')}\n` : ''}    output: "out/${s}.txt"\n    shell: "echo ${s} > {output}"\n`);
  return `rule all:\n    input: "out/evaluate.txt", "out/swin.txt"\n\n${rules.join('\n')}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time of a command run to completion (it must succeed). */
function timed(run: () => ReturnType<typeof spawnSync>): number {
  const t0 = performance.now();
  const r = run();
  if (r.status !== 0) throw new Error(String(r.stderr));
  return performance.now() - t0;
}

async function main() {
  const repeats = Number(process.argv[2] ?? 7);
  if (!bundleIsFresh(resolve('dist/bundle'))) throw new Error('dist/bundle is out of date: `npm run build` first, or this times the slower fallback');
  const dir = mkdtempSync(join(tmpdir(), 'ctflow-bench-'));
  const file = join(dir, 'noop12.yaml');
  writeFileSync(file, GRAPH);
  const runs = join(dir, 'runs');
  const cliRun = () => spawnSync(process.execPath, [resolve('bin/ctflow.cjs'), 'run', file, '--runs', runs, '--quiet'], { encoding: 'utf8' });
  // The first run (which trains) in its own process: this one stays small, so spawning the timed
  // fresh processes below costs what it costs from a shell.
  const initial = cliRun();
  if (initial.status !== 0) throw new Error(`the first run failed: ${initial.stderr}`);

  const version = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
  const snakemake = version.status === 0;
  const sdir = join(dir, 'snake');
  const smRun = () => spawnSync('snakemake', ['-j1', '--quiet'], { cwd: sdir, encoding: 'utf8' });
  if (snakemake) {
    mkdirSync(sdir);
    writeFileSync(join(sdir, 'Snakefile'), snakefile());
    timed(smRun);
  }
  // Interleaved, so both see the same machine: a shared VM's speed drifts over a minute.
  const cli: number[] = [];
  const snake: number[] = [];
  for (let i = 0; i < repeats; i++) {
    cli.push(timed(cliRun));
    if (snakemake) snake.push(timed(smRun));
  }

  const s = new Session({ runsDir: runs, registry });
  const load = () => {
    const { graph, issues } = s.load(file);
    if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
    return graph;
  };
  const inProcess: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const out = await s.run(load());
    inProcess.push(performance.now() - t0);
    if (Object.values(out.record.nodes).some((n) => n.status === 'ran')) throw new Error('the rerun ran a node');
  }
  console.log(`ctflow no-op rerun, 12 nodes: engine ${median(inProcess).toFixed(1)} ms in process; ${median(cli).toFixed(0)} ms as a fresh \`ctflow run\` (median of ${repeats})`);
  if (!snakemake) {
    console.log('snakemake not installed (apt-get install snakemake): no ratio');
    return;
  }
  const snakeMs = median(snake);
  console.log(`snakemake ${version.stdout.trim()} no-op rerun, 12 rules: ${snakeMs.toFixed(0)} ms (median of ${repeats}, interleaved with ctflow's)`);
  console.log(`ratio snakemake / ctflow: ${(snakeMs / median(cli)).toFixed(1)}x (fresh process each), ${(snakeMs / median(inProcess)).toFixed(1)}x (engine time)`);
}

await main();
