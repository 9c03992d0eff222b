// ctflow worker and --executor bullmq as a user meets them: usage errors, then a run of shipped
// kinds through a worker process, its rerun from the store, and the worker stopping on SIGTERM.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BIN, ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';
import { redisOrSkip, type TestRedis } from './redis.js';


/** ctflow with no Redis from the environment unless `env` gives one. */
const cli = (args: string[], cwd: string, env: Record<string, string> = {}) => ctflow(args, cwd, { CTFLOW_REDIS: '', ...env });

describe('ctflow worker and --executor bullmq on the command line', function () {
  this.timeout(60_000);
  const dir = tempDir('ctflow-scale-cli-');
  const graph = writeGraph(dir, 'g.yaml', `name: cli-scale
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [8, 10], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }
  mask: { kind: threshold, in: { slices: median }, cache: false }
  lung: { kind: binary-dilation, in: { masks: mask } }
`);

  it('usage errors say what is missing (exit 2)', () => {
    const cases: [string[], string][] = [
      [['worker', '--cache', 'runs'], '--redis redis://host:port is required'],
      [['worker', '--redis', 'redis://127.0.0.1:1'], '--cache DIR is required'],
      [['worker', '--redis', 'redis://127.0.0.1:1', '--cache', 'runs', '--heavy-concurrency', 'two'], '--heavy-concurrency must be an integer ≥ 0, got "two"'],
      [['run', graph, '--executor', 'bullmq'], '--executor bullmq needs --redis'],
      [['sweep', graph, '--executor', 'kubernetes'], '--executor must be local, bullmq or slurm, got "kubernetes"'],
      [['run', graph, '--redis', 'redis://127.0.0.1:1'], '--redis is for --executor bullmq'],
      [['run', graph, '--shard', '4'], '--shard is for --executor bullmq or slurm'],
      [['run', graph, '--executor', 'bullmq', '--redis', 'redis://127.0.0.1:1', '--shard', '0'], '--shard takes a whole number of scans ≥ 1, got "0"'],
    ];
    for (const [args, message] of cases) {
      const r = cli(args, dir);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err, args.join(' ')).to.contain(message);
    }
  });

  describe('with a Redis', () => {
    let redis: TestRedis;
    before(async function () {
      redis = await redisOrSkip(this);
    });
    after(async () => redis?.stop());

    it('a run goes through a worker, its rerun is all cached, and the worker stops on SIGTERM', async () => {
      const runs = resolve(dir, 'runs');
      const worker = spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--cache', runs, '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let events = '';
      worker.stdout.on('data', (d) => (events += d));
      const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
      try {
        const first = cli(['run', graph, '--runs', runs, '--executor', 'bullmq', '--redis', redis.url, '--quiet'], dir);
        expect(first.code, first.err).to.equal(0);
        expect(first.out).to.match(/^ran +scans/m).and.match(/^ran +lung/m);
        const again = cli(['run', graph, '--runs', runs, '--executor', 'bullmq', '--quiet'], dir, { CTFLOW_REDIS: redis.url });
        expect(again.code, again.err).to.equal(0);
        expect(again.out).to.match(/^cached +lung/m).and.not.match(/^ran /m);
      } finally {
        worker.kill('SIGTERM');
      }
      expect(await exited).to.equal(0);
      const done = events.trim().split('\n').map((l) => JSON.parse(l) as { event: string; nodes?: string[] }).filter((e) => e.event === 'active');
      // The chain is cached per scan: its scans are one shard (at most 8 scans), one job.
      expect(done.map((e) => e.nodes)).to.deep.equal([['scans', 'crop', 'median', 'mask', 'lung']]);
    });
  });
});
