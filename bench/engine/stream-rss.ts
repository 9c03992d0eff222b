// Bench: peak RSS against the number of scans, for the shipped source kinds at 512² (synthetic-ct,
// image-folder, dicom-series) into the lung-area chain (cropper, median-filter, threshold,
// binary-dilation, area-window), each "stored" (every node cached) and "fused" (source to
// threshold uncached, fused into the stored binary-dilation and area-window), plus the toy graph
// (64×256² through 3 fused stream nodes). Each size runs in its own process, `repeats` times; the
// median peak is compared (goal: large/small ≤ 1.2 and under 2 GiB). What grows with the number of
// scans (a batch or a scan's bookkeeping kept per scan, the allocator's fragmentation from one scan's
// buffers to the next) shows at any slice count, so 20–40 slices keep a 300-scan run to minutes;
// what grows with a scan's size (the scans in flight: `concurrency` of them, each with its stages)
// is measured apart: --big N runs each graph over 3 scans of N slices (all in flight are that big;
// 700 is the real dataset's largest), once, and checks that peak is under 2 GiB too.
// The JPEG and DICOM data are written once under --dir (made from synthetic-ct scans) and reused;
// run directories are removed.
//   node dist/bench/engine/stream-rss.js [--scans 30,300] [--slices 20,40] [--repeats 3] [--big 700]
//     [--graphs synthetic-ct/stored,image-folder/fused,…,toy/fused] [--dir /tmp/ctflow-bench] [--smaps]
// --smaps also splits the resident memory at the sampled top by mapping (/proc/self/smaps, Linux):
// the main malloc heap ([heap]), 64 MiB-aligned anonymous mappings of at most 64 MiB (glibc's
// per-thread arenas, and any V8 page that happens to be aligned so), other anonymous mappings of
// 1 MiB or more (buffers glibc mmaps on their own, V8's large objects), smaller anonymous ones
// (V8 pages, stacks) and files (code, the store's mapped reads).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { residentByMapping } from './smaps.js';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeJpegFolder } from '../../nodes/kernels/jpeg-folder-writer.js';
import { runFile, session, writeGraph } from '../../test/helpers/engine.js';
import { writeDicomSeries } from './dicom-files.js';

const SOURCES = ['synthetic-ct', 'image-folder', 'dicom-series'] as const;
const ALL_GRAPHS = [...SOURCES.flatMap((s) => [`${s}/stored`, `${s}/fused`]), 'toy/fused'];

const { values: opt } = parseArgs({
  options: {
    scans: { type: 'string', default: '30,300' },
    slices: { type: 'string', default: '20,40' },
    big: { type: 'string', default: '700' },
    repeats: { type: 'string', default: '3' },
    graphs: { type: 'string', default: ALL_GRAPHS.join(',') },
    dir: { type: 'string', default: '/tmp/ctflow-bench' },
    smaps: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});
type Range = [number, number];
const SLICES = opt.slices.split(',').map(Number) as Range;
const BIG_SCANS = 3;
const dataDir = (scans: number, slices: Range) => join(opt.dir, 'data', `${scans}x${slices.join('-')}`);

function graph(name: string, scans: number, slices: Range): string {
  const [source, mode] = name.split('/');
  if (source === 'toy') {
    return `name: rss-toy
nodes:
  scans: { kind: toy-scans, params: { scans: ${scans}, slices: 64, size: 256 }, cache: false }
  a: { kind: scale, in: { slices: scans }, params: { factor: 1 }, cache: false }
  b: { kind: scale, in: { slices: a }, params: { factor: 2 }, cache: false }
  c: { kind: scale, in: { slices: b }, params: { factor: 0.5 }, cache: false }
  mean: { kind: scan-mean, in: { slices: c } }
`;
  }
  const params = source === 'synthetic-ct' ? `{ scans: ${scans}, slices: [${slices}], size: 512 }`
    : `{ path: ${join(dataDir(scans, slices), source === 'image-folder' ? 'jpeg' : 'dicom')} }`;
  const cache = mode === 'stored';
  return `name: rss-${source}-${mode}
seed: 11
nodes:
  scans:  { kind: ${source}, params: ${params}, cache: ${cache} }
  crop:   { kind: cropper, in: { slices: scans }, cache: ${cache} }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: ${cache} }
  mask:   { kind: threshold, in: { slices: median }, cache: ${cache} }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: 0.5 } }
`;
}

/** In a child: write the JPEG and DICOM folders of `scans` synthetic-ct scans (once). */
async function prepare(scans: number, slices: Range) {
  const dir = dataDir(scans, slices);
  if (existsSync(join(dir, 'done'))) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const s = session(join(dir, 'runs'));
  const out = await runFile(s, writeGraph(dir, 'g.yaml', `name: rss-data\nseed: 11\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: ${scans}, slices: [${slices}], size: 512 } }\n`));
  const key = out.plan.nodes.get('scans')!.key;
  const found = s.store.lookup(key);
  if (!found.hit) throw new Error(`data run stored nothing: ${found.reason}`);
  const reader = await s.store.reader(s.store.entryDir(key), found.manifest, 'slices');
  await writeJpegFolder(join(dir, 'jpeg'), reader);
  await writeDicomSeries(join(dir, 'dicom'), reader);
  await reader.close();
  rmSync(join(dir, 'runs'), { recursive: true, force: true });
  writeFileSync(join(dir, 'done'), `${reader.numRows} slices\n`);
}

/**
 * In a child: run one graph in a fresh runs directory; print the peak RSS, the slices seen, and
 * (sampled every 100 ms) the V8 heap and ArrayBuffer bytes at the highest RSS sampled: RSS well
 * above heap + ArrayBuffers is memory the allocator keeps (or native code holds), not JS objects.
 */
async function measure(name: string, scans: number, slices: Range) {
  const runs = join(opt.dir, `runs-${process.pid}`);
  let top = { rss: 0, heap: 0, buffers: 0, maps: {} as Record<string, number> };
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > top.rss) top = { rss: m.rss, heap: m.heapTotal, buffers: m.arrayBuffers, maps: opt.smaps ? residentByMapping() : {} };
  }, 100);
  try {
    const out = await runFile(session(runs), writeGraph(opt.dir, `${process.pid}.yaml`, graph(name, scans, slices)));
    if (out.record.status !== 'ok') throw new Error(`run failed: ${JSON.stringify(out.record.nodes)}`);
    const first = name.startsWith('toy') ? 'mean' : 'lung';
    const mib = (b: number) => b / 2 ** 20;
    console.log(JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, heapMiB: mib(top.heap), buffersMiB: mib(top.buffers), maps: top.maps, rows: out.record.nodes[first].rows }));
  } finally {
    clearInterval(sample);
    rmSync(runs, { recursive: true, force: true });
    rmSync(join(opt.dir, `${process.pid}.yaml`), { force: true });
  }
}

