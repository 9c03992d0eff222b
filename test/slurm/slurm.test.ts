// The Slurm executor against a real single-node cluster (.ci/slurm.sh): a graph run through
// sbatch equals a local run byte for byte; a sweep whose job is scancelled reruns only that job;
// a job over its time limit reports TIMEOUT; Ctrl-C cancels the run's jobs; a missing sbatch or
// an unreachable controller is an error before anything is submitted.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BIN, ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';
import { jobState, slurmOrSkip } from './cluster.js';

const ARROW = new URL('../../engine/arrow.js', import.meta.url).href;
const FAST = { CTFLOW_SLURM_POLL: '200,1000' };

/**
 * A command node's program: four predictions whose probabilities depend on config.tag. While the
 * file $CTFLOW_TEST_HOLD exists, the variant tagged config.hold writes its Slurm job id next to
 * it and sleeps (the hold is outside the key, so removing it lets the same key finish).
 */
const SCRIPT = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Float32, Int8, Int32, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray } from ${JSON.stringify(ARROW)};
const env = process.env;
const { config } = JSON.parse(readFileSync(env.CTFLOW_PARAMS, 'utf8'));
if (config.tag === config.hold && env.CTFLOW_TEST_HOLD && existsSync(env.CTFLOW_TEST_HOLD)) {
  writeFileSync(env.CTFLOW_TEST_HOLD + '.' + config.tag, String(env.SLURM_JOB_ID));
  await new Promise((r) => setTimeout(r, 600000));
}
const shift = config.tag === 'a' ? 0.1 : 0.2;
const cols = { model: Array(4).fill('made'), scan_id: ['a', 'b', 'c', 'd'], split: Array(4).fill('validation'), label: [0, 1, 0, 1], draw: [0, 0, 0, 0], prob: [0.2, 0.7, 0.4, 0.6].map((p) => p + shift) };
const types = { model: new Utf8(), scan_id: new Utf8(), split: new Utf8(), label: new Int8(), draw: new Int32(), prob: new Float32() };
const fields = Object.entries(types).map(([name, type]) => new Field(name, type, true));
const children = fields.map((f) => vectorFromArray(cols[f.name], f.type).data[0]);
const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 4, children }));
writeFileSync(join(env.CTFLOW_OUT_DIR, 'predictions.arrow'), tableToIPC(new Table([batch]), 'file'));
`;

function commandGraph(dir: string, extra: string, hold = 'b', resources = ''): string {
  writeFileSync(join(dir, 'make.mjs'), SCRIPT);
  return writeGraph(dir, 'g.yaml', `name: slurm-cmd
seed: 1
nodes:
  make:
    kind: command
    params:
      argv: [${JSON.stringify(process.execPath)}, make.mjs]
      outputs: { predictions: predictions }
      deps: [make.mjs]
      config: { tag: a, hold: ${hold} }
${resources}  eval: { kind: evaluator, in: { predictions: make }, params: { meanK: [2] } }
${extra}`);
}

const LUNG = `name: slurm-lung
seed: 3
nodes:
  scans:  { kind: synthetic-ct, params: { scans: 3, slices: [5, 7], size: 64 } }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, params: { t: -400 }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask }, resources: { cpus: 1, mem: 1G } }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: 0.5 } }
