// SIGKILL at random points, 20 times, rerunning each time — while streams run, while entries are
// written, in a child process, during a checkpointed training — and once right after the first
// checkpoint: no partial or corrupt entry is ever used, finished nodes are reused, training
// resumes, no training child outlives its run, and the final outputs equal an uninterrupted run's,
// byte for byte.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { rngFrom } from '../../engine/rng.js';
import { STRICT_TIMING } from '../helpers/timing.js';
import { runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const graph = (trace: string) => `name: crashy
nodes:
  scans: { kind: toy-scans, params: { scans: 6, slices: 3, size: 24 } }
  slow: { kind: scale, in: { slices: scans }, params: { factor: 3, jitterMs: 25 } }
  fused: { kind: scale, in: { slices: slow }, params: { factor: 0.5 }, cache: false }
  mean: { kind: scan-mean, in: { slices: fused } }
  total: { kind: child-total, in: { stats: mean } }
  train: { kind: toy-train, in: { stats: total }, params: { epochs: 10, epochMs: 150, trace: ${JSON.stringify(trace)} } }
  again: { kind: stats-total, in: { stats: train } }
`;

/** Whether `pid` still runs (a zombie waiting for its reaper does not: init may be slow to reap). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true; // no procfs: a signal reached it
  }
}

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

/** The events toy-train appended to its trace file: [event, pid, epoch]. */
function traced(trace: string): [string, number, number][] {
  if (!existsSync(trace)) return [];
  return readFileSync(trace, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([e, pid, epoch]) => [e, Number(pid), Number(epoch ?? 0)]);
}

/**
 * Runs `script` on `file` with a runs directory in a fresh process, SIGKILLed when `kill` resolves
 * unless it finishes first: its output line ("killed" if none) and duration.
 */
function launcher(script: string, file: string) {
  return (runs: string, kill?: Promise<unknown>) => new Promise<{ status: string; ms: number }>((res) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [script, runs, file], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    let exited = false;
    void kill?.then(() => exited || p.kill('SIGKILL'));
    p.on('exit', () => {
      exited = true;
      res({ status: out || 'killed', ms: performance.now() - t0 });
    });
  });
}

