// Cache bytes / dataset bytes over a COV19-CT-DB-shaped JPEG folder (bench/scale/make-folder.ts),
// for the node settings the shipped graphs store: graphs/lung-window.yaml (its synthetic source
// replaced by image-folder over the folder, not stored: the files are the cache, as in
// two-step.yaml) and graphs/two-step.yaml up to the embedder (training shortened: the model's
// size does not depend on it). Runs each through the CLI on a fresh runs directory, then prints
// every stored entry's bytes, the ratio to the folder's bytes, and the no-op rerun's time.
// usage: node dist/bench/scale/cache-size.js FOLDER
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';

const folderArg = process.argv[2];
if (!folderArg) {
  console.error('usage: node dist/bench/scale/cache-size.js FOLDER');
  process.exit(2);
}
const folder = resolve(folderArg);

/** Bytes of every file under `dir`. */
function bytesUnder(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    bytes += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return bytes;
}

type Nodes = Record<string, { kind: string; params?: Record<string, unknown>; cache?: boolean; in?: unknown }>;

/** The shipped graph's nodes (up to `last`, when given), reading the folder through an unstored image-folder source. */
function overFolder(file: string, last?: string): Nodes {
  const nodes = (parse(readFileSync(file, 'utf8')) as { nodes: Nodes }).nodes;
  const ids = Object.keys(nodes);
  const kept = last ? ids.slice(0, ids.indexOf(last) + 1) : ids;
  const out = Object.fromEntries(kept.map((id) => [id, nodes[id]]));
  out.scans = { kind: 'image-folder', params: { path: folder }, cache: false };
  return out;
}

const SHORT_TRAINING = { resolution: 32, epochs: 1, stepsPerEpoch: 1 };
const dataBytes = bytesUnder(folder);
const dir = mkdtempSync(join(tmpdir(), 'ctflow-bench-cache-'));
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; Node ${process.version}`);
console.log(`folder: ${folder}: ${(dataBytes / 1e6).toFixed(1)} MB`);
try {
  const twoStep = overFolder('graphs/two-step.yaml', 'embed');
  twoStep.cnn.params = { ...twoStep.cnn.params, ...SHORT_TRAINING };
  const graphs: [string, Nodes][] = [['lung-window.yaml', overFolder('graphs/lung-window.yaml')], ['two-step.yaml up to embed', twoStep]];
  for (const [what, nodes] of graphs) {
    const file = join(dir, 'g.yaml'), runs = join(dir, 'runs');
    writeFileSync(file, stringify({ name: 'cache-size', seed: 7, nodes }));
    const run = () => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [resolve('bin/ctflow.cjs'), 'run', file, '--runs', runs, '--no-report', '--quiet'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}`);
      return (performance.now() - t0) / 1000;
    };
    const first = run(), noop = run();
    const record = readdirSync(join(runs, 'records')).map((d) => JSON.parse(readFileSync(join(runs, 'records', d, 'record.json'), 'utf8')))
      .find((r) => Object.values(r.nodes as Record<string, { status: string }>).some((n) => n.status === 'ran'));
    const cache = bytesUnder(join(runs, 'cache'));
    console.log(`${what}: first run ${first.toFixed(1)} s, no-op rerun ${noop.toFixed(2)} s; cache ${(cache / 1e6).toFixed(2)} MB = ${(cache / dataBytes).toFixed(4)}× the folder`);
    for (const [id, n] of Object.entries(record.nodes as Record<string, { key: string }>)) {
      const entry = join(runs, 'cache', n.key.slice(0, 2), n.key);
      const stored = statSync(entry, { throwIfNoEntry: false }) ? bytesUnder(entry) : 0;
      console.log(`  ${id.padEnd(8)} ${nodes[id].cache === false ? 'not stored' : `${(stored / 1e6).toFixed(3)} MB`}`);
    }
    rmSync(runs, { recursive: true, force: true });
  }
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
