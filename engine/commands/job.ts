// `ctflow job`: run one node job that a Slurm coordinator wrote into the shared runs directory
// (engine/scale/slurm). It recomputes each node's key from the job's key material with this
// machine's code and refuses a mismatch, answers at once when the entry is stored already, and
// writes its result file (atomically) for the coordinator; progress lines go to the progress file.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { Leases } from '../lease.js';
import { appendProgress, readJobFile, writeAtomic } from '../scale/slurm/files.js';
import { DirectoryStore } from '../scale/store.js';
import { oneFile, type Command } from './common.js';

export const jobCommand: Command = {
  name: 'job',
  usage: '--cache DIR JOBFILE',
  summary: 'run one node job of an --executor slurm run (sbatch runs this; not for typing)',
  options: {
    cache: { type: 'string', arg: 'DIR', help: "the shared runs directory (the coordinator's --runs)" },
  },
  async run(opts, args) {
    if (!opts.cache) throw new UsageError("--cache DIR is required: the shared runs directory (the coordinator's --runs)");
    const runs = resolve(String(opts.cache));
    const { spec, result, progress } = readJobFile(runs, resolve(oneFile(args, 'JOBFILE')));
    const { registry } = await import('../../nodes/index.js');
    const { runNodeJob } = await import('../scale/run-job.js'); // RxJS and Arrow: not loaded by the other commands
    const store = new DirectoryStore(runs);
    const leases = new Leases(join(store.local.cacheDir, 'leases'));
    const scratch = join(store.local.root, 'scratch', `job-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
    const sink = spec.job.nodes[spec.job.nodes.length - 1];
    console.error(`ctflow job ${sink.key.slice(0, 12)}: ${spec.job.nodes.map((n) => n.id).join(', ')} on ${hostname()}`);
    try {
      const done = await runNodeJob(spec.job, {
        store, registry, leases, scratch, allowCommands: spec.allowCommands,
        log: (node, key, message) => {
          console.error(`  ${node}: ${message}`);
          appendProgress(progress, { key, log: message });
        },
        progress: (key, done, total, info) => appendProgress(progress, { key, done, total, info }),
      });
      const plain = done.status === 'failed' && !done.result.corrupt && !Object.keys(done.result.outcomes).length;
      writeAtomic(result, JSON.stringify(plain ? { ...done.result, error: done.reason } : done.result));
      console.error(`${done.status}${done.reason ? `: ${done.reason}` : ''}`);
      return done.status === 'failed' ? 1 : 0;
    } finally {
      leases.releaseAll();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
