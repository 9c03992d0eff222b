// Bench: no-op rerun of a 12-node graph shaped like the paper's pipeline, against Snakemake's
// no-op rerun of an equivalent 12-rule workflow, measured in the same run.
//   node dist/bench/engine/noop-rerun.js [repeats]
// Needs Debian's snakemake for the ratio (apt-get install snakemake); prints ctflow alone otherwise.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runFile, session, tempDir, writeGraph } from '../../test/helpers/engine.js';

const STAGES = ['scans', 'crop', 'median', 'threshold', 'lung', 'window', 'cnn', 'embed', 'sampler', 'lstm', 'swin', 'evaluate'];

// Shape of the paper's graph with the engine's test kinds (what is measured is the engine:
// load, validate, hash, plan against manifests, record the run; no node runs).
const GRAPH = `name: noop12
nodes:
  scans: { kind: toy-scans, params: { scans: 8, slices: 4, size: 16 } }
  crop: { kind: scale, in: { slices: scans }, params: { factor: 1 } }
  median: { kind: scale, in: { slices: crop }, params: { factor: 1.5 } }
  threshold: { kind: scale, in: { slices: median }, params: { factor: 0.5 } }
  lung: { kind: scale, in: { slices: threshold }, params: { factor: 2 } }
  window: { kind: scan-mean, in: { slices: lung } }
  cnn: { kind: stats-total, in: { stats: window } }
  embed: { kind: scan-mean, in: { slices: crop }, params: { offset: 1 } }
  sampler: { kind: stats-total, in: { stats: embed }, params: { failAt: -2 } }
  lstm: { kind: stats-total, in: { stats: sampler }, params: { failAt: -3 } }
  swin: { kind: stats-total, in: { stats: sampler }, params: { failAt: -4 } }
  evaluate: { kind: stats-total, in: { stats: lstm }, params: { failAt: -5 } }
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

async function main() {
  const repeats = Number(process.argv[2] ?? 7);
  const dir = tempDir('ctflow-bench-');
  const file = writeGraph(dir, 'noop12.yaml', GRAPH);
  const s = session(join(dir, 'runs'));
  await runFile(s, file);
  const inProcess: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const out = await runFile(s, file);
    inProcess.push(performance.now() - t0);
    if (Object.values(out.record.nodes).some((n) => n.status === 'ran')) throw new Error('the rerun ran a node');
  }
  // The same through the CLI (a fresh process each time, Node start-up included). The CLI knows
  // only shipped kinds, so it reruns a shipped source of the same size as a one-node graph … no:
  // it reruns this graph through a tiny launcher that registers the test kinds.
  const launcher = join(dir, 'launch.mjs');
  writeFileSync(launcher, `import { runFile, session } from ${JSON.stringify(resolve('dist/test/helpers/engine.js'))};\nawait runFile(session(process.argv[2]), process.argv[3]);\n`);
  const cli: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [launcher, join(dir, 'runs'), file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    cli.push(performance.now() - t0);
  }
  console.log(`ctflow no-op rerun, 12 nodes: engine ${median(inProcess).toFixed(1)} ms in process; ${median(cli).toFixed(0)} ms as a fresh process (median of ${repeats})`);

  const snake = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
  if (snake.status !== 0) {
    console.log('snakemake not installed (apt-get install snakemake): no ratio');
    return;
  }
  const sdir = join(dir, 'snake');
  mkdirSync(sdir);
  writeFileSync(join(sdir, 'Snakefile'), snakefile());
  const sm = (args: string[]) => spawnSync('snakemake', ['-j1', '--quiet', ...args], { cwd: sdir, encoding: 'utf8' });
  const first = sm([]);
  if (first.status !== 0) throw new Error(first.stderr);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = sm([]);
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const snakeMs = median(times);
  console.log(`snakemake ${snake.stdout.trim()} no-op rerun, 12 rules: ${snakeMs.toFixed(0)} ms (median of ${repeats})`);
  console.log(`ratio snakemake / ctflow: ${(snakeMs / median(cli)).toFixed(1)}x (fresh process each), ${(snakeMs / median(inProcess)).toFixed(1)}x (engine time)`);
}

await main();
