// Input files statted on a worker thread ahead of planning (engine/stat-ahead.ts): the worker's
// numbers are the main thread's, file kinds included; a folder the memo does not know is hashed
// there too, to the main thread's digests and memo, and a file no longer as statted is left to
// planning; scans keep their order and a listing failure its turn; and a no-op over more files
// than are statted inline still sees a same-size change with its mtime set back, in a scan
// statted on the worker and in one statted inline.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileFingerprints, hashPacked } from '../../engine/fingerprint.js';
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

  it('hashes a scan it is asked to on the worker: the main thread\'s digests and memo, other kinds of file left to planning', async () => {
    const root = tempDir();
    const files = Array.from({ length: 5 }, (_, i) => join(root, `${i}.bin`));
    files.forEach((f, i) => writeFileSync(f, Buffer.alloc(1000 * i + 3, i + 1)));
    mkdirSync(join(root, 'dir'));
    const all = [...files, join(root, 'dir'), join(root, 'missing')];
    const scans = [{ id: 'a', files: all }, { id: 'b', files: all.slice(0, 2) }];
    const got: { id: string; digests?: Uint8Array; stats: Float64Array }[] = [];
    for await (const { scan, stats, digests } of withStats(scansOf(scans), 0, (x) => x.id === 'a')) got.push({ id: scan.id, stats, digests });
    expect(got[1].digests, 'b was not asked for').to.equal(undefined);
    const d = got[0].digests!, n = all.length;
    expect(Array.from(d.subarray(0, n)), 'hashed: the regular files').to.deep.equal([1, 1, 1, 1, 1, 0, 0]);
    files.forEach((f, i) => expect(Buffer.from(d.subarray(n + 32 * i, n + 32 * i + 32)).toString('hex')).to.equal(createHash('sha256').update(readFileSync(f)).digest('hex')));
    // planning with the worker's digests: the same file set and memo as hashing on the main thread
    const viaWorker = new FileFingerprints(join(root, 'memo-w.json')), inline = new FileFingerprints(join(root, 'memo-i.json'));
    const a = await viaWorker.hashes(all, (f) => f, '.', got[0].stats, d), b = await inline.hashes(all, (f) => f);
    expect(a.fingerprint).to.equal(b.fingerprint);
    viaWorker.save();
    inline.save();
    expect(readFileSync(join(root, 'memo-w.json'), 'utf8')).to.equal(readFileSync(join(root, 'memo-i.json'), 'utf8'));
  });

  it('does not hash a file that is no longer the one statted (planning hashes it itself)', () => {
    const root = tempDir(), f = join(root, 'x.bin');
    writeFileSync(f, 'before');
    const stats = statPacked([f]);
    expect(hashPacked([f], stats)[0]).to.equal(1);
    writeFileSync(f, 'after!');                       // same size, written again
    const stale = Float64Array.from(stats);
    stale[2] -= 1000;                                 // as if statted before the write: another mtime
    expect(hashPacked([f], stale)[0]).to.equal(0);
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
