// gc and the runs directory as ctflow's alone (issue 24, class 1): gc during a run removes nothing
// the run holds or has just stored; only folders ctflow wrote are removed; graph names follow one
// rule everywhere; two graph files with one name keep separate histories.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { applyGc, planGc } from '../../engine/gc.js';
import { listRuns } from '../../engine/runs.js';
import { ctflow } from '../helpers/cli.js';
import { runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = (name: string, size = 16) => `name: ${name}
nodes:
  scans: { kind: toy-scans, params: { size: ${size} } }
  mean: { kind: scan-mean, in: { slices: scans } }
  total: { kind: stats-total, in: { stats: mean } }
`;

/** A live-run mark as another process would leave it. */
function mark(runs: string, run: string, fields: Record<string, unknown>) {
  mkdirSync(join(runs, 'active'), { recursive: true });
  const m = { run, startedAt: Date.now(), keys: [], host: hostname(), pid: process.pid, expires: Date.now() + 30_000, token: run, ...fields };
  writeFileSync(join(runs, 'active', `${run}.json`), JSON.stringify(m));
}

describe('gc beside live runs', function () {
  this.timeout(60_000);

  it('gc in the middle of a run removes nothing it stored; the run reads its entries and finishes', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    let gcPlan: ReturnType<typeof planGc> | undefined;
    const s = session(runs, {
      events: {
        finished: (id: string) => {
          if (id !== 'mean') return;
          // Another process's gc, between the first group's commit and the barrier that reads it.
          gcPlan = planGc(s.store, runs);
          for (const e of gcPlan.remove) rmSync(s.store.entryDir(e.key), { recursive: true, force: true });
        },
      },
    });
    const out = await runFile(s, writeGraph(dir, 'g.yaml', GRAPH('live')));
    expect(gcPlan, 'gc ran during the run').to.not.equal(undefined);
    expect(gcPlan!.live).to.equal(1);
    expect(gcPlan!.remove).to.deep.equal([]);
    expect(out.record.status).to.equal('ok');
    expect(out.result.corrupt, 'nothing was missing').to.deep.equal([]);
    for (const id of ['scans', 'mean', 'total']) expect(s.store.lookup(out.record.nodes[id].key).hit, id).to.equal(true);
    expect(readdirSync(join(runs, 'active')), 'the mark goes with the run').to.deep.equal([]);
  });

  it('keeps the keys a live run planned; ignores a dead run\'s mark; keeps everything while a run plans', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const s = session(runs);
    const out = await runFile(s, writeGraph(dir, 'g.yaml', GRAPH('held')));
    rmSync(join(runs, 'records'), { recursive: true }); // nothing references the entries now
    const keys = ['scans', 'mean', 'total'].map((id) => out.record.nodes[id].key);
    const future = Date.now() + 3600_000; // started after the entries were stored
    mark(runs, 'reader', { startedAt: future, keys: [keys[0]] });
    expect(planGc(s.store, runs).remove.map((e) => e.key).sort()).to.deep.equal(keys.slice(1).sort());
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mark(runs, 'reader', { startedAt: future, keys: [keys[0]], pid: dead });
    expect(planGc(s.store, runs).remove, 'a dead holder holds nothing').to.have.length(3);
    mark(runs, 'reader', { startedAt: future, keys: null });
    expect(planGc(s.store, runs).remove, 'a run still planning').to.deep.equal([]);
    mark(runs, 'reader', { startedAt: future, keys: [], expires: Date.now() - 1 });
    expect(planGc(s.store, runs).remove, 'an expired mark').to.have.length(3);
  });

  it('a size budget forgets no run for entries a live run pins (they could not be freed)', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const s = session(runs);
    const out = await runFile(s, writeGraph(dir, 'g.yaml', GRAPH('budget')));
    mark(runs, 'planner', { keys: null });
    const plan = planGc(s.store, runs, { maxBytes: 0 });
    expect(plan.forgetRuns).to.deep.equal([]);
    expect(plan.remove).to.deep.equal([]);
    rmSync(join(runs, 'active', 'planner.json'));
    expect(planGc(s.store, runs, { maxBytes: 0 }).forgetRuns, 'with no live run, the budget applies').to.deep.equal([out.record.id]);
  });

  it('removes only what ctflow wrote: unknown folders and stray files under the runs directory stay', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const s = session(runs);
    const out = await runFile(s, writeGraph(dir, 'g.yaml', GRAPH('mine')));
    const key = out.record.nodes.scans.key;
    const strays = [
      join(runs, 'cache', key.slice(0, 2), 'notes'), join(runs, 'cache', 'zz'), join(runs, 'cache', 'my-data'),
      join(runs, 'cache', 'tmp', 'keep-me'), join(runs, 'records', 'mine-notes'), join(runs, 'mine'),
    ];
    for (const p of strays) mkdirSync(p, { recursive: true });
    writeFileSync(join(runs, 'cache', key.slice(0, 2), 'a'.repeat(64)), 'a stray file in a shard');
    writeFileSync(join(runs, 'cache', 'ab'), 'a file where a shard would be');
    rmSync(join(runs, 'records', out.record.id), { recursive: true });
    const plan = planGc(s.store, runs);
    expect(plan.remove).to.have.length(3);
    await applyGc(s.store, runs, plan);
    for (const p of strays) expect(existsSync(p), p).to.equal(true);
    expect(existsSync(join(runs, 'cache', key.slice(0, 2), 'a'.repeat(64)))).to.equal(true);
    const r = ctflow(['gc', '--runs', runs], dir);
    expect(r.code, r.err).to.equal(0);
  });

  it('refuses a graph name with ".." (one rule for names), naming the rule and a fix', () => {
    const dir = tempDir();
    for (const name of ['exp..final', 'a..', 'x...y']) {
      writeGraph(dir, 'g.yaml', `name: "${name}"\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: 1, slices: [2, 2], size: 64 } }\n`);
      const r = ctflow(['run', 'g.yaml', '--runs', 'runs'], dir);
      expect(r.code, name).to.equal(2);
      expect(r.err).to.match(/g\.yaml:1:\d+ \[bad-name\] graph name ".*" is not allowed/);
      expect(r.err).to.include('no ".."').and.include('hint: rename it, e.g. name: ');
      expect(existsSync(join(dir, 'runs'))).to.equal(false);
    }
  });

  it('two graph files with one name keep their own history: gc --keep-last 1 keeps each file\'s last run', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const s = session(runs);
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    const a = await runFile(s, writeGraph(join(dir, 'a'), 'exp.yaml', GRAPH('exp', 16)));
    const b = await runFile(s, writeGraph(join(dir, 'b'), 'exp.yaml', GRAPH('exp', 32)));
    const a2 = await runFile(s, join(dir, 'a', 'exp.yaml'), ['scans.params.size=8']);
    const plan = planGc(s.store, runs, { keepLast: 1 });
    expect(plan.forgetRuns).to.deep.equal([a.record.id]);
    await applyGc(s.store, runs, plan);
    expect(listRuns(runs).map((r) => r.id).sort()).to.deep.equal([b.record.id, a2.record.id].sort());
    expect(s.store.lookup(b.record.nodes.scans.key).hit, 'the other file\'s only run keeps its entries').to.equal(true);
  });
});
