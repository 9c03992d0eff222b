// Lung-area selection from a folder of DICOM series against pydicom + the same OpenCV pipeline
// (dicom_folder_lung.py) on the same files in the same run. The series are a DICOM copy of the
// first --scans scans of a COV19-CT-DB-shaped JPEG folder (bench/scale/make-folder.ts writes one):
// each slice decoded as image-folder decodes it, its HU written as uncompressed int16 CT DICOM
// (bench/engine/dicom-files.ts), once, into DICOM_DIR. Then: the anchor (2 processes), and
// `ctflow run` of dicom-series → cropper → median-filter, threshold (uncached) → binary-dilation
// → area-window with only the windows stored (dicom-series cached per series: planning reads the
// headers once, then the header memo), its no-op rerun, CPU a slice against the anchor's, and a
// rerun with one series added (its headers read, its scan computed). Prints machine, load, versions.
//
//   npm run build && node dist/bench/scale/dicom-folder.js JPEG_FOLDER DICOM_DIR IMPLS_DIR [--scans 20]
//   IMPLS_DIR: the folder of the preprocess anchor's impls.py (beside jpeg_folder_lung.py).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeDicomSeries } from '../engine/dicom-files.js';
import { jpegScansAsHu } from './dicom-copy.js';
import { lungGraphYaml } from './lung-graph.js';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { scans: { type: 'string', default: '20' }, python: { type: 'string', default: '/usr/bin/python3' } } });
if (positionals.length !== 3) {
  console.error('usage: node dist/bench/scale/dicom-folder.js JPEG_FOLDER DICOM_DIR IMPLS_DIR [--scans 20]');
  process.exit(2);
}
const [jpegRoot, dicomDir, implsDir] = positionals.map((p) => resolve(p));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

if (!existsSync(dicomDir)) {
  const t0 = performance.now();
  const n = await writeDicomSeries(dicomDir, jpegScansAsHu(jpegRoot, Number(a.scans)));
  console.log(`wrote ${n} DICOM slices of the first ${a.scans} scans to ${dicomDir} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
const du = (p: string) => Number(spawnSync('du', ['-sb', p], { encoding: 'utf8' }).stdout.split('\t')[0]);
const files = Number(spawnSync('sh', ['-c', `find "${dicomDir}" -name '*.dcm' | wc -l`], { encoding: 'utf8' }).stdout);
const version = (code: string) => spawnSync(a.python!, ['-c', code], { encoding: 'utf8' }).stdout.trim();
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}`);
console.log(`ctflow: Node ${process.version}; anchor: ${version('import sys, cv2, pydicom, numpy; print("Python", sys.version.split()[0], "pydicom", pydicom.__version__, "OpenCV", cv2.__version__, "numpy", numpy.__version__)')}`);
console.log(`folder: ${dicomDir}: ${files} DICOM slices, ${(du(dicomDir) / 1e6).toFixed(0)} MB`);

/** Wall time, peak RSS and CPU seconds (user + system, children included: the anchor's pool, ctflow's workers). */
function timed(cmd: string, args: string[]): { s: number; rssMiB: number; cpu: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss-kib %M cpu-s %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const m = /maxrss-kib (\d+) cpu-s ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { s: (performance.now() - t0) / 1000, rssMiB: m ? Number(m[1]) / 1024 : NaN, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, out: r.stdout + r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'ctflow-bench-dicom-'));
try {
  const graph = join(dir, 'dicom-lung.yaml');
  writeFileSync(graph, lungGraphYaml('dicom-lung', dicomDir, { source: 'dicom-series', windowsOnly: true }));
  const anchor = timed(a.python!, [fileURLToPath(new URL('../../../bench/scale/dicom_folder_lung.py', import.meta.url)), dicomDir, '2', implsDir]);
  const m = /in ([\d.]+) s: (\d+) slices\/s/.exec(anchor.out);
  const anchorRate = m ? Number(m[2]) : NaN;
  console.log(`anchor (pydicom + OpenCV, 2 processes): ${anchor.out.split('\n')[0]}; whole command ${anchor.s.toFixed(1)} s, ${(files / anchor.s).toFixed(0)} slices/s`);
  const run = () => timed(process.execPath, [resolve('bin/ctflow.cjs'), 'run', graph, '--runs', join(dir, 'runs'), '--no-report', '--quiet']);
  const first = run();
  console.log(`ctflow, only the windows stored, first run: ${first.s.toFixed(2)} s, ${(files / first.s).toFixed(0)} slices/s (whole command), peak RSS ${first.rssMiB.toFixed(0)} MiB; ` +
    `${(files / first.s / anchorRate).toFixed(2)}× the anchor's ${anchorRate} slices/s (${(anchor.s / first.s).toFixed(2)}× its whole command)`);
  const noop = run();
  console.log(`ctflow, no-op rerun: ${noop.s.toFixed(2)} s, peak RSS ${noop.rssMiB.toFixed(0)} MiB`);
  // CPU a slice (whole commands, both on 2 cores): what a loaded machine changes least
  const perSlice = (cpu: number) => `${((cpu / files) * 1000).toFixed(2)} ms`;
  console.log(`CPU a slice, whole command: anchor ${perSlice(anchor.cpu)}, ctflow first run ${perSlice(first.cpu)} (anchor / ctflow ${(anchor.cpu / first.cpu).toFixed(2)})`);
  // the same with one series more (its header read, its scan computed; the rest cached)
  const extra = join(dicomDir, 'zz-added-series');
  rmSync(extra, { recursive: true, force: true });
  const added = await writeDicomSeries(extra, jpegScansAsHu(jpegRoot, 1), 1_000_000);
  try {
    const add = run();
    console.log(`ctflow, one series of ${added} slices added: ${add.s.toFixed(2)} s (${/window\s+[^\n]*scans? new[^\n]*/.exec(add.out)?.[0].replace(/\s+/g, ' ') ?? 'ctflow printed no window line'})`);
  } finally {
    rmSync(extra, { recursive: true, force: true });
  }
  console.log(`load average at end ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
