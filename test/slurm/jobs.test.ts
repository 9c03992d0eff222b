// The Slurm executor's parts that need no cluster: `resources:` validated with the graph and
// turned into sbatch options (defaults per kind, a GPU only for a backend that needs one), and
// `ctflow job` refusing a job file its code keys differently or that points outside the runs
// directory.
import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeJob } from '../../engine/scale/jobs.js';
import { jobPaths, writeJobFile } from '../../engine/scale/slurm/files.js';
import { jobResources, resourceArgs } from '../../engine/scale/slurm/resources.js';
import { registry } from '../../nodes/index.js';
import { Session } from '../../engine/session.js';
import { ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = `name: res
seed: 2
nodes:
  scans:  { kind: synthetic-ct, params: { scans: 2, slices: [4, 5], size: 64 } }
  crop:   { kind: cropper, in: { slices: scans }, cache: false, resources: { cpus: 3 } }
  median: { kind: median-filter, in: { slices: crop.slices }, resources: { cpus: 1, mem: 2G, time: '10:00' } }
`;

async function planOf(yaml: string) {
  const dir = tempDir();
  const s = new Session({ runsDir: join(dir, 'runs'), registry });
  const { graph, issues } = s.load(writeGraph(dir, 'g.yaml', yaml));
  expect(issues).to.deep.equal([]);
  return { dir, s, plan: await s.plan(graph!) };
}

describe('Slurm jobs without a cluster', () => {
  it('resources: a fused chain asks for the most its members ask for, over the defaults of its kind', async () => {
    const { plan } = await planOf(GRAPH);
    expect(jobResources(plan, ['crop', 'median'], 'auto')).to.deep.equal({ cpus: 3, mem: '2G', gpus: 0, time: '10:00' });
    expect(resourceArgs(jobResources(plan, ['crop', 'median'], 'auto'))).to.deep.equal(['--cpus-per-task=3', '--mem=2G', '--time=10:00']);
    expect(jobResources(plan, ['scans'], 'auto')).to.deep.equal({ cpus: 2, mem: '4G', gpus: 0 });
  });

  it('resources: model kinds ask for a GPU only when their backend needs one', async () => {
    const { plan } = await planOf(`name: m
nodes:
  scans: { kind: synthetic-ct, params: { scans: 4, slices: [4, 5], size: 64 } }
  window: { kind: area-window, in: { areas: lung.areas } }
  lung: { kind: binary-dilation, in: { masks: mask } }
  mask: { kind: threshold, in: { slices: scans } }
  gpu: { kind: cnn-trainer, in: { slices: scans, windows: window }, backend: webgpu }
  cpu: { kind: cnn-trainer, in: { slices: scans, windows: window }, backend: wasm }
  auto: { kind: cnn-trainer, in: { slices: scans, windows: window } }
`);
    expect(jobResources(plan, ['gpu'], 'auto').gpus).to.equal(1);
    expect(jobResources(plan, ['cpu'], 'webgpu').gpus).to.equal(0);
    expect(jobResources(plan, ['auto'], 'auto').gpus).to.equal(0);
    expect(jobResources(plan, ['auto'], 'tensorflow-gpu').gpus).to.equal(1);
    expect(jobResources(plan, ['auto'], 'auto').mem).to.equal('8G');
  });

  it('bad resources are located graph problems (exit 2), before anything runs', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', GRAPH.replace("resources: { cpus: 3 }", "resources: { cpus: 0, memory: 4G }").replace("time: '10:00'", 'time: soon'));
    const r = ctflow(['validate', 'g.yaml'], dir);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/g\.yaml:5:\d+ node "crop" \[schema\].*cpus/);
    expect(r.err).to.match(/g\.yaml:5:\d+ node "crop" \[schema\].*memory/);
    expect(r.err).to.match(/g\.yaml:6:\d+ node "median" \[schema\].*time/);
  });

  it('ctflow job refuses a job whose key material its code hashes to another key, and one naming files outside its runs directory', async () => {
    const { dir, s, plan } = await planOf(GRAPH);
    const runs = s.store.root;
    const job = nodeJob(plan, ['scans'], 2, 'auto');
    job.nodes[0].material.params = { ...job.nodes[0].material.params, scans: 3 };
    const paths = jobPaths(runs, 'test', job.nodes[0].key);
    writeJobFile(runs, paths, job, false);
    const r = ctflow(['job', '--cache', runs, paths.job], dir);
    expect(r.code, r.err).to.equal(1);
    expect(r.err).to.match(/node "scans" \(synthetic-ct\): this worker's code gives another cache key \(the job's key material does not hash to its key\)/);
    expect(JSON.parse(readFileSync(paths.result, 'utf8')).error).to.match(/this worker's code gives another cache key/);
    const escape = JSON.parse(readFileSync(paths.job, 'utf8'));
    escape.result = '../../outside.json';
    mkdirSync(join(runs, 'slurm', 'evil'), { recursive: true });
    writeFileSync(join(runs, 'slurm', 'evil', 'x.job.json'), JSON.stringify(escape));
    const refused = ctflow(['job', '--cache', runs, join(runs, 'slurm', 'evil', 'x.job.json')], dir);
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/the result file .*outside\.json is not under .*slurm\/: a job file names only files of its runs directory/);
  });
});
