// A corrupt entry that no later node reads (issue 24, class 6): a byte flipped in a leaf entry is
// found on the next run (checked once per file version), removed and recomputed, so the run is not
// "all cached" on damaged data; `export` of a corrupt entry says so and exits 1, no stack trace.
import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../engine/runs.js';
import { ctflow } from '../helpers/cli.js';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

/**
 * Flip one byte in the middle of batch `batch` of `port` of the entry of `key`, keeping its size;
 * of a node cached per scan, in the entry of scan number `batch` (one batch a scan).
 */
function flip(runs: string, key: string, port: string, batch = 0): void {
  const dir = join(runs, 'cache', key.slice(0, 2), key);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (manifest.partitions) return flip(runs, manifest.partitions[batch].key, port, 0);
  const pm = manifest.outputs[port];
  const b = pm.batches[batch];
  const bytes = readFileSync(join(dir, pm.file));
  bytes[b.offset + (b.length >> 1)] ^= 0x40;
  writeFileSync(join(dir, pm.file), bytes);
}

describe('corrupt leaf entries', function () {
  this.timeout(120_000);

  it('a flipped byte in a leaf entry is found, reported and recomputed; then the run is all cached', async () => {
    const dir = tempDir();
    const runs = join(dir, 'runs');
    const file = writeGraph(dir, 'g.yaml', 'name: leaf\nnodes:\n  scans: { kind: toy-scans, params: { scans: 3 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n  total: { kind: stats-total, in: { stats: mean } }\n');
    const first = await runFile(session(runs), file);
    expect((await runFile(session(runs), file)).record.nodes.total.status, 'checked and remembered').to.equal('cached');
    for (const [node, batch] of [['total', 0], ['total', 0]] as const) {
      flip(runs, first.record.nodes[node].key, 'stats', batch);
      const out = await runFile(session(runs), file);
      expect(out.record.nodes[node].status, node).to.equal('ran');
      expect(out.record.nodes[node].reason).to.match(/^cache entry corrupt: .*does not match its checksum/);
      expect(byStatus(out, 'cached')).to.deep.equal(['mean', 'scans']);
      const again = await runFile(session(runs), file);
      expect(byStatus(again, 'cached'), 'repaired').to.deep.equal(['mean', 'scans', 'total']);
    }
    // A leaf of another graph over the same entries (mean is a leaf there): checked there too.
    const part = writeGraph(dir, 'part.yaml', 'name: part\nnodes:\n  scans: { kind: toy-scans, params: { scans: 3 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n');
    flip(runs, first.record.nodes.mean.key, 'stats', 2);
    const out = await runFile(session(runs), part);
    expect(out.record.nodes.mean.status).to.equal('ran');
    expect(out.record.nodes.mean.reason).to.match(/batch 2 does not match its checksum/);
  });

  it('export of a corrupt entry says so and exits 1 without a stack trace; a run repairs it', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', 'name: ex\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: 2, slices: [2, 3], size: 64 } }\n  crop: { kind: cropper, in: { slices: scans } }\n');
    expect(ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--no-report'], dir).code).to.equal(0);
    const [id] = readdirSync(join(dir, 'runs', 'records'));
    const record = JSON.parse(readFileSync(join(dir, 'runs', 'records', id, 'record.json'), 'utf8')) as RunRecord;
    flip(join(dir, 'runs'), record.nodes.crop.key, 'slices', 1);
    for (const to of ['crop.arrow', 'slices-out']) {
      const r = ctflow(['export', 'g.yaml', 'crop', '--to', to, '--runs', 'runs'], dir);
      expect(r.code, to).to.equal(1);
      expect(r.err).to.match(/cached output of "crop" is corrupt .*scan syn-0001: .*batch does not match its checksum.*run the graph/s);
      expect(r.out + r.err).to.not.match(/^\s+at /m);
      expect(ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--no-report'], dir).code).to.equal(0);
      flip(join(dir, 'runs'), record.nodes.crop.key, 'slices', 1);
    }
    // Flipped again and not exported: the next run finds it (crop is a leaf) and recomputes it.
    const rerun = ctflow(['run', 'g.yaml', '--runs', 'runs', '--no-report'], dir);
    expect(rerun.code).to.equal(0);
    expect(rerun.out + rerun.err).to.match(/crop.*corrupt/);
    expect(ctflow(['export', 'g.yaml', 'crop', '--to', 'fine.arrow', '--runs', 'runs'], dir).code).to.equal(0);
  });
});
