// The no-op rerun against the number of files: the windows-only lung graph (bench/scale/lung-graph.ts,
// lung-window.yaml's shape: per-scan partitions, only the windows stored) over the first N scans of a
// make-folder.js folder, for each N, after a first run; then, alternated, REPS no-op reruns of each
// size: in process (a fresh Session, per scan and whole-node: the whole-node cache is the anchor)
// and as a fresh `ctflow run` (what a user waits for). Prints the medians (wall and, in process,
// CPU time: on a loaded machine the steadier figure), where the in-process time goes (load, plan,
// the rest: leaf checks, the run record), the growth per file fitted by least squares, and the
// projection to COV19-CT-DB's 1.4 M files; and the `ctflow run` no-op's peak RSS at each size, with
// its growth per file (what planning keeps and makes a file, issue 23); under `node --expose-gc`,
// also the bytes a finished plan holds (heap + external, after a full GC). Prints machine, load, versions.
// usage: node [--expose-gc] dist/bench/scale/noop-scale.js --folder DIR --work WORK [--scans 30,100,300] [--reps 5]
// DIR is read only: each subset is hard-linked (WORK/sN); WORK must not exist and is removed after.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { latestRun } from '../../engine/runs.js';
import { Session } from '../../engine/session.js';
import { registry } from '../../nodes/index.js';
import { lungGraphYaml } from './lung-graph.js';
import { scanFolders } from './scan-folders.js';

