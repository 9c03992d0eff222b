// Two processes on one cache: each key is computed once (the other waits on its lease, then reuses
// it; a barrier node holds the first inside the node so that the two overlap), and a lease left by
// a killed process never blocks a later run.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Leases } from '../../engine/lease.js';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = (offset: number, barrier: string | null = null) => `name: busy${offset}
nodes:
  scans: { kind: toy-scans, params: { scans: 6, size: 16 } }
  gate: { kind: barrier, in: { slices: scans }, params: { dir: ${JSON.stringify(barrier)} } }
  mean: { kind: scan-mean, in: { slices: gate }, params: { offset: ${offset} } }
`;

/** A script that runs a graph and prints each line a node logs, then the nodes' statuses, as JSON lines. */
function launcher(dir: string): string {
  return writeGraph(dir, 'launch.mjs', `import { runFile, session } from ${JSON.stringify(resolve('dist/test/helpers/engine.js'))};
const log = (node, message) => console.log(JSON.stringify({ node, message }));
const out = await runFile(session(process.argv[2], { events: { log } }), process.argv[3]);
console.log(JSON.stringify({ nodes: Object.fromEntries(Object.entries(out.record.nodes).map(([id, n]) => [id, { status: n.status, key: n.key }])) }));`);
}

interface Launched { pid: number; lines: { node?: string; message?: string }[]; done: Promise<Record<string, { status: string; key: string }>> }

function launch(script: string, runs: string, file: string): Launched {
  const p = spawn(process.execPath, [script, runs, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Launched['lines'] = [];
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => {
    out += d;
    const whole = out.split('\n');
    out = whole.pop()!;
    lines.push(...whole.filter((l) => l.trim()).map((l) => JSON.parse(l)));
  });
  p.stderr.on('data', (d) => (err += d));
  const done = new Promise<Record<string, { status: string; key: string }>>((res, rej) => {
    p.on('exit', (code) => (code === 0 ? res((lines.at(-1) as { nodes: Record<string, { status: string; key: string }> }).nodes) : rej(new Error(err))));
  });
  return { pid: p.pid!, lines, done };
}

/** Poll until `ready` holds (the test's own timeout bounds the wait). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await sleep(20);
}

describe('concurrent runs on one cache', function () {
  this.timeout(120_000);

  it('compute each shared key once: a second process waits on the lease while the first is inside the node, then reuses it', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const barrier = join(dir, 'barrier');
    mkdirSync(barrier);
    const script = launcher(dir);
    // a holds the leases of scans and gate while its gate waits at the barrier …
    const a = launch(script, runs, writeGraph(dir, 'a.yaml', GRAPH(1, barrier)));
    await until(() => readdirSync(barrier).length > 0);
    expect(readdirSync(barrier)).to.deep.equal([`entered-${a.pid}`]);
    // … so b, wanting the same keys, must wait for a (and say so) before the barrier opens.
    const b = launch(script, runs, writeGraph(dir, 'b.yaml', GRAPH(2, barrier)));
    await until(() => b.lines.some((l) => l.message?.startsWith('waiting: ')));
    writeFileSync(join(barrier, 'open'), '');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const waited = b.lines.find((l) => l.message?.startsWith('waiting: '))!;
    expect(waited.message).to.match(new RegExp(`^waiting: another process \\(${hostname()} pid ${a.pid}\\) is computing (${ra.scans.key.slice(0, 12)}|${ra.gate.key.slice(0, 12)})$`));
    expect(a.lines.filter((l) => l.message?.startsWith('waiting: ')), 'a never waited').to.deep.equal([]);
    for (const id of ['scans', 'gate']) {
      expect(ra[id].key).to.equal(rb[id].key);
      expect([ra[id].status, rb[id].status], id).to.deep.equal(['ran', 'cached']);
    }
    expect([ra.mean.status, rb.mean.status]).to.deep.equal(['ran', 'ran']);
    expect(readdirSync(barrier).sort(), 'only a entered the barrier').to.deep.equal([`entered-${a.pid}`, 'open']);
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
    const logs: string[] = [];
    const out = await runFile(session(runs, { events: { log: (_, m) => logs.push(m) } }), file);
    expect(out.record.status).to.equal('ok');
    expect(byStatus(out, 'ran')).to.deep.equal(['gate', 'mean', 'scans']);
    // Both leases were broken at once: the run never waited on them (waiting would last an hour).
    expect(logs.filter((m) => m.startsWith('waiting: '))).to.deep.equal([]);
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
