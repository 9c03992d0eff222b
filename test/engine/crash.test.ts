// SIGKILL at random points, 20 times, rerunning each time: no partial or corrupt entry is ever
// used, finished nodes are reused, and the final outputs equal an uninterrupted run's, byte for byte.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rngFrom } from '../../engine/rng.js';
import { runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = `name: crashy
nodes:
  scans: { kind: toy-scans, params: { scans: 6, slices: 3, size: 24 } }
  slow: { kind: scale, in: { slices: scans }, params: { factor: 3, jitterMs: 25 } }
  fused: { kind: scale, in: { slices: slow }, params: { factor: 0.5 }, cache: false }
  mean: { kind: scan-mean, in: { slices: fused } }
  total: { kind: child-total, in: { stats: mean } }
  again: { kind: stats-total, in: { stats: total } }
`;

function storedFiles(runs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const cache = join(runs, 'cache');
  for (const shard of readdirSync(cache)) {
    if (shard.length !== 2) continue;
    for (const key of readdirSync(join(cache, shard))) {
      for (const f of readdirSync(join(cache, shard, key))) out.set(`${key}/${f}`, readFileSync(join(cache, shard, key, f)));
    }
  }
  return out;
}

describe('crash safety', function () {
  this.timeout(180_000);

  it('survives 20 SIGKILLs at random points and ends with the same bytes as an uninterrupted run', async () => {
    const dir = tempDir();
    const file = writeGraph(dir, 'g.yaml', GRAPH);
    const script = writeGraph(dir, 'launch.mjs', `import { runFile, session } from ${JSON.stringify(resolve('dist/test/helpers/engine.js'))};
const out = await runFile(session(process.argv[2]), process.argv[3]);
process.stdout.write(out.record.status);`);
    const clean = await runFile(session(join(dir, 'clean')), file);
    expect(clean.record.status).to.equal('ok');

    const runs = join(dir, 'crashed');
    const rng = rngFrom('crash-delays');
    let finished = 0;
    for (let i = 0; i < 20; i++) {
      const delay = 150 + Math.floor(rng() * 900);
      const status = await new Promise<string>((res) => {
        const p = spawn(process.execPath, [script, runs, file], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        const t = setTimeout(() => p.kill('SIGKILL'), delay);
        p.on('exit', () => {
          clearTimeout(t);
          res(out || 'killed');
        });
      });
      if (status === 'ok') finished++;
      // Whatever was left behind must never be used as an input: every entry present is whole.
      const s = session(runs);
      const { graph } = s.load(file);
      for (const p of (await s.plan(graph!)).nodes.values()) {
        if (p.lookup?.hit) for (const [port, pm] of Object.entries(p.lookup.manifest.outputs)) {
          const reader = await s.store.reader(s.store.entryDir(p.key), p.lookup.manifest, port);
          for (let b = 0; b < pm.batches.length; b++) await reader.batch(b);
          await reader.close();
        }
      }
    }
    const final = await runFile(session(runs), file);
    expect(final.record.status).to.equal('ok');
    const a = storedFiles(join(dir, 'clean'));
    const b = storedFiles(runs);
    expect([...b.keys()].sort()).to.deep.equal([...a.keys()].sort());
    for (const [k, bytes] of a) expect(b.get(k)!.equals(bytes), k).to.equal(true);
    expect(finished, 'some kills land after the run ends; most must not').to.be.below(20);
  });
});
