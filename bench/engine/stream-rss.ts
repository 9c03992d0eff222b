// Bench: peak RSS streaming 10 vs 100 scans (64 slices of 256² int16 each) through 3 stream
// nodes (fused, not stored) into a per-scan summary. Each size runs in its own process, three
// times (a peak depends on when the collector runs: one run of 10 scans ranged 189-226 MiB).
//   node dist/bench/engine/stream-rss.js
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFile, session, tempDir, writeGraph } from '../../test/helpers/engine.js';

const graph = (scans: number) => `name: rss
nodes:
  scans: { kind: toy-scans, params: { scans: ${scans}, slices: 64, size: 256 }, cache: false }
  a: { kind: scale, in: { slices: scans }, params: { factor: 1 }, cache: false }
  b: { kind: scale, in: { slices: a }, params: { factor: 2 }, cache: false }
  c: { kind: scale, in: { slices: b }, params: { factor: 0.5 }, cache: false }
  mean: { kind: scan-mean, in: { slices: c } }
`;

async function child(scans: number) {
  const dir = tempDir('ctflow-rss-');
  const out = await runFile(session(join(dir, 'runs')), writeGraph(dir, 'g.yaml', graph(scans)));
  if (out.record.status !== 'ok') throw new Error('run failed');
  console.log(JSON.stringify({ scans, maxRssMiB: process.resourceUsage().maxRSS / 1024, rows: out.record.nodes.mean.rows }));
}

function measure(scans: number): number {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(scans)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { maxRssMiB: number }).maxRssMiB;
}

if (process.argv[2]) {
  await child(Number(process.argv[2]));
} else {
  const median3 = (scans: number) => [measure(scans), measure(scans), measure(scans)].sort((a, b) => a - b)[1];
  const small = median3(10);
  const large = median3(100);
  console.log(`peak RSS (median of 3): 10 scans ${small.toFixed(0)} MiB, 100 scans ${large.toFixed(0)} MiB; ratio ${(large / small).toFixed(2)} (goal ≤ 1.2)`);
}
