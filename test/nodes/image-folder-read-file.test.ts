// readSliceFile (the decoding workers', and the main thread's for sharp's slices): the whole file in
// one buffer, a file whose size is not what fstat said refused as DatasetChanged naming it,
// non-regular and oversized files refused with what they are; and unread(), the one place a failed
// read becomes a skip reason or a change of the dataset.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetChanged, readSliceFile, unread } from '../../nodes/kernels/image-folder/read-file.js';

describe('image-folder: readSliceFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctflow-read-file-'));
  const failure = (file: string, cap?: number) => { try { readSliceFile(file, cap); return null; } catch (e) { return e as Error; } };

  it('returns every byte of a file, and nothing past them, for sizes around the read sizes', () => {
    for (const size of [0, 1, 4095, 4096, 4097, 65536, 300_001]) {
      const file = join(dir, `f${size}.jpg`), bytes = randomBytes(size);
      writeFileSync(file, bytes);
      const got = readSliceFile(file);
      expect(got.length, `${size} bytes`).to.equal(size);
      expect(Buffer.compare(got, bytes), `${size} bytes`).to.equal(0);
    }
  });

  it('a file that holds more bytes than fstat gave (here a /proc file, size 0) is DatasetChanged, naming it', () => {
    const err = failure('/proc/self/status');
    expect(err).to.be.instanceOf(DatasetChanged);
    expect(err!.message).to.match(/\/proc\/self\/status changed while it was read \(0 bytes when opened\)/);
    expect(unread('/proc/self/status', err)).to.deep.equal({ changed: err!.message });
  });

  it('refuses a directory and a file over the cap, saying why', () => {
    const big = join(dir, 'big.jpg');
    writeFileSync(big, randomBytes(100));
    expect(failure(dir)?.message).to.match(/a directory, not a regular file/);
    expect(failure(big, 99)?.message).to.match(/100 bytes, over the 99-byte limit/);
    expect(unread(dir, failure(dir))).to.deep.equal({ reason: 'unreadable: a directory, not a regular file: only regular files are read' });
  });

  it('a file gone since it was listed is a change of the dataset; a dangling link is a skip reason', () => {
    const gone = join(dir, 'gone.jpg'), link = join(dir, 'dangling.jpg');
    writeFileSync(gone, 'x');
    rmSync(gone);
    symlinkSync(join(dir, 'nowhere.jpg'), link);
    expect(unread(gone, failure(gone))).to.deep.equal({ changed: `${gone} disappeared` });
    expect(unread(link, failure(link))).to.deep.equal({ reason: 'unreadable: a symbolic link to nothing (dangling)' });
  });
});
