// The fingerprints a no-op rerun trusts (engine/fingerprint.ts): a remembered file is not read
// again while its stat signature (size, mtime, ctime, inode) is unchanged, and any change of it
// is seen, also the ones a size-and-mtime memo missed: a same-size edit with its mtime set back,
// and a same-size file renamed over it with the old mtime.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSet, type FileSetJson } from '../../engine/file-set.js';
import { FileFingerprints } from '../../engine/fingerprint.js';
import { tempDir } from '../helpers/engine.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Rewrite every hash in a memo file (format 3: a folder's digests are its third string, base64). */
function forge(memo: string, hash: (hex: string) => string): void {
  const m = JSON.parse(readFileSync(memo, 'utf8')) as { format: number; dirs: Record<string, [string, string, string]> };
  expect(m.format).to.equal(3);
  for (const d of Object.values(m.dirs)) {
    const hex = Buffer.from(d[2], 'base64').toString('hex');
    d[2] = Buffer.from(hex.replace(/[0-9a-f]{64}/g, hash), 'hex').toString('base64');
  }
  writeFileSync(memo, JSON.stringify(m));
}

describe('file fingerprints', () => {
  it('hashes each file once: a new session takes the remembered hash while the signature holds', async () => {
    const root = tempDir();
    const memo = join(root, 'memo.json');
    const files = ['a/1.jpg', 'a/2.jpg', 'b/1.jpg'].map((f) => join(root, f));
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    for (const f of files) writeFileSync(f, f);
    const first = new FileFingerprints(memo);
    const got = await first.hashes(files, (f) => f.slice(root.length + 1));
    expect(got.entries()).to.deep.equal(files.map((f) => [f.slice(root.length + 1), sha(f)]));
    first.save();
    // The memo is what a new session believes: forge one hash in it (same signature) and it is taken unread.
    forge(memo, (h) => (h === sha(files[1]) ? 'f'.repeat(64) : h));
    const again = await new FileFingerprints(memo).hashes([...files].reverse(), (f) => f);
    expect(again.entries().map(([, h]) => h)).to.deep.equal([sha(files[0]), 'f'.repeat(64), sha(files[2])]);
  });

  it('hashes a file of any size as sha256sum does (empty, within one read, across reads of the shared buffer)', async () => {
    const root = tempDir();
    const MiB = 1024 * 1024;
    const sizes = [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 7];
    const files = sizes.map((n, i) => {
      const f = join(root, `${i}.bin`);
      writeFileSync(f, randomBytes(n));
      return f;
    });
    const got = await new FileFingerprints(join(root, 'memo.json')).hashes(files, (f) => f);
    const sum = spawnSync('sha256sum', files, { encoding: 'utf8' });
    expect(sum.status, sum.stderr).to.equal(0);
    const expected = new Map(sum.stdout.trim().split('\n').map((l) => { const [h, f] = l.split(/\s+\*?/); return [f, h]; }));
    expect(got.entries()).to.deep.equal([...files].sort().map((f) => [f, expected.get(f)]));
    expect(new Set(got.entries().map(([, h]) => h)).size, 'files of different bytes, different hashes').to.equal(sizes.length);
  });

  it('asked out of the stored order or for a subset of a folder, finds the same hashes', async () => {
    const root = tempDir();
    const memo = join(root, 'memo.json');
    const files = Array.from({ length: 12 }, (_, i) => join(root, `${i}.jpg`));
    for (const f of files) writeFileSync(f, f);
    const first = new FileFingerprints(memo);
    await first.hashes(files, (f) => f);
    first.save();
    forge(memo, (h) => `${h.slice(0, 60)}beef`); // every hash forged: all must come from the memo
    const some = [files[7], files[3], files[11]];
    const again = await new FileFingerprints(memo).hashes(some, (f) => f);
    expect(again.entries().map(([, h]) => h)).to.deep.equal([...some].sort().map((f) => `${sha(f).slice(0, 60)}beef`));
  });

  it('sees a same-size edit whose mtime was set back (its ctime moved), and a same-size file renamed over it with the old mtime (another inode)', async () => {
    const root = tempDir();
    const memo = join(root, 'memo.json');
    const file = join(root, '7.jpg');
    const mtime = 1_700_000_000; // whole seconds: set back exactly
    writeFileSync(file, 'slice A');
    utimesSync(file, mtime, mtime);
    const was = statSync(file);
    const first = new FileFingerprints(memo);
    expect((await first.hashes([file], (f) => f)).hash(0)).to.equal(sha('slice A'));
    first.save();
    await sleep(20); // past the kernel's coarse clock tick, so that the ctime can differ

    writeFileSync(file, 'slice B');
    utimesSync(file, mtime, mtime);
    expect([statSync(file).size, statSync(file).mtimeMs]).to.deep.equal([was.size, was.mtimeMs]); // what a size+mtime memo compared
    const edited = new FileFingerprints(memo);
    expect((await edited.hashes([file], (f) => f)).hash(0)).to.equal(sha('slice B'));
    edited.save();
    await sleep(20);

    const other = join(root, 'other.tmp');
    writeFileSync(other, 'slice C');
    utimesSync(other, mtime, mtime);
    renameSync(other, file);
    expect((await new FileFingerprints(memo).hashes([file], (f) => f)).hash(0)).to.equal(sha('slice C'));
  });

  it('hashes a file whose name holds a tab or a newline on every run, and right', async () => {
    const root = tempDir();
    const memo = join(root, 'memo.json');
    const files = [join(root, 'a\tb.jpg'), join(root, 'c\nd.jpg'), join(root, 'e.jpg')];
    for (const f of files) writeFileSync(f, f);
    const first = new FileFingerprints(memo);
    await first.hashes(files, (f) => f);
    first.save();
    const again = await new FileFingerprints(memo).hashes(files, (f) => f);
    expect(again.entries()).to.deep.equal([...files].sort().map((f) => [f, sha(f)]));
  });

  it('ignores a memo of the earlier format (one line a file): its files are hashed again', async () => {
    const root = tempDir();
    const memo = join(root, 'memo.json');
    const file = join(root, '1.jpg');
    writeFileSync(file, 'slice');
    const st = statSync(file);
    writeFileSync(memo, JSON.stringify({ format: 2, dirs: { [root]: `1.jpg\t${st.size}\t${st.mtimeMs}\t${st.ctimeMs}\t${st.ino}\t${'f'.repeat(64)}` } }));
    const fp = new FileFingerprints(memo);
    expect((await fp.hashes([file], (f) => f)).hash(0)).to.equal(sha('slice'));
    fp.save();
    expect((JSON.parse(readFileSync(memo, 'utf8')) as { format: number }).format, 'rewritten in the current format').to.equal(3);
  });

  it('keeps per file 32 bytes of digest and 4 stat numbers, and gives back the pairs and the stat check', async () => {
    const root = tempDir();
    const files = ['2.jpg', '10.jpg', 'x/1.jpg'].map((f) => join(root, f));
    mkdirSync(join(root, 'x'));
    for (const f of files) writeFileSync(f, f);
    const set = await new FileFingerprints(join(root, 'memo.json')).hashes([...files, join(root, 'gone.jpg')], (f) => f.slice(root.length + 1), root);
    expect(set.entries()).to.deep.equal([['10.jpg', sha(files[1])], ['2.jpg', sha(files[0])], ['gone.jpg', '!ENOENT'], ['x/1.jpg', sha(files[2])]]);
    expect(set.files()).to.deep.equal([files[1], files[0], join(root, 'gone.jpg'), files[2]]);
    expect(set.unchanged(0, statSync(files[1]))).to.equal(true);
    expect(set.unchanged(1, statSync(files[1])), "another file's stat").to.equal(false);
    expect(set.unchanged(2, statSync(files[1])), 'a file that was missing').to.equal(false);
    expect(FileSet.fromJson(JSON.parse(JSON.stringify(set)) as FileSetJson).toJSON(), 'through JSON (a shard job)').to.deep.equal(set.toJSON());
  });
});
