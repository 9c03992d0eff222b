import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RecordBatch } from 'apache-arrow';
import imageFolder, { inputFiles, type ImageFolderParams } from '../../nodes/image-folder.js';
import { byteToHuTable, bytesToHuPixels, greyToHu, huPixelsToBytes } from '../../nodes/kernels/image-folder/hu.js';
import { listSlices } from '../../nodes/kernels/image-folder/layout.js';
import { naturalCompare } from '../../nodes/kernels/image-folder/natural-sort.js';
import { writeJpegFolder } from '../../nodes/kernels/jpeg-folder-writer.js';
import syntheticCt, { type SyntheticCtParams } from '../../nodes/synthetic-ct.js';
import { Slices } from '../../nodes/tables.js';
import { knownImages } from '../../nodes/kernels/lung/known-images.js';
import { startedPool } from '../../nodes/kernels/lung/shared-pool.js';
import { testContext } from '../helpers/context.js';
import { scanBatch, smoothHu, smoothSlices } from '../fixtures/image-folder/scans.js';

const WINDOW: [number, number] = [-1150, 350];
/** Largest mean |HU error| allowed after writing at quality 95 and reading back (measured 1.5–2.2 HU on 64²–512² smooth images; docs/image-folder.md). */
const MAE_BOUND_HU = 3;
/** The same for synthetic-ct scans, whose scanner noise JPEG keeps less well (measured 8.4–9.2 HU at 64² and 128²). */
const SYNTHETIC_MAE_BOUND_HU = 12;

interface Row { scan_id: string; split: string; label: number | null; slice_index: number; height: number; width: number; hu: Int16Array }

function rows(batch: RecordBatch): Row[] {
  return batch.toArray().map((r) => {
    const px = r.pixels as Uint8Array;
    return {
      scan_id: r.scan_id, split: r.split, label: r.label, slice_index: r.slice_index, height: r.height, width: r.width,
      hu: new Int16Array(px.slice().buffer),
    };
  });
}

async function read(params: Partial<ImageFolderParams> & { path: string }) {
  const ctx = testContext<ImageFolderParams>({ window: WINDOW, mixedSizes: 'drop', splits: null, ...params });
  if (imageFolder.mode !== 'source') throw new Error('image-folder must be a source');
  const batches: RecordBatch[] = [];
  for await (const out of imageFolder.run(ctx)) batches.push(out.slices);
  return { batches, scans: batches.map(rows), ctx };
}

const tmp = () => mkdtemp(join(tmpdir(), 'ctflow-imgf-'));

/** Write an 8-bit grey image as a single-channel JPEG. */
async function greyJpeg(file: string, width: number, height: number, fill: (r: number, c: number) => number, quality = 95) {
  const grey = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) grey[r * width + c] = fill(r, c);
  await mkdir(join(file, '..'), { recursive: true });
  await sharp(grey, { raw: { width, height, channels: 1 } }).toColourspace('b-w').jpeg({ quality }).toFile(file);
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const meanAbsDiff = (a: Int16Array, b: Int16Array) => mean(a.map((v, i) => Math.abs(v - b[i])));

