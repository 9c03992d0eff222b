// Lung-area selection from a COV19-CT-DB-shaped JPEG folder (bench/scale/make-folder.ts writes one):
// the graph as users write it (image-folder → cropper → median-filter, threshold uncached →
// binary-dilation → area-window) through the ctflow command line on a fresh runs directory, then
// its no-op rerun, against the OpenCV anchor (jpeg_folder_lung.py, 2 processes) on the same folder
// in the same run. Prints machine, load and versions of both sides, and the ratios, and ctflow's
// rate over the first and the last tenth of the scans of its first run (from its --json progress
// events), to show whether it slows down as the run goes on.
// usage: node dist/bench/scale/lung-folder.js FOLDER [ANCHOR] [--windows-only]
//   CTFLOW_JPEG_WASM=0 (passed on to ctflow): decode every slice with sharp, as before the WebAssembly decoder;
//   CTFLOW_JPEG_NATIVE=0: the WebAssembly build on the workers, not the native addon.
//   ANCHOR: path of jpeg_folder_lung.py (or $CTFLOW_ANCHOR_LUNG); Debian's /usr/bin/python3 with python3-opencv runs it.
//   --windows-only: leave out the docs graph, whose cache is ≈ 12× the folder (≈ 75 GB for 85,000 slices).
import { lungGraphYaml } from './lung-graph.js';
import { jpegDecoderName } from '../../nodes/kernels/image-folder/chunk-reader.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const windowsOnly = process.argv.includes('--windows-only');
const [folderArg, anchorArg] = process.argv.slice(2).filter((x) => x !== '--windows-only');
const anchor = anchorArg ?? process.env.CTFLOW_ANCHOR_LUNG;
if (!folderArg || !anchor) {
  console.error('usage: node dist/bench/scale/lung-folder.js FOLDER [ANCHOR]   (ANCHOR: jpeg_folder_lung.py, or set $CTFLOW_ANCHOR_LUNG)');
  process.exit(2);
}
const folder = resolve(folderArg);
const python = process.env.CTFLOW_BENCH_PYTHON ?? '/usr/bin/python3';

/** Slice files and bytes under the folder; `perScan`: slice files per folder path under `root` (a scan id). */
function census(dir: string, root = dir, perScan = new Map<string, number>()): { files: number; bytes: number; perScan: Map<string, number> } {
  let files = 0, bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const c = census(p, root, perScan);
      files += c.files;
      bytes += c.bytes;
    } else if (/\.jpe?g$/i.test(e.name)) {
      files++;
      bytes += statSync(p).size;
      const id = relative(root, dir);
      perScan.set(id, (perScan.get(id) ?? 0) + 1);
    }
  }
  return { files, bytes, perScan };
}

/**
 * Slices/s over the first and the last tenth of the scans, in the order `node` finished them, from
 * `ctflow run --json` progress lines (each names the scan and its time): a run that slows down as
 * it goes shows a lower rate at its end.
 */
function rateOverRun(out: string, node: string, perScan: Map<string, number>): string {
  const done = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { t: string; event: string; node?: string; info?: string })
    .filter((e) => e.event === 'progress' && e.node === node && e.info !== undefined).map((e) => ({ t: Date.parse(e.t), slices: perScan.get(e.info!) ?? NaN }));
  const k = Math.max(1, Math.floor(done.length / 10));
  if (done.length < 2 * k + 1) return 'too few scans to compare';
  const rate = (from: number, to: number) => done.slice(from + 1, to + 1).reduce((s, d) => s + d.slices, 0) / ((done[to].t - done[from].t) / 1000);
  return `first ${k} scans ${rate(0, k).toFixed(0)} slices/s (after the first), last ${k} scans ${rate(done.length - 1 - k, done.length - 1).toFixed(0)} slices/s`;
}

/**
 * Run a command under /usr/bin/time: wall seconds, peak RSS (MiB), CPU seconds (user + system, its
 * child processes included: the anchor's workers), output.
 */
function timed(cmd: string, args: string[]): { s: number; rssMiB: number; cpu: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss-kib %M cpu-s %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const rss = /maxrss-kib (\d+)/.exec(r.stderr), cpu = /cpu-s ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { s, rssMiB: rss ? Number(rss[1]) / 1024 : NaN, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN, out: r.stdout + r.stderr };
}

