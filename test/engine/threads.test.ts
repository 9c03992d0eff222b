// The core budget that model nodes share (--threads, engine/slots.ts CoreBudget): a node that
// declares `threads` gets up to all of it, at least one core, and nodes running at once never hold
// more cores together than the budget has; ctx.threads tells the node what it got.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CoreBudget } from '../../engine/slots.js';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

describe('core budget (--threads)', function () {
  this.timeout(120_000);

  it('gives what is free, at least one, waits while none is, and hands freed cores to the next in line', async () => {
    const b = new CoreBudget(4);
    expect(await b.take(3)).to.equal(3);
    expect(await b.take(3)).to.equal(1);
    let third = 0;
    const waiting = b.take(4).then((n) => { third = n; });
    await new Promise((r) => setImmediate(r));
    expect(third, 'no core free: it waits').to.equal(0);
    b.give(3);
    await waiting;
    expect(third).to.equal(3);
    b.give(1);
    b.give(3);
    expect(await b.take(9)).to.equal(4);
    expect(() => new CoreBudget(0)).to.throw(/whole number of cores ≥ 1, not 0/);
  });

  it('three model nodes at once on --threads 3: each gets ≥ 1 core, together never more than 3; the first all 3', async () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.txt');
    // params differ (ms), so that the three are three keys, not one entry computed once
    const probes = ['a', 'b', 'c'].map((id, i) => `  ${id}: { kind: core-probe, in: { stats: mean }, params: { ms: ${400 + i}, trace: ${JSON.stringify(trace)} } }`).join('\n');
    const g = writeGraph(dir, 'g.yaml', `name: cores\nnodes:\n  scans: { kind: toy-scans, params: { scans: 2 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n${probes}\n`);
    const out = await runFile(session(join(dir, 'runs'), { threads: 3 }), g);
    expect(byStatus(out, 'ran')).to.deep.equal(['a', 'b', 'c', 'mean', 'scans']);
    const events = readFileSync(trace, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const held = new Map<string, number>();
    let most = 0;
    for (const [what, id, n] of events) {
      if (what === 'start') held.set(id, Number(n));
      else held.delete(id);
      most = Math.max(most, [...held.values()].reduce((x, y) => x + y, 0));
    }
    expect(most, events.join('; ')).to.be.at.most(3);
    const got = events.filter((e) => e[0] === 'start').map((e) => Number(e[2]));
    expect(got).to.have.length(3);
    expect(Math.min(...got)).to.be.at.least(1);
    expect(Math.max(...got), 'the first to start finds all 3 free').to.equal(3);
    expect(out.record.nodes.a.notes?.threads).to.equal(got[events.filter((e) => e[0] === 'start').findIndex((e) => e[1] === 'a')]);
  });

  it('a kind whose `threads` is a function of its params asks for no more than it returns (cnn-trainer: its passes)', async () => {
    const dir = tempDir();
    const g = writeGraph(dir, 'g.yaml', `name: cores\nnodes:\n  scans: { kind: toy-scans, params: { scans: 2 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n  one: { kind: core-probe, in: { stats: mean }, params: { ms: 300, most: 1 } }\n  all: { kind: core-probe, in: { stats: mean }, params: { ms: 301 } }\n`);
    const out = await runFile(session(join(dir, 'runs'), { threads: 3 }), g);
    expect(out.record.nodes.one.notes?.threads).to.equal(1);
    expect(out.record.nodes.all.notes?.threads).to.be.at.least(2);
  });
});
