// readSliceFile and its blocking twin readSliceFileSync (the decoding workers'): the whole file in
// one buffer, a file whose size is not what fstat said refused as DatasetChanged naming it,
// non-regular and oversized files refused with what they are.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetChanged, readSliceFile, readSliceFileSync } from '../../nodes/kernels/image-folder/read-file.js';

const readers: [string, (file: string, cap?: number) => Promise<Buffer>][] = [
  ['readSliceFile', readSliceFile],
  ['readSliceFileSync', async (file, cap) => readSliceFileSync(file, cap)],
];

for (const [name, readSliceFile] of readers) describe(`image-folder: ${name}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctflow-read-file-'));

  it('returns every byte of a file, and nothing past them, for sizes around the read sizes', async () => {
    for (const size of [0, 1, 4095, 4096, 4097, 65536, 300_001]) {
      const file = join(dir, `f${size}.jpg`), bytes = randomBytes(size);
      writeFileSync(file, bytes);
      const got = await readSliceFile(file);
      expect(got.length, `${size} bytes`).to.equal(size);
      expect(Buffer.compare(got, bytes), `${size} bytes`).to.equal(0);
    }
  });

  it('a file that holds more bytes than fstat gave (here a /proc file, size 0) is DatasetChanged, naming it', async () => {
    const err = await readSliceFile('/proc/self/status').then(() => null, (e: Error) => e);
    expect(err).to.be.instanceOf(DatasetChanged);
    expect(err!.message).to.match(/\/proc\/self\/status changed while it was read \(0 bytes when opened\)/);
  });

  it('refuses a directory and a file over the cap, saying why', async () => {
    const big = join(dir, 'big.jpg');
    writeFileSync(big, randomBytes(100));
    expect(await readSliceFile(dir).then(() => '', (e: Error) => e.message)).to.match(/a directory, not a regular file/);
    expect(await readSliceFile(big, 99).then(() => '', (e: Error) => e.message)).to.match(/100 bytes, over the 99-byte limit/);
  });
});