describe('image-folder', () => {
  it('lists a scan\'s slices in natural order: numbered names by number (their index), others in order (indexed 0..n-1)', async () => {
    const listed = async (names: string[]) => {
      const dir = await tmp();
      for (const n of names) await writeFile(join(dir, n), '');
      return (await listSlices(dir)).map((s) => `${s.file.slice(dir.length + 1)}:${s.index}`);
    };
    expect(await listed(['10.jpg', '2.jpg', '007.jpg', '1.JPEG', '30.jpg'])).to.deep.equal(['1.JPEG:1', '2.jpg:2', '007.jpg:7', '10.jpg:10', '30.jpg:30']);
    expect(await listed(['1.jpg', '01.jpg', '10.jpg', 'a.jpg'])).to.deep.equal(['01.jpg:0', '1.jpg:1', '10.jpg:2', 'a.jpg:3']);
    expect(await listed(['2.jpg', '1.jpg', '02.jpeg'])).to.deep.equal(['1.jpg:0', '02.jpeg:1', '2.jpg:2']);
  });

  it('sorts slice files numerically: 2 before 10', async () => {
    expect(['10.jpg', '2.jpg', '1.jpg', '02b.jpg', 'a10', 'a9'].sort(naturalCompare)).to.deep.equal(['1.jpg', '2.jpg', '02b.jpg', '10.jpg', 'a9', 'a10']);
    const root = await tmp();
    const order = [7, 11, 0, 10, 2, 1, 9, 3, 5, 4, 8, 6]; // written out of order on purpose
    for (const n of order) await greyJpeg(join(root, 'test', 'ct_scan_0', `${n}.jpg`), 64, 64, (r, c) => 10 + 20 * n + (c < 32 ? 0 : 8));
    const { scans } = await read({ path: root });
    expect(scans).to.have.length(1);
    expect(scans[0].map((s) => s.slice_index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Each slice's content is the one written under its number: mean grey 14 + 20 n.
    const table = byteToHuTable(WINDOW);
    scans[0].forEach((s, n) => expect(mean(s.hu)).to.be.closeTo(table[14 + 20 * n], 15));
    expect(await inputFiles({ path: root, window: WINDOW, mixedSizes: 'drop', splits: null }))
      .to.deep.equal(order.slice().sort((a, b) => a - b).map((n) => join(root, 'test', 'ct_scan_0', `${n}.jpg`)));
  });

  it('numbers slices by position when the file names are not all numbers', async () => {
    const root = await tmp();
    for (const name of ['slice10', 'slice2', 'slice1']) await greyJpeg(join(root, 'test', 'ct_scan_0', `${name}.jpg`), 64, 64, (r, c) => (r * c) % 200);
    const { scans } = await read({ path: root });
    expect(scans[0].map((s) => s.slice_index)).to.deep.equal([0, 1, 2]);
  });

  it('takes labels, splits and scan ids from the folder names', async () => {
    const root = await tmp();
    const dirs = ['train/covid/ct_scan_10', 'train/covid/ct_scan_2', 'train/non-covid/ct_scan_0', 'validation/non-covid/ct_scan_1', 'validation/covid/ct_scan_4', 'test/ct_scan_3'];
    for (const d of dirs) await greyJpeg(join(root, d, '0.jpg'), 64, 80, (r, c) => (r + 2 * c) % 256);
    await writeFile(join(root, 'train', 'labels.csv'), 'not a scan');
    const { scans, batches } = await read({ path: root });
    expect(scans.map((s) => [s[0].scan_id, s[0].split, s[0].label])).to.deep.equal([
      ['train/covid/ct_scan_2', 'train', 1], ['train/covid/ct_scan_10', 'train', 1], ['train/non-covid/ct_scan_0', 'train', 0],
      ['validation/covid/ct_scan_4', 'validation', 1], ['validation/non-covid/ct_scan_1', 'validation', 0],
      ['test/ct_scan_3', 'test', null],
    ]);
    expect(scans[0][0]).to.include({ height: 80, width: 64 });
    expect(batches[0].schema.fields.map((f) => `${f.name}:${f.type}`)).to.deep.equal(Slices.schema.fields.map((f) => `${f.name}:${f.type}`));
    expect(batches[0].getChild('position_mm')!.get(0)).to.equal(null);
    expect(batches[0].getChild('pixel_mm')!.get(0)).to.equal(null);

    const only = await read({ path: root, splits: ['validation'] });
    expect(only.scans.map((s) => s[0].scan_id)).to.deep.equal(['validation/covid/ct_scan_4', 'validation/non-covid/ct_scan_1']);
    expect(await inputFiles({ path: root, window: WINDOW, mixedSizes: 'drop', splits: ['test'] })).to.deep.equal([join(root, 'test/ct_scan_3/0.jpg')]);
  });

  it('reads three-channel JPEGs of grey content as one channel', async () => {
    const root = await tmp();
    const grey = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64) * 4);
    const rgb = Uint8Array.from({ length: 3 * grey.length }, (_, i) => grey[Math.floor(i / 3)]);
    const file = join(root, 'test', 'ct_scan_0', '0.jpg');
    await mkdir(join(file, '..'), { recursive: true });
    await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).jpeg({ quality: 95 }).toFile(file);
    expect((await sharp(file).metadata()).channels).to.equal(3);
    const { scans } = await read({ path: root });
    const table = byteToHuTable(WINDOW);
    expect(meanAbsDiff(scans[0][0].hu, Int16Array.from(grey, (v) => table[v]))).to.be.below(MAE_BOUND_HU);
  });

  it('names the path and the fix when the layout is wrong', async () => {
    const root = await tmp();
    await expectReject(read({ path: join(root, 'nope') }), /path ".*nope" is not a folder/);
    await mkdir(join(root, 'scans'));
    await expectReject(read({ path: root }), /has no train\/, validation\/ or test\/ folder/);
    await greyJpeg(join(root, 'train', 'covid', 'ct_scan_0', '0.jpg'), 64, 64, (r) => r);
    await expectReject(read({ path: root, splits: ['train', 'test'] }), /splits asks for "test" but .* has no such folder; present: train/);
    await expectReject(read({ path: root, window: [350, -1150] }), /params\.window: window must be \[lo, hi\]/);
  });

  it('maps grey levels to HU through the window and back exactly', () => {
    const table = byteToHuTable(WINDOW);
    expect(table[0]).to.equal(-1150);
    expect(table[255]).to.equal(350);
    expect(table[51]).to.equal(Math.round(-1150 + (51 * 1500) / 255)); // -850
    const grey = Uint8Array.from({ length: 256 }, (_, v) => v);
    expect(Array.from(huPixelsToBytes(bytesToHuPixels(grey, table), WINDOW))).to.deep.equal(Array.from(grey));
    const outside = new Uint8Array(Int16Array.from([-3000, -1150, 350, 2000]).buffer);
    expect(Array.from(huPixelsToBytes(outside, WINDOW))).to.deep.equal([0, 0, 255, 255]);
  });

  it('converts grey to HU two pixels per look-up exactly as one per look-up, aligned or not', () => {
    const table = byteToHuTable([-1024, 3071]);
    const grey = Uint8Array.from({ length: 8193 }, (_, i) => (i * 97 + (i >> 7)) & 255);
    const want = Int16Array.from(grey, (v) => table[v]);
    for (const [from, at] of [[0, 0], [1, 0], [0, 1]]) {         // pair path; odd grey offset; misaligned output
      const g = grey.subarray(from), out = new Int16Array(g.length + at).subarray(at);
      greyToHu(g, table, out);
      expect(Array.from(out), `grey offset ${from}, output offset ${at}`).to.deep.equal(Array.from(want.subarray(from)));
    }
  });

  it('round-trips a smooth HU image through JPEG within the loss bound', async () => {
    const root = await tmp();
    const hu = smoothHu(128, 128, 0.3);
    await writeJpegFolder(join(root, 'ds'), [scanBatch('s', 'test', null, [{ index: 0, width: 128, height: 128, hu }])]);
    const { scans } = await read({ path: join(root, 'ds') });
    const back = scans[0][0].hu;
    const mae = meanAbsDiff(back, hu);
    expect(mae).to.be.below(MAE_BOUND_HU);
    // Quantisation alone costs up to half a grey level (1500 / 255 / 2 ≈ 2.9 HU): the error is not zero.
    expect(mae).to.be.above(0);
  });

  it('skips and reports corrupt and blank slices, and scans left with none', async () => {
    const root = await tmp();
    const scan = join(root, 'train', 'covid', 'ct_scan_0');
    for (const n of [0, 1, 2]) await greyJpeg(join(scan, `${n}.jpg`), 64, 64, (r, c) => (r * 3 + c + n) % 256);
    const good = await readFile(join(scan, '2.jpg'));
    await writeFile(join(scan, '2.jpg'), good.subarray(0, Math.floor(good.length * 0.8))); // truncated
    await writeFile(join(scan, '3.jpg'), Buffer.from('this is not a JPEG at all'));   // garbage
    await greyJpeg(join(scan, '4.jpg'), 64, 64, () => 0);                              // blank
    const other = join(root, 'train', 'covid', 'ct_scan_1');
    await greyJpeg(join(other, '0.jpg'), 64, 64, () => 77);                           // blank: nothing left
    const { scans, ctx } = await read({ path: root });
    expect(scans.map((s) => s[0].scan_id)).to.deep.equal(['train/covid/ct_scan_0']);
    expect(scans[0].map((s) => s.slice_index)).to.deep.equal([0, 1]);
    const skipped = ctx.notes.skippedSlices as { file: string; reason: string }[];
    expect(skipped.map((s) => s.file)).to.deep.equal([join(scan, '2.jpg'), join(scan, '3.jpg'), join(scan, '4.jpg'), join(other, '0.jpg')]);
    expect(skipped.map((s) => s.reason.split(':')[0])).to.deep.equal(['unreadable', 'unreadable', 'blank', 'blank']);
    expect(ctx.notes.emptyScans).to.deep.equal(['train/covid/ct_scan_1']);
    for (const f of ['2.jpg', '3.jpg', '4.jpg']) expect(ctx.logs.some((l) => l.includes(join(scan, f)))).to.equal(true, f);
  });

  it('stored, a scan is gathered as it is decoded: the same rows, its slabs back before its column is read', async () => {
    // 20 slices (3 chunks) with gaps (a corrupt and a blank slice), a three-channel slice (decoded by
    // sharp here, not on a worker), and a scan of mixed sizes kept by its last slice (another size)
    const root = await tmp(), scan = join(root, 'test', 'ct_scan_0');
    for (let n = 0; n < 20; n++) await greyJpeg(join(scan, `${n}.jpg`), 64, 64, (r, c) => (r * 3 + c + 7 * n) % 256);
    await writeFile(join(scan, '5.jpg'), Buffer.from('this is not a JPEG at all'));
    await greyJpeg(join(scan, '9.jpg'), 64, 64, () => 40);
    const grey = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64) * 4);
    await sharp(Uint8Array.from({ length: 3 * grey.length }, (_, i) => grey[Math.floor(i / 3)]), { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg({ quality: 95 }).toFile(join(scan, '13.jpg'));
    const mixed = join(root, 'test', 'ct_scan_1');
    for (const n of [0, 1]) await greyJpeg(join(mixed, `${n}.jpg`), 64, 64, (r, c) => (r + c + n) % 256);
    await greyJpeg(join(mixed, '2.jpg'), 48, 32, (r, c) => (2 * r + c) % 256);
    const first = async (stored: boolean) => {
      const ctx = testContext<ImageFolderParams>({ path: root, window: WINDOW, mixedSizes: 'lastSlice', splits: null }, { stored });
      if (imageFolder.mode !== 'source') throw new Error('image-folder must be a source');
      const before = startedPool()?.slabs.lent ?? 0;
      const got: { lent: number; rows: Row[]; shared: boolean; inPlace: boolean }[] = [];
      for await (const out of imageFolder.run(ctx)) {
        const lent = (startedPool()?.slabs.lent ?? 0) - before;   // before anything read its pixels column
        const held = knownImages(out.slices)![0].data.buffer, column = out.slices.getChild('pixels')!.data[0].values.buffer;
        got.push({ lent, rows: rows(out.slices), shared: column instanceof SharedArrayBuffer, inPlace: column === held });
      }
      return got;
    };
    const lazy = await first(false), stored = await first(true);
    expect(stored.map((g) => g.rows.map((r) => [r.scan_id, r.slice_index, r.width, r.height]))).to.deep.equal([
      [0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((i) => ['test/ct_scan_0', i, 64, 64]),
      [['test/ct_scan_1', 2, 48, 32]],
    ]);
    stored.forEach((g, k) => g.rows.forEach((r, i) => expect(Buffer.from(r.hu.buffer).equals(Buffer.from(lazy[k].rows[i].hu.buffer)), `${r.scan_id} slice ${r.slice_index}`).to.equal(true)));
    expect(lazy[0].lent, 'unstored: the slabs are lent until the column is read').to.be.above(0);
    expect(stored.map((g) => g.lent), 'stored: every slab given back as its chunk came').to.deep.equal([0, 0]);
    expect(stored.map((g) => g.shared)).to.deep.equal([false, false]);
    // the gathered scan is the column itself; so is the copy made of the one slice of another size
    expect(stored.map((g) => g.inPlace)).to.deep.equal([true, true]);
    expect(lazy.map((g) => g.inPlace)).to.deep.equal([false, false]);
  });

  describe('mixed slice sizes', () => {
    let root: string;
    before(async () => {
      root = await tmp();
      const mixed = join(root, 'validation', 'non-covid', 'ct_scan_0');
      for (const n of [0, 1, 2]) await greyJpeg(join(mixed, `${n}.jpg`), 64, 64, (r, c) => (r + c + n) % 256);
      await greyJpeg(join(mixed, '3.jpg'), 96, 72, (r, c) => (2 * r + c) % 256);
      await greyJpeg(join(root, 'validation', 'covid', 'ct_scan_0', '0.jpg'), 100, 100, (r, c) => (r * c) % 256);
    });
    const mixedNote = [{ scan_id: 'validation/non-covid/ct_scan_0', sizes: [{ width: 64, height: 64, slices: 3 }, { width: 96, height: 72, slices: 1 }] }];

    it('drop: skips the scan and lists it', async () => {
      const { scans, ctx } = await read({ path: root, mixedSizes: 'drop' });
      expect(scans.map((s) => s[0].scan_id)).to.deep.equal(['validation/covid/ct_scan_0']);
      expect(ctx.notes.mixedSizes).to.deep.equal(mixedNote.map((m) => ({ ...m, action: 'drop' })));
    });

    it('lastSlice: keeps only the last slice and lists the scan', async () => {
      const { scans, ctx } = await read({ path: root, mixedSizes: 'lastSlice' });
      expect(scans.map((s) => s.map((r) => [r.scan_id, r.slice_index, r.width, r.height]))).to.deep.equal([
        [['validation/covid/ct_scan_0', 0, 100, 100]],
        [['validation/non-covid/ct_scan_0', 3, 96, 72]],
      ]);
      expect(ctx.notes.mixedSizes).to.deep.equal(mixedNote.map((m) => ({ ...m, action: 'lastSlice' })));
    });

    it('fail: stops with the scan and the sizes seen', async () => {
      await expectReject(read({ path: root, mixedSizes: 'fail' }),
        /scan "validation\/non-covid\/ct_scan_0" .* different sizes: 64x64 \(3 slices\), 96x72 \(1 slice\); set params\.mixedSizes/);
    });
  });

  it('writer → reader round trip keeps scans, labels, splits and pixels within the loss bound', async () => {
    const root = await tmp();
    const input = [
      scanBatch('p1', 'train', 1, smoothSlices(3, 64, 64)),
      scanBatch('n1', 'train', 0, smoothSlices(2, 96, 80)),
      scanBatch('p2', 'train', 1, smoothSlices(12, 64, 64)),
      scanBatch('v1', 'validation', 0, smoothSlices(2, 128, 128)),
      scanBatch('u1', 'train', null, smoothSlices(1, 64, 64)),
      scanBatch('t1', 'test', 1, smoothSlices(2, 64, 72)),
    ];
    const dir = join(root, 'ds');
    const folders = await writeJpegFolder(dir, (async function* () { yield* input; })());
    expect(Object.fromEntries(folders)).to.deep.equal({
      p1: 'train/covid/ct_scan_0', n1: 'train/non-covid/ct_scan_0', p2: 'train/covid/ct_scan_1',
      v1: 'validation/non-covid/ct_scan_0', u1: 'train/ct_scan_0', t1: 'test/ct_scan_0',
    });
    expect((await readdir(join(dir, 'train', 'covid', 'ct_scan_1'))).length).to.equal(12);
    const { scans } = await read({ path: dir });
    const byId = new Map(scans.map((s) => [s[0].scan_id, s]));
    expect(byId.size).to.equal(input.length);
    for (const batch of input) {
      const want = rows(batch);
      const got = byId.get(folders.get(want[0].scan_id)!)!;
      expect(got.map((r) => [r.split, r.label, r.slice_index, r.height, r.width]))
        .to.deep.equal(want.map((r) => [r.split, r.split === 'test' ? null : r.label, r.slice_index, r.height, r.width]));
      got.forEach((r, i) => expect(meanAbsDiff(r.hu, want[i].hu)).to.be.below(MAE_BOUND_HU));
    }
  });

  it('synthetic-ct scans survive writer → reader: scans, labels, splits, slices, pixels within the loss bound', async () => {
    if (syntheticCt.mode !== 'source') throw new Error('synthetic-ct must be a source');
    const params: SyntheticCtParams = {
      scans: 6, slices: [3, 5], size: 64, positive: 0.5, extent: 1, splits: { train: 0.5, validation: 0.25, test: 0.25 }, prefix: 'syn-',
    };
    const input: RecordBatch[] = [];
    for await (const out of syntheticCt.run(testContext(params, { seed: 3 }))) input.push(out.slices);
    expect(new Set(input.map((b) => b.getChild('split')!.get(0)))).to.have.keys('train', 'validation', 'test');
    const dir = join(await tmp(), 'ds');
    const folders = await writeJpegFolder(dir, input);
    const { scans, ctx } = await read({ path: dir });
    expect(ctx.notes.skippedSlices).to.deep.equal([]);
    expect(scans).to.have.length(input.length);
    const byId = new Map(scans.map((s) => [s[0].scan_id, s]));
    for (const batch of input) {
      const want = rows(batch);
      const got = byId.get(folders.get(want[0].scan_id)!)!;
      expect(got.map((r) => [r.split, r.label, r.slice_index, r.height, r.width]))
        .to.deep.equal(want.map((r) => [r.split, r.split === 'test' ? null : r.label, r.slice_index, r.height, r.width]));
      got.forEach((r, i) => {
        const clamped = want[i].hu.map((v) => Math.min(WINDOW[1], Math.max(WINDOW[0], v)));
        expect(meanAbsDiff(r.hu, clamped)).to.be.below(SYNTHETIC_MAE_BOUND_HU);
      });
    }
  });

  it('writer refuses a non-empty folder unless asked, and never clears foreign files', async () => {
    const dir = await tmp();
    const one = () => [scanBatch('a', 'test', null, smoothSlices(1, 64, 64))];
    await writeJpegFolder(dir, one());
    await expectReject(writeJpegFolder(dir, one()), /is not empty; .*overwrite: true/);
    await writeJpegFolder(dir, [scanBatch('b', 'train', 0, smoothSlices(1, 64, 64))], { overwrite: true });
    expect(await readdir(dir)).to.deep.equal(['train']);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expectReject(writeJpegFolder(dir, one(), { overwrite: true }), /holds "notes\.txt", which is not a split folder/);
    expect((await readdir(dir)).sort()).to.deep.equal(['notes.txt', 'train']);
  });

  it('writer rejects duplicate slices and unwritable splits or labels', async () => {
    const dup = scanBatch('a', 'test', null, [...smoothSlices(1, 64, 64), ...smoothSlices(1, 64, 64)]);
    await expectReject(writeJpegFolder(join(await tmp(), 'x'), [dup]), /scan "a" has slice_index 0 twice/);
    await expectReject(writeJpegFolder(join(await tmp(), 'x'), [scanBatch('a', 'holdout', 0, smoothSlices(1, 64, 64))]), /scan "a" has split "holdout"/);
    await expectReject(writeJpegFolder(join(await tmp(), 'x'), [scanBatch('a', 'train', 0, smoothSlices(1, 64, 64))], { quality: 0 }), /quality must be/);
  });

  it('reads its example dataset', async () => {
    const { scans } = await read({ path: imageFolder.example.path! });
    expect(scans.map((s) => [s[0].scan_id, s.length])).to.deep.equal([
      ['train/covid/ct_scan_0', 3], ['train/non-covid/ct_scan_0', 3], ['validation/covid/ct_scan_0', 2], ['test/ct_scan_0', 2],
    ]);
  });
});

async function expectReject(p: Promise<unknown>, pattern: RegExp) {
  let err: unknown;
  try { await p; } catch (e) { err = e; }
  expect(err, `expected rejection matching ${pattern}`).to.be.instanceOf(Error);
  expect((err as Error).message).to.match(pattern);
}
