// image-folder on hostile and broken folders built in the test (issue 16 item 4, issue 24 classes
// 3–5): each case is a skipped slice noted with its file and reason, a followed link, or an error
// naming the scan — never a hang, a silent wrong slice or a stack trace from the decoder.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FileFingerprints } from '../../engine/fingerprint.js';
import imageFolder, { inputFiles, type ImageFolderParams } from '../../nodes/image-folder.js';
import { byteToHuTable } from '../../nodes/kernels/image-folder/hu.js';
import { listSlices } from '../../nodes/kernels/image-folder/layout.js';
import { decodeSlices } from '../../nodes/kernels/image-folder/decode.js';
import { DatasetChanged } from '../../nodes/kernels/image-folder/read-file.js';
import { decodeScan, readScan } from '../../nodes/kernels/image-folder/scan.js';
import { testContext } from '../helpers/context.js';

const TABLE = byteToHuTable([-1150, 350]);
const params = (path: string): ImageFolderParams => ({ path, window: [-1150, 350], mixedSizes: 'drop', splits: null });

/** A 32×32 grey gradient JPEG (not blank). */
async function greyJpeg(): Promise<Buffer> {
  const px = Uint8Array.from({ length: 32 * 32 }, (_, i) => (i * 5) & 255);
  return sharp(px, { raw: { width: 32, height: 32, channels: 1 } }).jpeg({ quality: 90 }).toBuffer();
}

async function runFolder(path: string) {
  const ctx = testContext(params(path));
  const scans: { id: string; slices: number[] }[] = [];
  if (imageFolder.mode !== 'source') throw new Error('image-folder is a source');
  for await (const out of imageFolder.run(ctx)) {
    const b = out.slices;
    scans.push({ id: b.getChild('scan_id')!.get(0) as string, slices: Array.from(b.getChild('slice_index')!) as number[] });
  }
  return { scans, notes: ctx.notes as { skippedSlices: { file: string; reason: string }[]; oversizedScans?: { scan_id: string; files: number }[] } };
}

