// Input files statted on a worker thread ahead of planning (engine/stat-ahead.ts): the worker's
// numbers are the main thread's, file kinds included; scans keep their order and a listing
// failure its turn; and a no-op over more files than are statted inline still sees a same-size
// change with its mtime set back, in a scan statted on the worker and in one statted inline.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INLINE_FILES, withStats } from '../../engine/stat-ahead.js';
import { FILE, MISSING, OTHER, STAT_FIELDS, statPacked } from '../../engine/stat-pack.js';
import type { ScanFiles } from '../../engine/types.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';

async function* scansOf(list: ScanFiles[], failAt = -1): AsyncIterable<ScanFiles> {
  for (let i = 0; i < list.length; i++) {
    if (i === failAt) throw new Error(`cannot list scan ${list[i].id}`);
    yield list[i];
  }
}

describe('stat ahead', () => {
  it('gives the worker\'s numbers as the main thread\'s: a file, a folder, a FIFO, a dangling link, a missing file', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), 'abc');
    mkdirSync(join(root, 'dir'));
    expect(spawnSync('mkfifo', [join(root, 'fifo')]).status).to.equal(0);
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    const files = ['file', 'dir', 'fifo', 'dangling', 'missing'].map((f) => join(root, f));
    const scans = [{ id: 'a', files }, { id: 'b', files: [...files].reverse() }];
    const got: [string, number[]][] = [];
    for await (const { scan, stats } of withStats(scansOf(scans), 0)) got.push([scan.id, Array.from(stats)]);
    expect(got.map(([id]) => id)).to.deep.equal(['a', 'b']);
    expect(got[0][1]).to.deep.equal(Array.from(statPacked(files)));
    expect(got[1][1]).to.deep.equal(Array.from(statPacked([...files].reverse())));
    expect(got[0][1].filter((_, k) => k % STAT_FIELDS === 0)).to.deep.equal([FILE, OTHER, OTHER, MISSING, MISSING]);
    expect(got[0][1][1], 'the file\'s size').to.equal(3);
  });

  it('throws a listing failure at its turn, after the scans before it', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'f'), 'x');
    const scans = ['a', 'b', 'c', 'd'].map((id) => ({ id, files: [join(root, 'f')] }));
    const seen: string[] = [];
    let error = '';
    try {
      for await (const { scan } of withStats(scansOf(scans, 2), 0)) seen.push(scan.id);
    } catch (e) {
      error = (e as Error).message;
    }
    expect(seen).to.deep.equal(['a', 'b']);
    expect(error).to.equal('cannot list scan c');
  });

  it('a no-op over more files than are statted inline sees a same-size change with its mtime set back, on either side of the switch', async function () {
    this.timeout(120_000);
    const root = tempDir(), data = join(root, 'data');
    const perScan = Math.ceil(INLINE_FILES / 2) + 10; // the third scan is statted on the worker
    for (const scan of ['s1', 's2', 's3']) {
      mkdirSync(join(data, scan), { recursive: true });
      for (let i = 0; i < perScan; i++) writeFileSync(join(data, scan, `${i}.bin`), `${scan} ${i}`);
    }
    const file = writeGraph(root, 'g.yaml', `name: many\nnodes:\n  scans: { kind: folder-scans, params: { path: ${JSON.stringify(data)} } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n`);
    const s = session(join(root, 'runs'));
    const run = async () => {
      const { graph, issues } = s.load(file);
      if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
      const out = await s.run(graph);
      expect(out.record.status).to.equal('ok');
      return { reason: out.record.nodes.mean.reason, batches: out.record.nodes.mean.batches ?? 0 };
    };
    expect((await run()).batches).to.equal(3);
    const mtime = 1_700_000_000;
    const edits = [join(data, 's3', '7.bin'), join(data, 's1', '5.bin')];
    for (const f of edits) utimesSync(f, mtime, mtime);
    expect((await run()).batches, 'a no-op: files as they were').to.equal(0);
    for (const [k, f] of edits.entries()) {
      await sleep(20); // past the clock tick: the edit's ctime differs
      const b = readFileSync(f);
      b[0] ^= 1;
      writeFileSync(f, b);
      utimesSync(f, mtime, mtime);
      const again = await run();
      expect(again.reason, f).to.equal(`1 changed (${k === 0 ? 's3' : 's1'}), 2 cached`);
      expect(again.batches).to.equal(1);
    }
  });
});