const { files, bytes, perScan } = census(folder);
const version = (args: string[]) => spawnSync(args[0], args.slice(1), { encoding: 'utf8' }).stdout.trim();
const { default: sharp } = await import('sharp');
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const jpegDecoder = process.env.CTFLOW_JPEG_WASM !== '0'
  ? `on the lung pool's workers, ${jpegDecoderName()}`
  : 'none (CTFLOW_JPEG_WASM=0): sharp decodes every slice';
console.log(`ctflow: Node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}); JPEG decoder: ${jpegDecoder}`);
console.log(`anchor: ${version([python, '-c', 'import sys, cv2, numpy; print("Python", sys.version.split()[0], "OpenCV", cv2.__version__, "numpy", numpy.__version__)'])}`);
console.log(`folder: ${folder}: ${files} JPEG slices, ${(bytes / 1e6).toFixed(0)} MB`);

const dir = mkdtempSync(join(tmpdir(), 'ctflow-bench-scale-'));
const graph = join(dir, 'lung-folder.yaml');
writeFileSync(graph, lungGraphYaml('lung-folder', folder));
const cli = resolve('bin/ctflow.cjs');
const ctflow = (runs: string) => timed(process.execPath, [cli, 'run', graph, '--runs', runs, '--no-report', '--quiet']);
const duOf = (p: string) => Number(spawnSync('du', ['-sb', p], { encoding: 'utf8' }).stdout.split('\t')[0]);

try {
  const lean = join(dir, 'lean.yaml');
  writeFileSync(lean, lungGraphYaml('lung-folder-lean', folder, { windowsOnly: true }));
  const rows: [string, { s: number; rssMiB: number; cpu: number }][] = [];
  const a = timed(python, [anchor, folder, '2']);
  const m = /in ([\d.]+) s: (\d+) slices\/s/.exec(a.out);
  const anchorRate = m ? Number(m[2]) : NaN;
  const cpuMs = (r: { cpu: number }) => (1000 * r.cpu) / files;
  console.log(`anchor (OpenCV, 2 processes): ${a.out.split('\n')[0]}; whole command ${a.s.toFixed(1)} s, ${(files / a.s).toFixed(0)} slices/s, ` +
    `CPU ${cpuMs(a).toFixed(2)} ms a slice, peak RSS ${a.rssMiB.toFixed(0)} MiB (one process)`);
  let cache = NaN;
  if (!windowsOnly) {
    rows.push(['ctflow, graph as in docs/lung-area.md (scans, crop, lung, window stored), first run', ctflow(join(dir, 'runs'))]);
    cache = duOf(join(dir, 'runs', 'cache'));
    rows.push(['ctflow, the same, no-op rerun', ctflow(join(dir, 'runs'))]);
    rmSync(join(dir, 'runs'), { recursive: true, force: true });
  }
  const leanRun = (...how: string[]) => timed(process.execPath, [cli, 'run', lean, '--runs', join(dir, 'runs-lean'), '--no-report', ...how]);
  const first = leanRun('--json');
  rows.push(['ctflow, only the windows stored, first run', first]);
  const leanCache = duOf(join(dir, 'runs-lean', 'cache'));
  rows.push(['ctflow, only the windows stored, no-op rerun', leanRun('--quiet')]);
  for (const [what, r] of rows) {
    const rate = what.includes('no-op') ? '' : `, ${(files / r.s).toFixed(0)} slices/s (whole command)`;
    // CPU a slice (whole commands, every thread): what bounds either side on a busy machine, and what
    // this VM's speed changes least (the anchor's rate moved 718 → 1,039 slices/s between sittings of one session)
    const ratio = what.includes('no-op') ? '' : `; ${(files / r.s / anchorRate).toFixed(2)}× the anchor's ${anchorRate} slices/s (${(a.s / r.s).toFixed(2)}× its whole command); ` +
      `CPU ${cpuMs(r).toFixed(2)} ms a slice, the anchor's ${cpuMs(a).toFixed(2)}: ${(cpuMs(a) / cpuMs(r)).toFixed(2)}× its CPU efficiency`;
    console.log(`${what}: ${r.s.toFixed(2)} s${rate}, peak RSS ${r.rssMiB.toFixed(0)} MiB${ratio}`);
  }
  if (!windowsOnly) console.log(`cache after the docs graph's first run: ${(cache / 1e9).toFixed(2)} GB = ${(cache / bytes).toFixed(1)}× the folder`);
  console.log(`ctflow, windows only, first run, over the run: ${rateOverRun(first.out, 'window', perScan)}`);
  console.log(`cache after the windows-only first run: ${(leanCache / 1e6).toFixed(2)} MB = ${(leanCache / bytes).toFixed(5)}× the folder`);
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
