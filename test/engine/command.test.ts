// Command nodes: a program (here a Node.js script, standing in for a Python trainer) reads its
// inputs and writes its outputs as Arrow IPC files; its deps are part of the key; a failure
// shows its exit code and stderr; it runs only when commands are allowed.
import { expect } from 'chai';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { GraphError } from '../../engine/errors.js';
import type { Session } from '../../engine/session.js';
import { runProgram } from '../../nodes/kernels/command/spawn.js';
import { ctflow } from '../helpers/cli.js';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const ARROW = new URL('../../engine/arrow.js', import.meta.url).href;

/** A script that writes a predictions table as pyarrow would (every field nullable) from `cols`, given `setup`. */
const predictionsScript = (setup: string, cols: string) => `import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Float32, Int8, Int32, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableFromIPC, tableToIPC, vectorFromArray } from ${JSON.stringify(ARROW)};
const env = process.env;
const params = JSON.parse(readFileSync(env.CTFLOW_PARAMS, 'utf8'));
${setup}
const cols = ${cols};
const types = { model: new Utf8(), scan_id: new Utf8(), split: new Utf8(), label: new Int8(), draw: new Int32(), prob: new Float32() };
const fields = Object.entries(types).map(([name, type]) => new Field(name, type, true));
const children = fields.map((f) => vectorFromArray(cols[f.name], f.type).data[0]);
const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: cols.prob.length, children }));
writeFileSync(join(env.CTFLOW_OUT_DIR, 'predictions.arrow'), tableToIPC(new Table([batch]), 'file'));
console.error('wrote ' + cols.prob.length + ' predictions');
`;

/** Scores scan stats: prob = sigmoid(mean / 100), model named in config, draw = the seed. */
const SCORER = predictionsScript("const rows = tableFromIPC(readFileSync(join(env.CTFLOW_IN_DIR, 'stats.arrow'))).toArray();", `{
  model: rows.map(() => params.config.model), scan_id: rows.map((r) => r.scan_id), split: rows.map(() => 'validation'),
  label: rows.map((r) => r.label), draw: rows.map(() => Number(env.CTFLOW_SEED)), prob: rows.map((r) => 1 / (1 + Math.exp(-r.mean / 100))),
}`);

/** Needs no input: four fixed predictions (the shipped kinds alone can run it). */
const MAKER = predictionsScript('', `{
  model: Array(4).fill('made'), scan_id: ['a', 'b', 'c', 'd'], split: Array(4).fill('validation'),
  label: [0, 1, 0, 1], draw: [0, 0, 0, 0], prob: [0.2, 0.9, 0.4, 0.6],
}`);

function graph(dir: string, script: string, extra = ''): string {
  return writeGraph(dir, 'g.yaml', `name: cmd
seed: 7
nodes:
  scans: { kind: toy-scans, params: { scans: 4 } }
  stats: { kind: scan-mean, in: { slices: scans } }
  score:
    kind: command
    in: { stats: stats }
    params:
      argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]
      inputs: { stats: scan-stats }
      outputs: { predictions: predictions }
      deps: [${JSON.stringify(script)}]
      config: { model: js-scorer }
  eval: { kind: evaluator, in: { predictions: score }, params: { meanK: [2] } }
${extra}`);
}

async function table(s: Session, key: string, port: string) {
  const found = s.store.lookup(key);
  if (!found.hit) throw new Error(`no entry ${key}`);
  const reader = await s.store.reader(s.store.entryDir(key), found.manifest, port);
  const rows: Record<string, unknown>[] = [];
  for await (const b of reader) rows.push(...b.toArray().map((r) => r.toJSON()));
  await reader.close();
  return rows;
}

