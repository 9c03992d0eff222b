// A write that fails while caching (a full disk) fails the run clearly and leaves the cache
// intact; after space is freed, the rerun completes. Needs a small tmpfs (root); outside CI the
// test is skipped, with the reason, where mounting is not allowed.
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

describe('disk full while caching', function () {
  const mnt = mkdtempSync(join(tmpdir(), 'ctflow-full-'));
  let mounted = false;
  before(function () {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], { encoding: 'utf8' });
    mounted = r.status === 0;
    if (!mounted) {
      if (process.env.CI) throw new Error(`CI must be able to mount a tmpfs for this test: ${r.stderr}`);
      console.log(`    (skipped: cannot mount a tmpfs here: ${r.stderr.trim() || r.error?.message})`);
      this.skip();
    }
  });
  after(() => {
    if (mounted) execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('fails the run with the reason and keeps every finished entry usable', async () => {
    const dir = tempDir();
    const runs = join(mnt, 'runs');
    mkdirSync(runs);
    const small = writeGraph(dir, 'small.yaml', 'name: small\nnodes:\n  scans: { kind: toy-scans, params: { scans: 2, size: 8 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n');
    const s = session(runs);
    const first = await runFile(s, small);
    expect(first.record.status).to.equal('ok');
    // 2.5 MB of ballast leaves too little room for 4 scans × 4 slices × 256² int16 (2 MiB).
    writeFileSync(join(mnt, 'ballast'), Buffer.alloc(2_600_000));
    const big = writeGraph(dir, 'big.yaml', 'name: big\nnodes:\n  scans: { kind: toy-scans, params: { scans: 4, size: 256 } }\n  small: { kind: toy-scans, params: { scans: 2, size: 8 } }\n  mean: { kind: scan-mean, in: { slices: small } }\n');
    const out = await runFile(s, big);
    expect(out.record.status).to.equal('failed');
    expect(out.record.nodes.scans.status).to.equal('failed');
    expect(out.record.nodes.scans.error).to.match(/ENOSPC|no space/i);
    expect(s.store.lookup(out.record.nodes.scans.key).hit).to.equal(false);
    // Earlier entries are intact and verify batch by batch.
    for (const id of ['scans', 'mean']) {
      const key = first.record.nodes[id].key;
      const found = s.store.lookup(key);
      expect(found.hit, id).to.equal(true);
      if (!found.hit) continue;
      for (const [port, pm] of Object.entries(found.manifest.outputs)) {
        const reader = await s.store.reader(s.store.entryDir(key), found.manifest, port);
        for (let b = 0; b < pm.batches.length; b++) await reader.batch(b);
        await reader.close();
      }
    }
    rmSync(join(mnt, 'ballast'));
    const again = await runFile(s, big);
    expect(again.record.status).to.equal('ok');
    expect(byStatus(again, 'ran')).to.deep.equal(['scans']);
  });
});
