// The ctflow command line as a user meets it: help, exit codes, messages, a run and its rerun.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';

const TINY = resolve('test/fixtures/image-folder/tiny');

describe('ctflow CLI', () => {
  const dir = tempDir('ctflow-cli-');
  const good = writeGraph(dir, 'tiny.yaml', `name: tiny\nnodes:\n  scans: { kind: image-folder, params: { path: ${JSON.stringify(TINY)} } }\n`);

  it('prints help for itself and every command (exit 0), usage errors exit 2', () => {
    expect(ctflow(['--help'], dir).code).to.equal(0);
    for (const cmd of ['run', 'status', 'validate', 'dag', 'runs']) {
      const r = ctflow([cmd, '--help'], dir);
      expect(r.code, cmd).to.equal(0);
      expect(r.out).to.contain(`usage: ctflow ${cmd}`);
    }
    const bad = ctflow(['frobnicate'], dir);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.contain('unknown command "frobnicate"');
    expect(ctflow(['run', '--no-such-flag', good], dir).code).to.equal(2);
    expect(ctflow(['run'], dir).code).to.equal(2);
  });

  it('integer options are checked alike: the option, the rule and what was given (exit 2)', () => {
    const cases: [string[], string][] = [
      [['run', good, '--concurrency', '0'], '--concurrency must be a positive integer, got "0"'],
      [['sweep', good, '--jobs', '1.5'], '--jobs must be a positive integer, got "1.5"'],
      [['gc', '--keep-last=-1'], '--keep-last must be an integer ≥ 0, got "-1"'],
    ];
    for (const [args, message] of cases) {
      const r = ctflow(args, dir);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err, args.join(' ')).to.contain(message);
    }
  });

  it('reports an invalid graph with file:line:column and a hint, exit 2, no stack trace, nothing written', () => {
    const bad = writeGraph(dir, 'bad.yaml', 'name: bad\nnodes:\n  scans: { kind: image-foldr }\n');
    for (const cmd of ['validate', 'run', 'status', 'dag']) {
      const r = ctflow([cmd, bad, '--runs', 'r-bad'], dir);
      expect(r.code, cmd).to.equal(2);
      expect(r.err).to.contain('bad.yaml:3:18 node "scans" [unknown-kind] unknown node kind "image-foldr"');
      expect(r.err).to.contain('did you mean "image-folder"?');
      expect(r.err).to.not.match(/\n\s+at /);
    }
    expect(spawnSync('ls', ['r-bad'], { cwd: dir }).status).to.not.equal(0);
  });

  it('a missing data folder is a clear error naming the node (exit 2)', () => {
    const f = writeGraph(dir, 'nodata.yaml', 'name: nodata\nnodes:\n  scans: { kind: image-folder, params: { path: /nonexistent/ct } }\n');
    const r = ctflow(['run', f], dir);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/nodata\.yaml:3:\d+ node "scans" \[input-files\].*\/nonexistent\/ct/);
  });

  it('a fully cached run loads no heavy module (image decoder, TensorFlow.js, Vega, BullMQ, Arrow)', () => {
    // ESM imports are seen through a resolve hook, CommonJS ones in require.cache.
    const log = join(dir, 'resolved.log');
    const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }`;
    const probe = writeGraph(dir, 'probe.mjs', `import { createRequire, register } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
rmSync(${JSON.stringify(log)}, { force: true });
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
const { loadCli } = await import(${JSON.stringify(resolve('dist/engine/launch.cjs'))});
const { main } = await loadCli();
const code = await main(['run', ${JSON.stringify(good)}, '--runs', 'runs-probe', '--quiet']);
const heavy = /node_modules\\/(sharp|@tensorflow|vega[^/]*|bullmq|ioredis|puppeteer-core|apache-arrow)\\//;
const loaded = [...Object.keys(createRequire(import.meta.url).cache), ...readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n')].filter((m) => heavy.test(m));
console.log(JSON.stringify({ code, heavy: [...new Set(loaded.map((m) => m.match(heavy)[1]))] }));`);
    const run = () => JSON.parse(spawnSync(process.execPath, [probe], { cwd: dir, encoding: 'utf8' }).stdout.trim().split('\n').pop()!);
    const first = run();
    expect(first.code).to.equal(0);
    // Its JPEGs are decoded on the lung pool's worker threads (wasm-jpeg.ts), which this probe does not see.
    expect(first.heavy, 'the first run writes Arrow').to.include.members(['apache-arrow']);
    expect(run()).to.deep.equal({ code: 0, heavy: [] });
  });

  it('runs, reruns from cache, and lists runs; status and dag work', () => {
    const first = ctflow(['run', good, '--runs', 'runs1'], dir);
    expect(first.code, first.err).to.equal(0);
    expect(first.out).to.match(/done: 1 ran, 0 cached/);
    const second = ctflow(['run', good, '--runs', 'runs1'], dir);
    expect(second.code).to.equal(0);
    expect(second.out).to.match(/done: 0 ran, 1 cached/);
    const status = ctflow(['status', good, '--runs', 'runs1'], dir);
    expect(status.out).to.contain('nothing would run');
    const changed = ctflow(['status', good, '--runs', 'runs1', '--set', 'scans.params.window=[-1000,400]'], dir);
    expect(changed.out).to.match(/run\s+scans\s+param window changed \[-1150,350\] → \[-1000,400\] at --set/);
    const runs = ctflow(['runs', '--runs', 'runs1', '--json'], dir);
    const list = JSON.parse(runs.out) as { graph: string; ran: number; cached: number }[];
    expect(list.map((r) => [r.graph, r.ran, r.cached])).to.deep.equal([['tiny', 1, 0], ['tiny', 0, 1]]);
    const dag = ctflow(['dag', good, '--format', 'dot'], dir);
    expect(dag.out).to.contain('digraph "tiny"');
  });

  it('exports synthetic scans as a COV19-CT-DB JPEG folder that image-folder reads back', () => {
    const syn = writeGraph(dir, 'syn.yaml', 'name: syn\nseed: 3\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: 4, slices: [6, 9], size: 64, splits: { train: 1, validation: 1, test: 0 } } }\n');
    expect(ctflow(['export', syn, 'scans', '--to', 'exported', '--runs', 'r-exp'], dir).code, 'not cached yet').to.equal(1);
    expect(ctflow(['run', syn, '--runs', 'r-exp'], dir).code).to.equal(0);
    const exp = ctflow(['export', syn, 'scans', '--to', 'exported', '--runs', 'r-exp'], dir);
    expect(exp.code, exp.err).to.equal(0);
    expect(exp.out).to.contain('wrote 4 scans');
    const back = writeGraph(dir, 'back.yaml', `name: back\nnodes:\n  scans: { kind: image-folder, params: { path: ${JSON.stringify(join(dir, 'exported'))} } }\n`);
    const run = ctflow(['run', back, '--runs', 'r-exp', '--json'], dir);
    expect(run.code, run.err).to.equal(0);
    const rec = JSON.parse(readFileSync(join(dir, 'r-exp', 'records', JSON.parse(run.out.trim().split('\n').pop()!).run, 'record.json'), 'utf8'));
    const orig = JSON.parse(readFileSync(join(dir, 'r-exp', 'records', readFileSync(join(dir, 'r-exp', 'latest', 'syn'), 'utf8').trim(), 'record.json'), 'utf8'));
    expect(rec.nodes.scans.rows.slices).to.equal(orig.nodes.scans.rows.slices);
  });
});