const { values } = parseArgs({
  options: { folder: { type: 'string' }, work: { type: 'string' }, scans: { type: 'string', default: '30,100,300' }, reps: { type: 'string', default: '5' } },
});
if (!values.folder || !values.work) throw new Error('usage: noop-scale.js --folder DIR --work WORK [--scans 30,100,300] [--reps 5]');
if (existsSync(values.work)) throw new Error(`--work ${values.work} exists: give a new folder`);
const sizes = values.scans!.split(',').map(Number);
const reps = Number(values.reps);
const COV19_FILES = 1.4e6;
const PEAK = 'noop-scale peak RSS KiB:';
const gc = (globalThis as { gc?: () => void }).gc;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}; Node ${process.version}`);

const all = scanFolders(resolve(values.folder));
if (all.length < Math.max(...sizes)) throw new Error(`${values.folder} has ${all.length} scan folders, fewer than ${Math.max(...sizes)}`);
const work = resolve(values.work);

interface Size { scans: number; files: number; file: string; runs: string; whole: string }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const subsets: Size[] = [];
  for (const n of sizes) {
    const root = join(work, `s${n}`);
    let files = 0;
    for (const f of all.slice(0, n)) {
      const to = join(root, relative(resolve(values.folder), f));
      mkdirSync(to, { recursive: true });
      for (const name of readdirSync(f)) {
        linkSync(join(f, name), join(to, name));
        files++;
      }
    }
    const file = join(work, `noop-${n}.yaml`);
    writeFileSync(file, lungGraphYaml(`noop-${n}`, root, { windowsOnly: true }));
    subsets.push({ scans: n, files, file, runs: join(work, `runs-${n}`), whole: join(work, `runs-whole-${n}`) });
  }
  for (const s of subsets) {
    const t0 = performance.now();
    await inProcess(s.runs, s.file, true);
    await inProcess(s.whole, s.file, false);
    console.log(`first runs, ${s.scans} scans (${s.files} files): ${((performance.now() - t0) / 1000).toFixed(1)} s for both caches (load ${load()})`);
  }
  // The CLI's peak RSS: a preloaded hook prints it to stderr as the process exits.
  const peakHook = join(work, 'peak-rss.cjs');
  writeFileSync(peakHook, `process.on('exit', () => process.stderr.write('\\n${PEAK} ' + process.resourceUsage().maxRSS + '\\n'));\n`);
  const per = new Map(subsets.map((s) => [s, { per: [] as Phases[], whole: [] as Phases[], cli: [] as number[], rss: [] as number[] }]));
  for (let r = 0; r < reps; r++) {
    for (const s of subsets) {
      const m = per.get(s)!;
      for (const [into, runs, perScan] of [[m.per, s.runs, true], [m.whole, s.whole, false]] as const) {
        const got = await inProcess(runs, s.file, perScan);
        if (got.ran) throw new Error(`the no-op rerun of ${s.scans} scans (${perScan ? 'per scan' : 'whole node'}) ran ${got.ran} nodes`);
        into.push(got);
      }
      const c = cli(s.runs, s.file, `noop-${s.scans}`, peakHook);
      m.cli.push(c.ms);
      m.rss.push(c.peakKiB);
    }
    console.log(`  round ${r + 1} of ${reps} done (load ${load()})`);
  }
  console.log(`\nno-op rerun, median of ${reps} (alternated); in process: a fresh Session, in brackets load+validate / plan (another fresh Session) / the rest`);
  console.log('scans | files | per scan, in process: wall (load / plan / rest), CPU | whole node, in process: the same | per scan / whole: wall, CPU | `ctflow run`, per scan: wall, peak RSS');
  for (const s of subsets) {
    const m = per.get(s)!;
    const p = medianPhases(m.per), w = medianPhases(m.whole);
    console.log(`${s.scans} | ${s.files} | ${ms(p.total)} (${ms(p.load)} / ${ms(p.plan)} / ${ms(p.total - p.load - p.plan)}), ${ms(p.cpu)} | ${ms(w.total)} (${ms(w.load)} / ${ms(w.plan)} / ${ms(w.total - w.load - w.plan)}), ${ms(w.cpu)} | ${(p.total / w.total).toFixed(2)}, ${(p.cpu / w.cpu).toFixed(2)} | ${ms(median(m.cli))}, ${(median(m.rss) / 1024).toFixed(0)} MiB`);
  }
  const fit = (ys: number[]) => leastSquares(subsets.map((s) => s.files), ys);
  for (const [what, ys] of subsets.length < 2 ? [] : [
    ['per scan, in process', subsets.map((s) => medianPhases(per.get(s)!.per).total)],
    ['whole node, in process', subsets.map((s) => medianPhases(per.get(s)!.whole).total)],
    ['per scan, in process, CPU', subsets.map((s) => medianPhases(per.get(s)!.per).cpu)],
    ['whole node, in process, CPU', subsets.map((s) => medianPhases(per.get(s)!.whole).cpu)],
    ['`ctflow run`, per scan', subsets.map((s) => median(per.get(s)!.cli))],
  ] as const) {
    const { a, b } = fit([...ys]);
    console.log(`${what}: ≈ ${ms(a)} + ${(b * 1000).toFixed(2)} µs a file; at 1.4 M files ≈ ${((a + b * COV19_FILES) / 1000).toFixed(1)} s`);
  }
  for (const s of gc ? subsets : []) {
    const p = medianPhases(per.get(s)!.per).held, w = medianPhases(per.get(s)!.whole).held;
    if (p !== undefined && w !== undefined) console.log(`held by a finished plan (heap + external after a full GC), ${s.files} files: per scan ${(p / 1024 ** 2).toFixed(1)} MiB (${(p / s.files).toFixed(0)} bytes a file), whole node ${(w / 1024 ** 2).toFixed(1)} MiB`);
  }
  if (subsets.length >= 2) {
    const { a, b } = fit(subsets.map((s) => median(per.get(s)!.rss) * 1024));
    console.log(`\`ctflow run\` no-op peak RSS: ≈ ${(a / 1024 ** 2).toFixed(0)} MiB + ${(b / 1024).toFixed(2)} kB a file; at 1.4 M files ≈ ${((a + b * COV19_FILES) / 1024 ** 3).toFixed(2)} GiB`);
  }
  console.log(`load average at end ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

interface Phases { load: number; plan: number; total: number; cpu: number; ran: number; held?: number }


/** Heap + external bytes in use after a full GC (undefined without --expose-gc). */
function inUse(): number | undefined {
  if (!gc) return undefined;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * A no-op rerun in a fresh Session (its wall time, ms; it must run no node), and where such a
 * rerun's time goes, from another fresh Session that loads and plans only: load and validate the
 * graph, then plan it (list the scans, stat every file, keys, manifests). The rest of the total is
 * the leaf checks and the run record.
 */
async function inProcess(runsDir: string, file: string, perScan: boolean): Promise<Phases> {
  const loaded = (s: Session) => {
    const { graph, issues } = s.load(file);
    if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
    return graph;
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const run = new Session({ runsDir, registry, perScan });
  const out = await run.run(loaded(run));
  const total = performance.now() - t0;
  const used = process.cpuUsage(c0);
  if (out.record.status !== 'ok') throw new Error(`run failed: ${JSON.stringify(out.record.nodes)}`);
  const planner = new Session({ runsDir, registry, perScan });
  const t1 = performance.now();
  const graph = loaded(planner);
  const before = inUse();
  const t2 = performance.now();
  const plan = await planner.plan(graph);
  const planMs = performance.now() - t2;
  const after = inUse();
  const held = before === undefined || after === undefined || plan.nodes.size === 0 ? undefined : after - before;
  return { load: t2 - t1, plan: planMs, total, cpu: (used.user + used.system) / 1000, ran: Object.values(out.record.nodes).filter((n) => n.status === 'ran').length, held };
}

/** Wall time (ms) and peak RSS (KiB, printed by the preloaded `peakHook`) of a fresh `ctflow run` (what a user runs: the summary and report.html written) that must run no node. */
function cli(runsDir: string, file: string, graph: string, peakHook: string): { ms: number; peakKiB: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', peakHook, resolve('bin/ctflow.cjs'), 'run', file, '--runs', runsDir, '--quiet'], { encoding: 'utf8' });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`ctflow run failed: ${r.stderr}`);
  const ran = Object.entries(latestRun(runsDir, graph)?.nodes ?? {}).filter(([, n]) => n.status === 'ran');
  if (ran.length) throw new Error(`the no-op rerun ran ${ran.map(([id]) => id).join(', ')}`);
  const peak = new RegExp(`${PEAK} (\\d+)`).exec(r.stderr);
  if (!peak) throw new Error(`ctflow run printed no peak RSS: ${r.stderr}`);
  return { ms: t, peakKiB: Number(peak[1]) };
}

function medianPhases(xs: Phases[]): Phases {
  const held = xs.map((x) => x.held).filter((h): h is number => h !== undefined);
  return { load: median(xs.map((x) => x.load)), plan: median(xs.map((x) => x.plan)), total: median(xs.map((x) => x.total)), cpu: median(xs.map((x) => x.cpu)), ran: 0, held: held.length ? median(held) : undefined };
}

function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`;
}

/** y ≈ a + b·x. */
function leastSquares(xs: number[], ys: number[]): { a: number; b: number } {
  const n = xs.length, mx = xs.reduce((s, x) => s + x, 0) / n, my = ys.reduce((s, y) => s + y, 0) / n;
  const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return { a: my - b * mx, b };
}