describe('crash safety', function () {
  this.timeout(600_000);
  const dir = tempDir();
  const trace = join(dir, 'train.trace');
  const file = writeGraph(dir, 'g.yaml', graph(trace));
  const script = writeGraph(dir, 'launch.mjs', `import { runFile, session } from ${JSON.stringify(resolve('dist/test/helpers/engine.js'))};
const out = await runFile(session(process.argv[2]), process.argv[3]);
process.stdout.write(out.record.status + ' ' + (out.record.nodes.train.notes?.resumed_after ?? 0));`);
  const launch = launcher(script, file);
  /**
   * A killed run's training child stops with it: no orphan keeps writing checkpoints. The child
   * notes in the trace when it is about to train although its parent is gone; the wait for its
   * exit is generous (an orphan would end its 10 epochs within 1.5 s and exit anyway) unless
   * CTFLOW_STRICT_TIMING=1 asks for death within 800 ms.
   */
  const noOrphans = async () => {
    for (const [, pid] of traced(trace).filter(([e]) => e === 'start')) {
      const until = performance.now() + (STRICT_TIMING ? 800 : 60_000);
      while (alive(pid) && performance.now() < until) await sleep(20);
      expect(alive(pid), `training child ${pid} outlived its killed parent`).to.equal(false);
    }
    expect(traced(trace).filter(([e]) => e === 'orphan'), 'epochs trained by an orphan').to.deep.equal([]);
  };
  let first: { status: string; ms: number };
  let clean: Map<string, Buffer>;
  const sameAsClean = (runs: string) => {
    const got = storedFiles(runs);
    expect([...got.keys()].sort()).to.deep.equal([...clean.keys()].sort());
    for (const [k, bytes] of clean) expect(got.get(k)!.equals(bytes), k).to.equal(true);
  };

  before(async () => {
    first = await launch(join(dir, 'clean'));
    expect(first.status).to.equal('ok 0');
    clean = storedFiles(join(dir, 'clean'));
  });

  it('a SIGKILL right after the first checkpoint: the rerun resumes after the last checkpointed epoch, with the same bytes', async () => {
    const runs = join(dir, 'after-checkpoint');
    const seen = traced(trace).length;
    const checkpointed = (async () => {
      while (!traced(trace).slice(seen).some(([e]) => e === 'checkpoint')) await sleep(5);
    })();
    expect((await launch(runs, checkpointed)).status).to.equal('killed');
    await noOrphans();
    const epochs = traced(trace).slice(seen).filter(([e]) => e === 'checkpoint').map(([, , epoch]) => epoch);
    expect(epochs[0], 'the first checkpoint is epoch 1').to.equal(1);
    expect((await launch(runs)).status).to.equal(`ok ${epochs.at(-1)}`);
    sameAsClean(runs);
  });

  it('survives 20 SIGKILLs at random points and ends with the same bytes as an uninterrupted run', async () => {
    // Kill times spread over the whole run as this machine runs it: sources, streams, the child
    // process, training epochs and entry writes all get hit. A run that finishes before its kill is
    // checked against the clean run, and the next round starts from an empty cache.
    const rng = rngFrom('crash-delays');
    const starts = traced(trace).filter(([e]) => e === 'start').length;
    let kills = 0, completed = 0, resumed = 0, round = 0;
    let runs = join(dir, 'crashed-0');
    while (kills < 20) {
      expect(kills + completed, 'runs launched').to.be.below(80);
      const { status } = await launch(runs, sleep(Math.round(first.ms * (0.1 + 0.9 * rng()))));
      await noOrphans();
      if (status !== 'killed') {
        expect(status.split(' ')[0]).to.equal('ok');
        if (status !== 'ok 0') resumed++;
        completed++;
        sameAsClean(runs);
        runs = join(dir, `crashed-${++round}`);
        continue;
      }
      kills++;
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
    sameAsClean(runs);
    const trainings = traced(trace).filter(([e]) => e === 'start').length - starts;
    expect(trainings, 'training started in several runs').to.be.at.least(3);
    expect(resumed, "a run resumed training from a killed run's checkpoint").to.be.at.least(1);
  });
});

describe('crash safety of per-scan partitions', function () {
  this.timeout(600_000);
  const dir = tempDir();
  const data = join(dir, 'data');
  for (let k = 0; k < 8; k++) cpSync('test/fixtures/image-folder/tiny/train/covid/ct_scan_0', join(data, `s${k}`), { recursive: true });
  const file = writeGraph(dir, 'g.yaml', `name: crashy-parts
nodes:
  scans: { kind: folder-scans, params: { path: ${JSON.stringify(data)} } }
  slow: { kind: scale, in: { slices: scans }, params: { factor: 3, jitterMs: 60 } }
  mean: { kind: scan-mean, in: { slices: slow } }
  total: { kind: stats-total, in: { stats: mean } }
`);
  const script = writeGraph(dir, 'launch.mjs', `import { runFile, session } from ${JSON.stringify(resolve('dist/test/helpers/engine.js'))};
const out = await runFile(session(process.argv[2]), process.argv[3]);
process.stdout.write(out.record.status + ' ' + (out.record.nodes.slow.batches ?? 0));`);
  const launch = launcher(script, file);

  it('a run SIGKILLed mid-partition keeps the scans it stored, uses no partial one, and ends with the same bytes', async () => {
    const first = await launch(join(dir, 'clean'));
    expect(first.status).to.equal('ok 8');
    const clean = storedFiles(join(dir, 'clean'));
    const rng = rngFrom('crash-parts');
    let kills = 0, partial = 0, round = 0;
    let runs = join(dir, 'crashed-0');
    while (kills < 8) {
      expect(kills + round, 'runs launched').to.be.below(40);
      const { status } = await launch(runs, sleep(Math.round(first.ms * (0.2 + 0.8 * rng()))));
      if (status === 'killed') {
        kills++;
        // Every scan entry left behind is whole: each batch of each stored scan reads back.
        const s = session(runs);
        for (const p of (await s.plan(s.load(file).graph!)).nodes.values()) {
          for (const part of p.parts ?? []) {
            const found = s.store.lookup(part.key);
            if (!found.hit) continue;
            for (const port of Object.keys(found.manifest.outputs)) {
              const reader = await s.store.reader(s.store.entryDir(part.key), found.manifest, port);
              for await (const b of reader) expect(b.numRows).to.be.above(0);
              await reader.close();
            }
          }
        }
        continue;
      }
      const [ok, computed] = status.split(' ');
      expect(ok).to.equal('ok');
      if (Number(computed) > 0 && Number(computed) < 8) partial++;
      const got = storedFiles(runs);
      expect([...got.keys()].sort()).to.deep.equal([...clean.keys()].sort());
      for (const [k, bytes] of clean) expect(got.get(k)!.equals(bytes), k).to.equal(true);
      runs = join(dir, `crashed-${++round}`);
    }
    const final = await launch(runs);
    expect(final.status.split(' ')[0]).to.equal('ok');
    if (Number(final.status.split(' ')[1]) > 0 && Number(final.status.split(' ')[1]) < 8) partial++;
    expect(partial, 'a rerun after a kill computed only the scans the killed run had not stored').to.be.at.least(1);
  });
});
