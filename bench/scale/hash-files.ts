// The first run's fingerprints (engine/fingerprint.ts: every input file read and sha256-hashed,
// blocking reads into one reused buffer) against the way session 7 read them (the anchor, here:
// a stat, then open + fstat + a ReadStream a file, awaited chunk by chunk) on the same files in
// the same run: the first SCANS scans of a make-folder.js JPEG folder, and their DICOM copy
// (dicom-folder.js's DICOM_DIR; written from the JPEG folder if missing, and kept). Both read from
// the page cache (a pass of each before the clock); REPS alternated rounds, medians of the CPU time
// (user + system: on a loaded machine the steadier figure) and wall time. The digests of both
// must be equal (and a sample equal to sha256sum's). Prints machine, load, Node.
// usage: node dist/bench/scale/hash-files.js --jpeg FOLDER --dicom-dir DIR [--scans 8] [--reps 5]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FileFingerprints } from '../../engine/fingerprint.js';
import { writeDicomSeries } from '../engine/dicom-files.js';
import { jpegScansAsHu } from './dicom-copy.js';
import { scanFolders } from './scan-folders.js';

const { values } = parseArgs({ options: { jpeg: { type: 'string' }, 'dicom-dir': { type: 'string' }, scans: { type: 'string', default: '8' }, reps: { type: 'string', default: '5' } } });
if (!values.jpeg || !values['dicom-dir']) throw new Error('usage: hash-files.js --jpeg FOLDER --dicom-dir DIR [--scans 8] [--reps 5]');
const scans = Number(values.scans);
const reps = Number(values.reps);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}; Node ${process.version}`);

const jpegRoot = resolve(values.jpeg);
const dicomDir = resolve(values['dicom-dir']);
if (!existsSync(dicomDir)) {
  const n = await writeDicomSeries(dicomDir, jpegScansAsHu(jpegRoot, scans));
  console.log(`wrote ${n} DICOM slices of the first ${scans} scans of ${jpegRoot} to ${dicomDir}`);
}
const filesIn = (dirs: string[]) => dirs.flatMap((d) => readdirSync(d).map((n) => join(d, n))).filter((f) => statSync(f).isFile());
const sets = [
  { name: `JPEG, the first ${scans} scans of ${jpegRoot}`, files: filesIn(scanFolders(jpegRoot).slice(0, scans)) },
  { name: `DICOM, ${dicomDir}`, files: readdirSync(dicomDir, { recursive: true }).map((n) => join(dicomDir, String(n))).filter((f) => statSync(f).isFile()) },
];

/** Session 7's way, the anchor: a stat, then open, fstat and a ReadStream, awaited chunk by chunk. */
async function anchorHashes(files: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of [...files].sort()) {
    statSync(f, { throwIfNoEntry: false });
    const fd = openSync(f, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      fstatSync(fd);
      const h = createHash('sha256');
      for await (const chunk of createReadStream('', { fd, start: 0, autoClose: false })) h.update(chunk as Buffer);
      out.push(h.digest('hex'));
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

/** The engine's first run: a fresh memo, so every file is read and hashed. */
async function engineHashes(files: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ctflow-hash-bench-'));
  try {
    return (await new FileFingerprints(join(dir, 'fingerprints.json')).hashes(files, (f) => f)).entries().map(([, h]) => h);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timed(f: () => Promise<string[]>): Promise<{ cpu: number; wall: number; digests: string[] }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const digests = await f();
  const u = process.cpuUsage(c0);
  return { cpu: (u.user + u.system) / 1000, wall: performance.now() - t0, digests };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const set of sets) {
  const bytes = set.files.reduce((a, f) => a + statSync(f).size, 0);
  const a0 = await anchorHashes(set.files);
  const e0 = await engineHashes(set.files);
  if (a0.join() !== e0.join()) throw new Error(`${set.name}: the engine's digests differ from the anchor's`);
  if (set.files.length === 0) throw new Error(`${set.name}: no files`);
  const sample = [...set.files].sort().slice(0, 20);
  const sum = spawnSync('sha256sum', sample, { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
  if (sum.join() !== e0.slice(0, 20).join()) throw new Error(`${set.name}: the engine's digests differ from sha256sum's`);
  const anchor: { cpu: number; wall: number }[] = [];
  const engine: { cpu: number; wall: number }[] = [];
  for (let r = 0; r < reps; r++) {
    anchor.push(await timed(() => anchorHashes(set.files)));
    engine.push(await timed(() => engineHashes(set.files)));
  }
  const [ac, ec, aw, ew] = [anchor.map((x) => x.cpu), engine.map((x) => x.cpu), anchor.map((x) => x.wall), engine.map((x) => x.wall)].map(median);
  const perFile = (ms: number) => `${((ms / set.files.length) * 1000).toFixed(0)} µs`;
  console.log(`\n${set.name}: ${set.files.length} files, ${(bytes / 1e6).toFixed(0)} MB (${(bytes / set.files.length / 1024).toFixed(0)} KiB a file); digests equal to the anchor's and sha256sum's`);
  console.log(`  CPU, median of ${reps}: anchor ${ac.toFixed(0)} ms (${perFile(ac)} a file), engine ${ec.toFixed(0)} ms (${perFile(ec)} a file): engine / anchor ${(ec / ac).toFixed(2)}; ${(bytes / 1e6 / (ec / 1000)).toFixed(0)} MB/s of CPU`);
  console.log(`  wall, median of ${reps}: anchor ${aw.toFixed(0)} ms, engine ${ew.toFixed(0)} ms: engine / anchor ${(ew / aw).toFixed(2)} (load ${load()})`);
}
