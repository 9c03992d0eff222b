// image-folder's plan-time scans hook (nodes/kernels/image-folder/scans.ts) yields its scans one by
// one while it lists the next folders: the same scans, files and order as listing every folder in
// turn; a folder that cannot be listed fails the listing when its turn comes.
import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScans, listSlices } from '../../nodes/kernels/image-folder/layout.js';
import { imageFolderScans } from '../../nodes/kernels/image-folder/scans.js';
import type { ScanFiles } from '../../engine/types.js';
import { tempDir } from '../helpers/engine.js';

/** A root of `n` scan folders (ct_scan_0 … ct_scan_{n-1}) under train/covid, scan k holding k + 1 slices named 1.jpg, 2.jpg, …. */
function folder(n: number): string {
  const root = tempDir();
  for (let k = 0; k < n; k++) {
    const dir = join(root, 'train', 'covid', `ct_scan_${k}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= k + 1; i++) writeFileSync(join(dir, `${i}.jpg`), '');
  }
  return root;
}

async function all(it: AsyncIterable<ScanFiles>): Promise<ScanFiles[]> {
  const out: ScanFiles[] = [];
  for await (const s of it) out.push(s);
  return out;
}

describe('image-folder scans at plan time', () => {
  it('yields every scan, in natural order, with its slices: as listing each folder in turn', async () => {
    const root = folder(20); // more folders than are listed ahead
    const expected: ScanFiles[] = [];
    for (const s of await listScans(root, null)) expected.push({ id: s.scanId, files: (await listSlices(s.dir)).map((f) => f.file) });
    const got = await all(imageFolderScans({ path: root, splits: null }));
    expect(got).to.deep.equal(expected);
    expect(got.map((s) => s.id).slice(0, 3)).to.deep.equal(['train/covid/ct_scan_0', 'train/covid/ct_scan_1', 'train/covid/ct_scan_2']);
    expect(got[10].files.map((f) => f.slice(f.lastIndexOf('/') + 1))).to.deep.equal(Array.from({ length: 11 }, (_, i) => `${i + 1}.jpg`));
  });

  it('fails when the turn of a folder that cannot be listed comes, after the scans before it', async () => {
    const root = folder(12);
    const scans = imageFolderScans({ path: root, splits: null })[Symbol.asyncIterator]();
    const first = await scans.next(); // the first folders are being listed now
    expect(first.value.id).to.equal('train/covid/ct_scan_0');
    rmSync(join(root, 'train', 'covid', 'ct_scan_11'), { recursive: true }); // not yet listed: 8 ahead
    const seen = [first.value.id];
    let failed: Error | undefined;
    try {
      for (let r = await scans.next(); !r.done; r = await scans.next()) seen.push(r.value.id);
    } catch (e) {
      failed = e as Error;
    }
    expect(failed?.message).to.match(/ENOENT.*ct_scan_11/);
    expect(seen, 'every scan before it').to.have.length(11);
  });
});
