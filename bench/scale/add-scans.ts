// Per-scan cache partitions on a COV19-CT-DB-shaped JPEG folder (bench/scale/make-folder.ts writes
// it): the lung-window graph of bench/scale/lung-folder.ts run once, then (1) its no-op rerun with
// per-scan partitions against the whole-node cache (the anchor: what ctflow did before, measured
// here on the same folder), and (2) the rerun after ADD scans are copied in, against the no-op
// plus 1.2 × the time of those scans alone (a fresh run over a folder holding only them). All in
// this process (Session API, a fresh session per run), the no-op times alternated, best of REPS. Prints machine, load, versions.
// usage: node dist/bench/scale/add-scans.js [--scans 12] [--add 3] [--size 64] [--reps 8]   (--size: of the generated folder)
//        node dist/bench/scale/add-scans.js --folder DIR --work WORK [--add 10] [--reps 5] [--fused]   (new scans at the folder's slice size)
// --folder: an existing make-folder.js folder (read-only: it is hard-linked into WORK/copy, ADD new
// scans are written beside it and copied into the copy); --fused: the lung-window.yaml shape, every
// pixel node unstored (cache: false) and only the windows stored, per scan (what fits on disk at
// 85,000 slices of 512²: the stored source alone would be ≈ 44 GB).
import { lungGraphYaml } from './lung-graph.js';
import { scanFolders } from './scan-folders.js';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Session } from '../../engine/session.js';
import { registry } from '../../nodes/index.js';

const { values } = parseArgs({
  options: {
    scans: { type: 'string', default: '12' }, add: { type: 'string', default: '3' }, size: { type: 'string' }, reps: { type: 'string', default: '8' },
    folder: { type: 'string' }, work: { type: 'string' }, fused: { type: 'boolean', default: false },
  },
});
const scans = Number(values.scans), add = Number(values.add), reps = Number(values.reps);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const { default: sharp } = await import('sharp');
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}`);
console.log(`Node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`);

if (values.folder && !values.work) throw new Error('--folder needs --work DIR (a scratch folder for the copy, the new scans and the runs)');
if (values.work && existsSync(values.work)) throw new Error(`--work ${values.work} exists: give a new folder`);
const dir = values.work ?? mkdtempSync(join(tmpdir(), 'ctflow-bench-add-'));
try {
  const data = join(dir, values.folder ? 'copy' : 'data');
  const held = join(dir, 'held');
  const later: string[] = [];
  if (values.folder) {
    // A hard-linked copy of the folder (its files are never written), and ADD new scans beside it,
    // renamed ct_scan_added_K so that their ids are new.
    mkdirSync(dir, { recursive: true });
    const cp = spawnSync('cp', ['-al', resolve(values.folder), data], { encoding: 'utf8' });
    if (cp.status !== 0) throw new Error(`cp -al failed: ${cp.stderr}`);
    // The new scans are written at the folder's slice size (that of its first slice), not a default.
    const first = scanFolders(data)[0];
    const { width } = await sharp(join(first, readdirSync(first)[0])).metadata();
    if (values.size && Number(values.size) !== width) throw new Error(`--size ${values.size} but ${values.folder} holds slices of ${width}²: leave --size out`);
    values.size = String(width);
    const fresh = join(dir, 'fresh');
    const made = spawnSync(process.execPath, [resolve('dist/bench/scale/make-folder.js'), fresh, '--scans', String(add), '--size', values.size, '--seed', '2'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`make-folder failed:\n${made.stderr}`);
    for (const f of scanFolders(fresh)) {
      const to = join(held, relative(fresh, dirname(f)), basename(f).replace(/^ct_scan_/, 'ct_scan_added_'));
      mkdirSync(dirname(to), { recursive: true });
      renameSync(f, to);
      later.push(join(data, relative(held, to)));
    }
  } else {
    values.size ??= '64';
    const made = spawnSync(process.execPath, [resolve('dist/bench/scale/make-folder.js'), data, '--scans', String(scans + add), '--size', values.size], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`make-folder failed:\n${made.stderr}`);
    // The last ADD scan folders wait aside, to be copied in later.
    for (const f of scanFolders(data).slice(-add)) {
      mkdirSync(dirname(join(held, relative(data, f))), { recursive: true });
      renameSync(f, join(held, relative(data, f)));
      later.push(f);
    }
  }
  const files = (root: string) => scanFolders(root).reduce((a, f) => a + readdirSync(f).length, 0);
  console.log(`folder: ${scanFolders(data).length} scans, ${files(data)} JPEG slices of ${values.size}²; ${add} scans (${files(held)} slices) added later; graph: ${values.fused ? 'fused, windows stored' : 'lung-graph.ts'}`);

  const graph = (path: string) => {
    const file = join(dir, `g-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, values.fused ? fusedGraphYaml(path) : lungGraphYaml('add-scans', path));
    return file;
  };
  const run = async (s: Session, file: string): Promise<number> => {
    const t0 = performance.now();
    const { graph: g, issues } = s.load(file);
    if (!g) throw new Error(issues.map((i) => i.message).join('\n'));
    const out = await s.run(g);
    if (out.record.status !== 'ok') throw new Error(`run failed: ${JSON.stringify(out.record.nodes)}`);
    return (performance.now() - t0) / 1000;
  };
  const file = graph(data);
  const per = new Session({ runsDir: join(dir, 'runs'), registry });
  const whole = new Session({ runsDir: join(dir, 'runs-whole'), registry, perScan: false });
  const firstPer = await run(per, file);
  const firstWhole = await run(whole, file);
  console.log(`first run: per-scan ${firstPer.toFixed(2)} s, whole-node ${firstWhole.toFixed(2)} s (ratio ${(firstPer / firstWhole).toFixed(2)})`);
  // Alternated, best of REPS each: a loaded machine slows both alike.
  let noopPer = Infinity, noopWhole = Infinity;
  for (let i = 0; i < reps; i++) {
    const p = await run(new Session({ runsDir: join(dir, 'runs'), registry }), file);
    const w = await run(new Session({ runsDir: join(dir, 'runs-whole'), registry, perScan: false }), file);
    console.log(`  no-op ${i + 1}: per-scan ${(p * 1000).toFixed(0)} ms, whole-node ${(w * 1000).toFixed(0)} ms (load ${load()})`);
    noopPer = Math.min(noopPer, p);
    noopWhole = Math.min(noopWhole, w);
  }
  console.log(`no-op rerun (best of ${reps}): per-scan ${(noopPer * 1000).toFixed(0)} ms, whole-node ${(noopWhole * 1000).toFixed(0)} ms: ratio ${(noopPer / noopWhole).toFixed(2)} (≤ 1: no slower)`);

  for (const f of later) cpSync(join(held, relative(data, f)), f, { recursive: true });
  console.log(`load average before adding ${load()}`);
  const added = await run(per, file);
  const alone = await run(new Session({ runsDir: join(dir, 'runs-alone'), registry }), graph(held));
  const bound = noopPer + 1.2 * alone;
  console.log(`after adding ${add} scans: rerun ${added.toFixed(2)} s; those scans alone ${alone.toFixed(2)} s; ` +
    `no-op + 1.2 × alone = ${bound.toFixed(2)} s: ratio ${(added / bound).toFixed(2)} (≤ 1 meets the bound)`);
  console.log(`load average at end ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** lung-window.yaml over a JPEG folder: only the windows are stored. */
function fusedGraphYaml(folder: string): string {
  return lungGraphYaml('add-scans', folder, { windowsOnly: true });
}