function child(...args: string[]): string {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2), '--child', args.join(':')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').pop()!;
}

if (opt.child) {
  const [what, ...rest] = opt.child.split(':');
  const range = (r: string) => r.split('-').map(Number) as Range;
  if (what === 'prepare') await prepare(Number(rest[0]), range(rest[1]));
  else await measure(rest[0], Number(rest[1]), range(rest[2]));
} else {
  mkdirSync(opt.dir, { recursive: true });
  const sizes = opt.scans.split(',').map(Number);
  const repeats = Number(opt.repeats);
  const graphs = opt.graphs.split(',');
  const big = Number(opt.big);
  const bigSlices: Range = [big, big];
  // the checkout this script was built from, wherever it runs (an A/B runs two builds from one folder)
  const here = dirname(fileURLToPath(import.meta.url));
  const commit = execFileSync('git', ['-C', here, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  const arrow = (JSON.parse(readFileSync(join(here, '../../../node_modules/apache-arrow/package.json'), 'utf8')) as { version: string }).version;
  console.log(`${cpus()[0].model}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version}, apache-arrow ${arrow}, ctflow ${commit}`);
  console.log(`scans ${sizes.join(' vs ')}, slices ${SLICES.join('–')} per scan (toy: 64), median of ${repeats} processes each` +
    `${big ? `; then ${BIG_SCANS} scans of ${big} slices, once` : ''}; data and runs under ${opt.dir}`);
  if (graphs.some((g) => !g.startsWith('synthetic-ct') && !g.startsWith('toy'))) {
    for (const n of sizes) child('prepare', String(n), SLICES.join('-'));
    if (big) child('prepare', String(BIG_SCANS), bigSlices.join('-'));
  }
  type Peak = { maxRssMiB: number; heapMiB: number; buffersMiB: number; maps: Record<string, number>; rows: Record<string, number> };
  const mapping = (p: Peak) => Object.entries(p.maps).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  const peaksOf = (name: string, n: number, slices: Range, times: number) => {
    const peaks = Array.from({ length: times }, (_, k) => {
      const p = JSON.parse(child('measure', name, String(n), slices.join('-'))) as Peak;
      // each process's figures as it ends: a long run stopped part of the way still leaves them
      console.log(`    ${name} ${n} scans, process ${k + 1} of ${times}: peak RSS ${p.maxRssMiB.toFixed(0)} MiB (load ${loadavg()[0].toFixed(1)})` +
        (opt.smaps ? `; at the sampled top heap + ArrayBuffers ${p.heapMiB.toFixed(0)}+${p.buffersMiB.toFixed(0)} MiB, by mapping ${mapping(p)}` : ''));
      return p;
    });
    const sorted = peaks.map((p) => p.maxRssMiB).sort((x, y) => x - y);
    const js = peaks.map((p) => `${p.heapMiB.toFixed(0)}+${p.buffersMiB.toFixed(0)}`).join(', ');
    console.log(`  ${name.padEnd(22)} ${String(n).padStart(4)} scans of ${slices[0]}–${slices[1]} slices (${Object.values(peaks[0].rows)[0]} rows): peak RSS ${sorted.map((v) => v.toFixed(0)).join(', ')} MiB; ` +
      `heap + ArrayBuffers at the sampled top ${js} MiB; load ${loadavg()[0].toFixed(1)}`);
    if (opt.smaps) for (const p of peaks) console.log(`    resident by mapping at the sampled top (MiB): ${mapping(p)}`);
    return sorted[Math.floor(sorted.length / 2)];
  };
  for (const name of graphs) {
    const medians = sizes.map((n) => peaksOf(name, n, SLICES, repeats));
    const ratio = medians[medians.length - 1] / medians[0];
    const ok = ratio <= 1.2 && medians[medians.length - 1] < 2048;
    console.log(`${name.padEnd(24)} median ${medians.map((m) => m.toFixed(0)).join(' vs ')} MiB; ratio ${ratio.toFixed(2)} (goal ≤ 1.2, < 2048 MiB: ${ok ? 'met' : 'NOT met'})`);
    if (big && !name.startsWith('toy')) {
      const peak = peaksOf(name, BIG_SCANS, bigSlices, 1);
      console.log(`${name.padEnd(24)} ${BIG_SCANS} scans of ${big} slices: ${peak.toFixed(0)} MiB (goal < 2048 MiB: ${peak < 2048 ? 'met' : 'NOT met'})`);
    }
  }
  console.log(`load at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