describe('command nodes', function () {
  this.timeout(120000);

  it('run a program on Arrow files, feed a downstream kind, are cached, and rerun when a dep changes', async () => {
    const dir = tempDir('ctflow-cmd-');
    const script = writeGraph(dir, 'score.mjs', SCORER);
    const file = graph(dir, script);
    const s = session(join(dir, 'runs'), { allowCommands: true });
    const out = await runFile(s, file);
    expect(out.record.status, JSON.stringify(out.record.nodes.score)).to.equal('ok');
    expect(byStatus(out, 'ran')).to.deep.equal(['eval', 'scans', 'score', 'stats']);

    const stats = await table(s, out.record.nodes.stats.key, 'stats');
    const preds = await table(s, out.record.nodes.score.key, 'predictions');
    expect(preds.map((r) => r.scan_id)).to.deep.equal(stats.map((r) => r.scan_id));
    preds.forEach((p, i) => {
      expect(p.model).to.equal('js-scorer');
      expect(p.draw).to.equal(7);
      expect(p.label).to.equal(stats[i].label);
      expect(p.prob).to.be.closeTo(1 / (1 + Math.exp(-(stats[i].mean as number) / 100)), 1e-6);
    });
    const n = out.record.metrics.find((m) => m.node === 'eval' && m.model === 'js-scorer' && m.metric === 'n');
    expect(n?.value).to.equal(4);

    const again = await runFile(s, file);
    expect(byStatus(again, 'ran')).to.deep.equal([]);
    expect(again.record.nodes.score.status).to.equal('cached');

    appendFileSync(script, '// a changed comment is a changed dep\n');
    const changed = await runFile(s, file);
    expect(byStatus(changed, 'ran')).to.deep.equal(['eval', 'score']);
    expect(changed.record.nodes.score.reason).to.equal('input files changed');
  });

  it('show the exit code and the last lines of stderr of a failing program; finished nodes stay cached', async () => {
    const dir = tempDir('ctflow-cmd-');
    const script = writeGraph(dir, 'fail.mjs', 'for (let i = 1; i <= 30; i++) console.error(`line ${i}`);\nprocess.exit(3);\n');
    const s = session(join(dir, 'runs'), { allowCommands: true });
    const out = await runFile(s, graph(dir, script));
    expect(out.record.status).to.equal('failed');
    expect(byStatus(out, 'failed')).to.deep.equal(['score']);
    expect(byStatus(out, 'skipped')).to.deep.equal(['eval']);
    const error = out.record.nodes.score.error!;
    expect(error).to.contain('node "score" failed').and.contain('exited with code 3');
    expect(error).to.contain('| line 11').and.contain('| line 30');
    expect(error).to.not.contain('| line 10\n');
    const kept = /the program's files are kept in (\S+)/.exec(error)![1];
    for (const f of ['params.json', 'in/stats.arrow']) expect(existsSync(join(kept, f)), f).to.equal(true);
    for (const id of ['scans', 'stats']) expect(s.store.lookup(out.record.nodes[id].key).hit, id).to.equal(true);
    expect(s.store.lookup(out.record.nodes.score.key).hit).to.equal(false);
  });

  it('reject an output without its port type, naming the node, port, expected and found columns', async () => {
    const dir = tempDir('ctflow-cmd-');
    const script = writeGraph(dir, 'wrong.mjs', `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableToIPC, vectorFromArray } from ${JSON.stringify(ARROW)};
const table = new Table({ scan_id: vectorFromArray(['a']), prob: vectorFromArray(Float64Array.of(0.5)) });
writeFileSync(join(process.env.CTFLOW_OUT_DIR, 'predictions.arrow'), tableToIPC(table, 'file'));
`);
    const out = await runFile(session(join(dir, 'runs'), { allowCommands: true }), graph(dir, script));
    const error = out.record.nodes.score.error!;
    expect(error).to.contain('node "score" failed').and.contain('output "predictions"').and.contain('port type "predictions"');
    expect(error).to.contain('no column "model"').and.contain('column "prob" is Float64, needs Float32');
    expect(error).to.match(/expected predictions\(model: Utf8, .*prob: Float32\)/);
    expect(error).to.match(/found {4}scan_id: .*, prob: Float64/);
  });

  it('report an unknown port type or output at its line and column, with a hint', () => {
    const dir = tempDir('ctflow-cmd-');
    const file = writeGraph(dir, 'g.yaml', `name: bad
nodes:
  scans: { kind: toy-scans }
  stats: { kind: scan-mean, in: { slices: scans } }
  score:
    kind: command
    in: { stats: stats }
    params: { argv: [x], inputs: { stats: scan-stat }, outputs: { predictions: predictions } }
  eval: { kind: evaluator, in: { predictions: score.preds } }
`);
    const { graph, issues } = session(join(dir, 'runs')).load(file);
    expect(graph).to.equal(undefined);
    const type = issues.find((i) => i.code === 'param')!;
    expect([type.line, type.col, type.node]).to.deep.equal([8, 43, 'score']);
    expect(type.message).to.contain('params.inputs.stats must be one of');
    expect(type.hint).to.equal('did you mean "scan-stats"?');
    expect(issues.find((i) => i.code === 'bad-input')?.message).to.contain('"score", which is itself invalid');

    writeGraph(dir, 'g.yaml', `name: bad
nodes:
  score: { kind: command, params: { argv: [x], outputs: { predictions: predictions } } }
  eval: { kind: evaluator, in: { predictions: score.preds } }
`);
    const ref = session(join(dir, 'runs')).load(file).issues;
    expect(ref.map((i) => [i.line, i.code, i.message])).to.deep.equal([[4, 'bad-input', 'node "score" (command) has no output "preds"']]);
  });

  it('are refused without --allow-commands (exit 2, nothing written) and run with it, paths from the working directory', () => {
    const dir = tempDir('ctflow-cmd-');
    writeGraph(dir, 'make.mjs', MAKER);
    const yaml = (dep: string) => `name: cli
nodes:
  make:
    kind: command
    params: { argv: [${JSON.stringify(process.execPath)}, make.mjs], outputs: { predictions: predictions }, deps: [${dep}] }
  eval: { kind: evaluator, in: { predictions: make }, params: { meanK: [2] } }
`;
    writeGraph(dir, 'g.yaml', yaml('make.mjs'));
    const refused = ctflow(['run', 'g.yaml', '--runs', 'r'], dir);
    expect(refused.code, refused.err).to.equal(2);
    expect(refused.err).to.match(/g\.yaml:4:11 node "make" \[commands-not-allowed\] command: runs ".* make\.mjs", and programs named in a graph run only when allowed/);
    expect(refused.err).to.contain('run it again with --allow-commands');
    expect(existsSync(join(dir, 'r'))).to.equal(false);

    const ran = ctflow(['run', 'g.yaml', '--runs', 'r', '--allow-commands', '--quiet'], dir);
    expect(ran.code, ran.err).to.equal(0);
    expect(ran.out).to.match(/ran +make .*\n.*ran +eval /);

    writeGraph(dir, 'nodep.yaml', yaml('make.py'));
    const missing = ctflow(['run', 'nodep.yaml', '--runs', 'r', '--allow-commands'], dir);
    expect(missing.code, missing.err).to.equal(2);
    expect(missing.err).to.match(/nodep\.yaml:5:\d+ node "make" \[input-files\] command: cannot list its input files: deps: "make\.py" does not exist/);
  });

  it('are refused in a sweep unless allowed, each node named once', async () => {
    const dir = tempDir('ctflow-cmd-');
    const file = graph(dir, writeGraph(dir, 'score.mjs', SCORER), 'replicates: 3\n');
    const s = session(join(dir, 'runs'));
    const { variants } = s.loadSweep(file);
    expect(variants.length).to.equal(3);
    const err = await s.runSweep(variants, file).then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(GraphError);
    expect((err as GraphError).issues.map((i) => [i.node, i.code])).to.deep.equal([['score', 'commands-not-allowed']]);
    expect(existsSync(join(dir, 'runs', 'cache'))).to.equal(false);
  });

  it('kill the program when the node is aborted', async () => {
    const pidFile = join(tempDir('ctflow-cmd-'), 'pid');
    const ac = new AbortController();
    // The program never exits by itself: the run can end only by the abort killing it.
    const argv = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`];
    const run = runProgram({ argv, cwd: '.', env: process.env, signal: ac.signal, log: () => {} });
    while (!existsSync(pidFile)) await sleep(20);
    ac.abort();
    const err = await run.then(() => undefined, (e: Error) => e);
    expect(err?.name).to.equal('AbortError');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0), `program ${pid} still runs`).to.throw(/ESRCH/);
  });
});
