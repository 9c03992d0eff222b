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
import { FileFingerprints } from '../../engine/fingerprint.js';
import { tempDir } from '../helpers/engine.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

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
    expect(got.hashes).to.deep.equal(files.map((f) => [f.slice(root.length + 1), sha(f)]));
    first.save();
    // The memo is what a new session believes: forge one hash in it (same signature) and it is taken unread.
    const text = readFileSync(memo, 'utf8');
    writeFileSync(memo, text.replace(sha(files[1]), 'f'.repeat(64)));
    const again = await new FileFingerprints(memo).hashes([...files].reverse(), (f) => f);
    expect(again.hashes.map(([, h]) => h)).to.deep.equal([sha(files[0]), 'f'.repeat(64), sha(files[2])]);
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
    expect(got.hashes).to.deep.equal([...files].sort().map((f) => [f, expected.get(f)]));
    expect(new Set(got.hashes.map(([, h]) => h)).size, 'files of different bytes, different hashes').to.equal(sizes.length);
  });

  it('asked out of the stored order or for a subset of a folder, finds the same hashes', async () => {
    const root = tempDir();
    const memo = join(root, 'memo.json');
    const files = Array.from({ length: 12 }, (_, i) => join(root, `${i}.jpg`));
    for (const f of files) writeFileSync(f, f);
    const first = new FileFingerprints(memo);
    await first.hashes(files, (f) => f);
    first.save();
    writeFileSync(memo, readFileSync(memo, 'utf8').replaceAll(/[0-9a-f]{64}/g, (h) => `${h.slice(0, 60)}beef`)); // every hash forged: all must come from the memo
    const some = [files[7], files[3], files[11]];
    const again = await new FileFingerprints(memo).hashes(some, (f) => f);
    expect(again.hashes.map(([, h]) => h)).to.deep.equal([...some].sort().map((f) => `${sha(f).slice(0, 60)}beef`));
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
    expect((await first.hashes([file], (f) => f)).hashes[0][1]).to.equal(sha('slice A'));
    first.save();
    await sleep(20); // past the kernel's coarse clock tick, so that the ctime can differ

    writeFileSync(file, 'slice B');
    utimesSync(file, mtime, mtime);
    expect([statSync(file).size, statSync(file).mtimeMs]).to.deep.equal([was.size, was.mtimeMs]); // what a size+mtime memo compared
    const edited = new FileFingerprints(memo);
    expect((await edited.hashes([file], (f) => f)).hashes[0][1]).to.equal(sha('slice B'));
    edited.save();
    await sleep(20);

    const other = join(root, 'other.tmp');
    writeFileSync(other, 'slice C');
    utimesSync(other, mtime, mtime);
    renameSync(other, file);
    expect((await new FileFingerprints(memo).hashes([file], (f) => f)).hashes[0][1]).to.equal(sha('slice C'));
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
    expect(again.hashes).to.deep.equal([...files].sort().map((f) => [f, sha(f)]));
  });
});