describe('image-folder: bad input at scale', function () {
  this.timeout(120_000);
  let root: string;
  let jpeg: Buffer;
  before(async () => { jpeg = await greyJpeg(); });
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'ctflow-bad-')); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const scan = (name: string, slices = 3) => {
    const dir = join(root, 'test', name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < slices; i++) writeFileSync(join(dir, `${i}.jpg`), jpeg);
    return dir;
  };
  const reasonOf = (notes: { skippedSlices: { file: string; reason: string }[] }, file: string) =>
    notes.skippedSlices.find((s) => s.file === file)?.reason ?? '(not skipped)';

  it('skips, naming file and reason: a 0-byte JPEG, PNG/GIF/SVG/TIFF behind .jpg, a CMYK JPEG, a FIFO, a link to /dev/zero, a dangling link', async () => {
    const dir = scan('ct_scan_0', 2);
    const bad: Record<string, RegExp> = {};
    const put = (name: string, bytes: Buffer | string, why: RegExp) => { writeFileSync(join(dir, name), bytes); bad[name] = why; };
    put('10.jpg', Buffer.alloc(0), /empty file \(0 bytes\)/);
    put('11.jpg', await sharp(new Uint16Array(64).fill(30000), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer(), /not JPEG content \(PNG data/);
    put('12.jpg', await sharp(jpeg).gif().toBuffer(), /not JPEG content \(GIF data/);
    put('13.jpg', '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32"/></svg>', /not JPEG content \(SVG data/);
    put('14.jpg', await sharp(jpeg).tiff().toBuffer(), /not JPEG content \(TIFF data/);
    put('15.jpg', await sharp(jpeg).toColourspace('cmyk').jpeg().toBuffer(), /4-component \(CMYK\/YCCK\) JPEG/);
    execFileSync('mkfifo', [join(dir, '16.jpg')]);
    bad['16.jpg'] = /a FIFO, not a regular file/;
    symlinkSync('/dev/zero', join(dir, '17.jpg'));
    bad['17.jpg'] = /a device, not a regular file/;
    symlinkSync(join(dir, 'nowhere.jpg'), join(dir, '18.jpg'));
    bad['18.jpg'] = /dangling/;

    // fingerprinting lists and hashes them without reading the FIFO or the device (it would hang or never end)
    const files = await inputFiles(params(root));
    expect(files).to.have.length(11);
    const fp = await new FileFingerprints(join(root, 'memo.json')).of(files, (f) => f);
    expect(fp).to.match(/^[0-9a-f]{64}$/);

    const { scans, notes } = await runFolder(root);
    expect(scans).to.deep.equal([{ id: 'test/ct_scan_0', slices: [0, 1] }]);
    for (const [name, why] of Object.entries(bad)) expect(reasonOf(notes, join(dir, name)), name).to.match(why);
    expect(notes.skippedSlices).to.have.length(Object.keys(bad).length);
  });

  it('follows a scan folder that is a symbolic link, and reads names with spaces and unicode', async () => {
    const real = scan('ct scan ü 0', 2);
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    for (let i = 0; i < 4; i++) writeFileSync(join(elsewhere, `${i}.jpg`), jpeg);
    symlinkSync(elsewhere, join(root, 'test', 'ct_scan_linked'));
    writeFileSync(join(real, 'slice é 7.jpg'), jpeg);
    const { scans, notes } = await runFolder(root);
    expect(scans).to.deep.equal([
      { id: 'test/ct scan ü 0', slices: [0, 1, 2] },        // not all named N.jpg: positions
      { id: 'test/ct_scan_linked', slices: [0, 1, 2, 3] },
    ]);
    expect(notes.skippedSlices).to.deep.equal([]);
  });

  it('a scan folder that disappears while the run reads it is an error naming the scan', async () => {
    const dir = scan('ct_scan_0', 2);
    rmSync(dir, { recursive: true });
    const err = await readScan({ scanId: 'test/ct_scan_0', split: 'test', label: null, dir }, TABLE, () => undefined).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/scan "test\/ct_scan_0" .* changed while the run read it: the folder disappeared/);
  });

  it('a slice folder of 100,000 files is skipped unread and noted; the other scans are read', async () => {
    scan('ct_scan_0', 2);
    const big = scan('ct_scan_1', 1);
    for (let i = 1; i < 100_000; i++) writeFileSync(join(big, `${i}.jpg`), '');   // never read: empty files (a hard link count stops at 65,000)
    const { scans, notes } = await runFolder(root);
    expect(scans).to.deep.equal([{ id: 'test/ct_scan_0', slices: [0, 1] }]);
    expect(notes.oversizedScans).to.deep.equal([{ scan_id: 'test/ct_scan_1', files: 100_000 }]);
  });

  it('a slice file replaced by a directory, before the listing or after it, is skipped and noted with its reason', async () => {
    const dir = scan('ct_scan_0', 4);
    mkdirSync(join(dir, '7.jpg'));                                     // a directory with a slice name, there from the start
    const listed = await listSlices(dir);
    rmSync(join(dir, '1.jpg'));
    mkdirSync(join(dir, '1.jpg'));                                     // replaced once listed: as if mid-read
    const skipped: { file: string; reason: string }[] = [];
    const kept = await decodeScan(listed, TABLE, (file, reason) => skipped.push({ file, reason }));
    expect(kept.map((k) => k.index)).to.deep.equal([0, 2, 3]);
    expect(skipped.map((s) => s.file)).to.deep.equal([join(dir, '1.jpg'), join(dir, '7.jpg')]);
    for (const s of skipped) expect(s.reason).to.match(/a directory, not a regular file/);
    const { scans, notes } = await runFolder(root);                    // and through the node: noted by file
    expect(scans).to.deep.equal([{ id: 'test/ct_scan_0', slices: [0, 2, 3] }]);
    expect(notes.skippedSlices.map((s) => s.file)).to.deep.equal([join(dir, '1.jpg'), join(dir, '7.jpg')]);
  });

  it('a slice the workers cannot read comes back with their reason, once; one gone or changed under their read is DatasetChanged, whatever a second read would see', async () => {
    const dir = scan('ct_scan_0', 2), good = join(dir, '0.jpg');
    mkdirSync(join(dir, '5.jpg'));
    symlinkSync(join(dir, 'nowhere.jpg'), join(dir, '6.jpg'));
    const got = await decodeSlices([good, join(dir, '5.jpg'), join(dir, '6.jpg')], TABLE);
    expect('hu' in got[0]).to.equal(true);
    expect(got.slice(1)).to.deep.equal([
      { reason: 'unreadable: a directory, not a regular file: only regular files are read' },
      { reason: 'unreadable: a symbolic link to nothing (dangling)' },
    ]);
    // a file longer than fstat said when the worker read it (a /proc file: size 0)
    const changed = await decodeSlices([good, '/proc/self/status'], TABLE).then(() => null, (e: Error) => e);
    expect(changed).to.be.instanceOf(DatasetChanged);
    expect(changed!.message).to.match(/\/proc\/self\/status changed while it was read/);
    const gone = await decodeSlices([good, join(dir, '9.jpg')], TABLE).then(() => null, (e: Error) => e);
    expect(gone).to.be.instanceOf(DatasetChanged);
    expect(gone!.message).to.equal(`${join(dir, '9.jpg')} disappeared`);
  });

  it('a scan whose slice files are added while it is read is an error naming the scan', async () => {
    const dir = scan('ct_scan_1', 2);
    writeFileSync(join(dir, '5.jpg'), Buffer.alloc(0));             // its skip is told after decoding, before the check
    const scanDir = { scanId: 'test/ct_scan_1', split: 'test' as const, label: null, dir };
    const err = await readScan(scanDir, TABLE, () => writeFileSync(join(dir, '6.jpg'), jpeg)).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/scan "test\/ct_scan_1" .* changed while the run read it: its slice files were added, removed or renamed; rerun once the dataset is stable/);
  });

  it('a 16-bit PNG (or another format) in a scan folder is noted by file and reason, never read as a slice', async () => {
    const dir = scan('ct_scan_0', 2);
    writeFileSync(join(dir, '2.png'), await sharp(new Uint16Array(64 * 64).fill(40000), { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer());
    writeFileSync(join(dir, '3.dcm'), 'DICM');
    const { scans, notes } = await runFolder(root);
    expect(scans).to.deep.equal([{ id: 'test/ct_scan_0', slices: [0, 1] }]);
    expect(reasonOf(notes, join(dir, '2.png'))).to.match(/PNG file, not a slice: only \.jpg\/\.jpeg slices are read; convert it to an 8-bit greyscale JPEG/);
    expect(reasonOf(notes, join(dir, '3.dcm'))).to.match(/DCM file, not a slice/);
  });
});