`;

/** Every file of a cache directory (leases aside) with its bytes. */
function cacheFiles(runs: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === 'leases') continue;
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(runs, p), readFileSync(p));
    }
  };
  walk(join(runs, 'cache'));
  return files;
}

/** Run the CLI without blocking; resolves with its exit code and output. */
function start(args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: 'true', ...FAST, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((r) => child.on('exit', (code) => r({ code, out, err })));
  return { child, done };
}

async function waitFor(file: string, withinMs: number): Promise<string> {
  const until = Date.now() + withinMs;
  while (!existsSync(file) || !readFileSync(file, 'utf8')) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${withinMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return readFileSync(file, 'utf8').trim();
}

describe('--executor slurm (a real slurmctld and slurmd)', function () {
  this.timeout(300_000);
  before(function () {
    slurmOrSkip(this);
  });

  it('runs a graph as sbatch jobs whose entries equal a local run byte for byte; a rerun submits nothing', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', LUNG);
    // Cached per scan, as a local run: the whole chain is one group, its 3 scans 2 shards of one job array.
    const local = ctflow(['run', 'g.yaml', '--runs', 'local', '--no-report', '--quiet'], dir);
    expect(local.code, local.err).to.equal(0);
    const remote = ctflow(['run', 'g.yaml', '--runs', 'slurm', '--no-report', '--executor', 'slurm', '--shard', '2'], dir, FAST);
    expect(remote.code, remote.err).to.equal(0);
    expect(remote.err.match(/Slurm job array \d+ submitted/g) ?? []).to.have.length(1);
    expect(remote.err).to.match(/window: Slurm job array \d+ submitted: 2 shards of at most 2 scans \(1 cpu, 1G\)/);
    const a = cacheFiles(join(dir, 'local'));
    const b = cacheFiles(join(dir, 'slurm'));
    expect([...b.keys()].sort()).to.deep.equal([...a.keys()].sort());
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).to.equal(true);
    // Only failed jobs leave files behind.
    expect(readdirSync(join(dir, 'slurm', 'slurm')).flatMap((t) => readdirSync(join(dir, 'slurm', 'slurm', t)))).to.deep.equal([]);
    const again = ctflow(['run', 'g.yaml', '--runs', 'slurm', '--no-report', '--executor', 'slurm'], dir, FAST);
    expect(again.code, again.err).to.equal(0);
    expect(again.err).to.not.match(/submitted/);
    expect(again.out).to.match(/done: 0 ran, 4 cached/);
  });

  it("two coordinators submitting the same graph at once store each entry once: one job computes it, the other finds it stored", async () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', LUNG);
    const runs = [0, 1].map(() => start(['run', 'g.yaml', '--runs', 'shared', '--no-report', '--quiet', '--executor', 'slurm'], dir, {}));
    const done = await Promise.all(runs.map((r) => r.done));
    for (const d of done) expect(d.code, d.err).to.equal(0);
    const records = readdirSync(join(dir, 'shared', 'records')).map((id) => JSON.parse(readFileSync(join(dir, 'shared', 'records', id, 'record.json'), 'utf8')) as { nodes: Record<string, { status: string; key: string }> });
    expect(records).to.have.length(2);
    for (const id of ['scans', 'crop', 'lung', 'window']) {
      const statuses = records.map((r) => r.nodes[id].status).sort();
      expect(statuses, id).to.deep.equal(['cached', 'ran']);
    }
    const entries = readdirSync(join(dir, 'shared', 'cache')).filter((d) => /^[0-9a-f]{2}$/.test(d)).flatMap((d) => readdirSync(join(dir, 'shared', 'cache', d)));
    // Each stored node's own entry and one entry per scan of it (3 scans), nothing else.
    expect(entries).to.include.members(['scans', 'crop', 'lung', 'window'].map((id) => records[0].nodes[id].key));
    expect(entries).to.have.length(4 + 4 * 3);
  });

  it('a sweep whose job is scancelled fails that node with its Slurm state; the rerun submits only that job', async () => {
    const dir = tempDir();
    commandGraph(dir, 'sweep:\n  grid:\n    make.params.config.tag: [a, b]\n');
    const hold = join(dir, 'hold');
    writeFileSync(hold, '');
    const run = start(['sweep', 'g.yaml', '--runs', 'r', '--no-report', '--executor', 'slurm', '--allow-commands'], dir, { CTFLOW_TEST_HOLD: hold });
    const id = await waitFor(`${hold}.b`, 120_000);
    expect(jobState(id)).to.equal('RUNNING');
    ctflow(['--help'], dir); // (a process start between, as a user's would be)
    await new Promise<void>((resolve, reject) => spawn('scancel', [id]).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`scancel ${id}: exit ${c}`)))));
    const first = await run.done;
    expect(first.code, first.err).to.equal(1);
    expect(first.err).to.match(new RegExp(`node "slurm-cmd.tag=b/make" failed: Slurm job ${id} ended CANCELLED`));
    expect(first.out).to.contain('1 of 2 variants ok');
    rmSync(hold);
    const again = ctflow(['sweep', 'g.yaml', '--runs', 'r', '--no-report', '--executor', 'slurm', '--allow-commands'], dir, FAST);
    expect(again.code, again.err).to.equal(0);
    const submitted = again.err.match(/[\w.=/-]+: Slurm job \d+ submitted/g) ?? [];
    expect(submitted.map((s) => s.split(':')[0])).to.deep.equal(['slurm-cmd.tag=b/make', 'slurm-cmd.tag=b/eval']);
    expect(again.out).to.contain('2 of 2 variants ok');
  });

  it('a job over its time limit fails its node as TIMEOUT, with the log', async () => {
    const dir = tempDir();
    commandGraph(dir, '', 'a', "    resources: { time: '1' }\n");
    const hold = join(dir, 'hold');
    writeFileSync(hold, '');
    const r = await start(['run', 'g.yaml', '--runs', 'r', '--no-report', '--executor', 'slurm', '--allow-commands'], dir, { CTFLOW_TEST_HOLD: hold }).done;
    expect(r.code, r.err).to.equal(1);
    expect(r.err).to.match(/node "make" failed: Slurm job \d+ ended TIMEOUT on \S+ .*without a result; its log \S+make-\d+\.log ends:/);
    expect(r.err).to.contain('DUE TO TIME LIMIT');
    expect(r.err).to.contain('resume with');
  });

  it('Ctrl-C cancels the run\'s jobs with scancel and says so', async () => {
    const dir = tempDir();
    commandGraph(dir, '', 'a');
    const hold = join(dir, 'hold');
    writeFileSync(hold, '');
    const run = start(['run', 'g.yaml', '--runs', 'r', '--no-report', '--executor', 'slurm', '--allow-commands'], dir, { CTFLOW_TEST_HOLD: hold });
    const id = await waitFor(`${hold}.a`, 120_000);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).to.equal(130);
    expect(r.err).to.contain(`cancelled this run's Slurm jobs (scancel ${id})`);
    const until = Date.now() + 30_000;
    while (jobState(id) !== 'CANCELLED' && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
    expect(jobState(id)).to.equal('CANCELLED');
  });

  it('a missing sbatch or an unreachable controller is an error before anything is submitted', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', LUNG);
    const noPath = ctflow(['run', 'g.yaml', '--runs', 'r', '--executor', 'slurm'], dir, { PATH: join(dir, 'empty') });
    expect(noPath.code).to.equal(2);
    expect(noPath.err).to.match(/--executor slurm: sbatch is not on PATH .*module load slurm.*Nothing was submitted/);
    const conf = readFileSync(process.env.SLURM_CONF!, 'utf8').replace(/^SlurmctldHost=.*$/m, 'SlurmctldHost=$&\nSlurmctldPort=9').replace('SlurmctldHost=SlurmctldHost=', 'SlurmctldHost=');
    writeFileSync(join(dir, 'down.conf'), conf);
    const down = ctflow(['run', 'g.yaml', '--runs', 'r', '--executor', 'slurm'], dir, { SLURM_CONF: join(dir, 'down.conf') });
    expect(down.code).to.equal(2);
    expect(down.err).to.match(/--executor slurm: the Slurm controller (does not answer|is not up).*down\.conf.*Nothing was submitted/s);
    expect(existsSync(join(dir, 'r', 'cache'))).to.equal(false);
  });
});
