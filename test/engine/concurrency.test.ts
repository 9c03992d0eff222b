// Two processes on one cache: each key is computed once (the other waits, then reuses it), and
// a lease left by a killed process never blocks a later run.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Leases } from '../../engine/lease.js';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = (offset: number) => `name: busy${offset}
nodes:
  scans: { kind: toy-scans, params: { scans: 6, size: 16 } }
  slow: { kind: scale, in: { slices: scans }, params: { jitterMs: 40 } }
  mean: { kind: scan-mean, in: { slices: slow }, params: { offset: ${offset} } }
`;

function launcher(dir: string): string {
  return writeGraph(dir, 'launch.mjs', `import { runFile, session } from ${JSON.stringify(resolve('dist/test/helpers/engine.js'))};
const out = await runFile(session(process.argv[2]), process.argv[3]);
console.log(JSON.stringify(Object.fromEntries(Object.entries(out.record.nodes).map(([id, n]) => [id, { status: n.status, key: n.key }]))));`);
}

function runIn(script: string, runs: string, file: string): Promise<Record<string, { status: string; key: string }>> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [script, runs, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? res(JSON.parse(out.trim().split('\n').pop()!)) : rej(new Error(err))));
  });
}

describe('concurrent runs on one cache', () => {
  it('compute each shared key once; the other process waits and reuses it', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const script = launcher(dir);
    const [a, b] = await Promise.all([runIn(script, runs, writeGraph(dir, 'a.yaml', GRAPH(1))), runIn(script, runs, writeGraph(dir, 'b.yaml', GRAPH(2)))]);
    for (const id of ['scans', 'slow']) {
      expect(a[id].key).to.equal(b[id].key);
      expect([a[id].status, b[id].status].sort(), id).to.deep.equal(['cached', 'ran']);
    }
    expect([a.mean.status, b.mean.status]).to.deep.equal(['ran', 'ran']);
    const s = session(runs);
    expect(byStatus(await runFile(s, join(dir, 'a.yaml')), 'ran')).to.deep.equal([]);
  });

  it('a lease left by a killed process does not block a later run', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const s = session(runs);
    const file = writeGraph(dir, 'g.yaml', GRAPH(3));
    const { graph } = s.load(file);
    const plan = await s.plan(graph!);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const leases = join(runs, 'cache', 'leases');
    mkdirSync(leases, { recursive: true });
    // A live-looking expiry but a pid that has exited: noticed at once on the same host.
    writeFileSync(join(leases, `${plan.nodes.get('scans')!.key}.lease`), JSON.stringify({ host: hostname(), pid: Number(dead.stdout), expires: Date.now() + 3600_000, token: 'x' }));
    // An expired lease of another host.
    writeFileSync(join(leases, `${plan.nodes.get('mean')!.key}.lease`), JSON.stringify({ host: 'elsewhere', pid: 1, expires: Date.now() - 1, token: 'y' }));
    const t0 = Date.now();
    const out = await runFile(s, file);
    expect(out.record.status).to.equal('ok');
    expect(byStatus(out, 'ran')).to.deep.equal(['mean', 'scans', 'slow']);
    expect(Date.now() - t0).to.be.below(20_000);
  });

  it('a live lease of another host is honoured until it expires', () => {
    const dir = tempDir();
    const l = new Leases(dir, 1000);
    writeFileSync(join(dir, 'k.lease'), JSON.stringify({ host: 'elsewhere', pid: 1, expires: Date.now() + 60_000, token: 'z' }));
    expect(l.tryAcquire('k')).to.equal(false);
    expect(l.tryAcquire('other')).to.equal(true);
    l.releaseAll();
  });
});
