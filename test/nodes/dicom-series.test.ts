// dicom-series against real DICOM files (pydicom's test data and copies made from it by dcmtk):
// expected HU values, slice order and spacing come from test/fixtures/dicom/expected.json, written
// by make-expected.py with pydicom; these tests never run Python.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordBatch } from 'apache-arrow';
import dicomSeries, { inputFiles, type DicomSeriesParams } from '../../nodes/dicom-series.js';
import { rngFrom } from '../../engine/rng.js';
import { DicomFileError, readHeader } from '../../nodes/kernels/dicom/header.js';
import { Slices } from '../../nodes/tables.js';
import { knownImages } from '../../nodes/kernels/lung/known-images.js';
import { startedPool } from '../../nodes/kernels/lung/shared-pool.js';
import { writeDicomSeries } from '../../bench/engine/dicom-files.js';
import { toySlices } from '../kinds/toy-scans.js';
import { testContext } from '../helpers/context.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/dicom/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

interface FileExpectation {
  transferSyntax: string;
  rows: number;
  cols: number;
  sum: number;
  min: number;
  max: number;
  samples: [number, number, number][];
  clamped: number;
  sha256: string;
}
interface SeriesExpectation {
  files: string[];
  instanceNumbers: number[];
  positions: number[];
  spacing: number;
  pixel_mm: number;
  sha256: string[];
}
const expected = JSON.parse(await readFile(fixture('expected.json'), 'utf8')) as {
  paddingHU: number;
  twins: Record<string, string>;
  files: Record<string, FileExpectation>;
  series: Record<string, SeriesExpectation>;
};

interface Row {
  scan_id: string;
  split: string;
  label: number | null;
  slice_index: number;
  height: number;
  width: number;
  position_mm: number | null;
  pixel_mm: number | null;
  hu: Int16Array;
  pixels: Uint8Array;
}

function rows(batch: RecordBatch): Row[] {
  return batch.toArray().map((r) => {
    const pixels = (r.pixels as Uint8Array).slice();
    return { ...r.toJSON(), pixels, hu: new Int16Array(pixels.buffer) } as Row;
  });
}

async function read(params: Partial<DicomSeriesParams> & { path: string }) {
  const ctx = testContext<DicomSeriesParams>({ split: 'test', label: null, onError: 'fail', recursive: true, ...params });
  if (dicomSeries.mode !== 'source') throw new Error('dicom-series must be a source');
  const batches: RecordBatch[] = [];
  for await (const out of dicomSeries.run(ctx)) batches.push(out.slices);
  return { batches, scans: batches.map(rows), ctx };
}

const tmp = () => mkdtemp(join(tmpdir(), 'ctflow-dicom-'));

/** A fresh directory holding copies of the given fixtures (under their base names). */
async function dirWith(...names: string[]): Promise<string> {
  const dir = await tmp();
  for (const name of names) await copyFile(fixture(name), join(dir, basename(name)));
  return dir;
}

/** The one slice a directory holding a single fixture yields. */
async function readOne(name: string): Promise<Row> {
  const { scans } = await read({ path: await dirWith(name) });
  expect(scans, name).to.have.length(1);
  expect(scans[0], name).to.have.length(1);
  return scans[0][0];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `names` in a seeded random order (Fisher–Yates). */
function shuffled(names: string[], seed: string): string[] {
  const rng = rngFrom(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  return names;
}

function stats(r: Row) {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of r.hu) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { rows: r.height, cols: r.width, sum, min, max };
}

describe('dicom-series', function () {
  describe('HU values equal pydicom\'s', function () {
    it('CT_small.dcm: every pixel, plus position and pixel spacing', async function () {
      const want = expected.files['files/CT_small.dcm'];
      const r = await readOne('files/CT_small.dcm');
      expect(stats(r)).to.deep.equal({ rows: want.rows, cols: want.cols, sum: want.sum, min: want.min, max: want.max });
      for (const [y, x, v] of want.samples) expect(r.hu[y * r.width + x], `pixel (${y}, ${x})`).to.equal(v);
      expect(sha256(r.pixels)).to.equal(want.sha256);
      expect(r.pixel_mm).to.equal(0.661468);
      expect(r.position_mm).to.be.closeTo(-75.699997, 1e-9); // z of an axial slice
      expect(r.scan_id).to.equal('1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322');
    });

    for (const [name, want] of Object.entries(expected.files)) {
      it(`${name} (${want.transferSyntax})`, async function () {
        const r = await readOne(name);
        expect(stats(r)).to.deep.equal({ rows: want.rows, cols: want.cols, sum: want.sum, min: want.min, max: want.max });
        for (const [y, x, v] of want.samples) expect(r.hu[y * r.width + x], `pixel (${y}, ${x})`).to.equal(v);
        expect(sha256(r.pixels)).to.equal(want.sha256);
      });
    }
  });

  describe('compressed and re-encoded files reproduce their uncompressed twin exactly', function () {
    for (const [name, twin] of Object.entries(expected.twins)) {
      it(`${name} = ${twin}`, async function () {
        const [a, b] = [await readOne(name), await readOne(twin)];
        expect([a.height, a.width]).to.deep.equal([b.height, b.width]);
        expect(Buffer.compare(a.pixels, b.pixels)).to.equal(0);
      });
    }
    it('covers RLE, JPEG lossless (SV1 and SV6), JPEG-LS, JPEG 2000, big endian, implicit VR and deflate', function () {
      const syntaxes = new Set(Object.keys(expected.twins).map((n) => expected.files[n].transferSyntax));
      for (const uid of ['1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.80',
        '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2']) expect(syntaxes).to.include(uid);
      expect(expected.files['files/image_dfl.dcm'].transferSyntax).to.equal('1.2.840.10008.1.2.1.99');
      expect(expected.files['files/CT_large_deflated.dcm'].transferSyntax).to.equal('1.2.840.10008.1.2.1.99');
    });
  });

  describe('pixel values', function () {
    it('masks BitsStored and sign-extends: 12-bit signed CT with junk in the high bits gives CT_small\'s HU', async function () {
      const [a, b] = [await readOne('files/CT_signed12.dcm'), await readOne('files/CT_small.dcm')];
      expect(a.hu.some((v) => v < -512)).to.equal(true); // negative stored values really occur
      expect(Buffer.compare(a.pixels, b.pixels)).to.equal(0);
    });

    it('maps the pixel padding value and its range to -3024 HU, and leaves values outside the range', async function () {
      const r = await readOne('files/CT_padding.dcm');
      const at = (y: number, x: number) => r.hu[y * r.width + x];
      expect(expected.paddingHU).to.equal(-3024);
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          expect(at(y, x)).to.equal(-3024); // stored -2000 = Pixel Padding Value
          expect(at(y, x + 8)).to.equal(-3024); // stored -2050, within the Range Limit -2100
          expect(at(y, x + 16)).to.equal(-2200 - 1024); // stored -2200, outside: rescaled as usual
        }
      }
    });

    it('clamps values outside int16 after rescale, and reports how many', async function () {
      const want = expected.files['files/CT_clamp.dcm'];
      const { scans, ctx } = await read({ path: await dirWith('files/CT_clamp.dcm') });
      const hu = scans[0][0].hu;
      expect(want.clamped).to.be.greaterThan(0);
      expect(hu.filter((v) => v === -32768 || v === 32767).length).to.equal(want.clamped);
      expect(Math.min(...hu)).to.equal(-32768);
      expect(Math.max(...hu)).to.equal(32767);
      expect((ctx.notes.scans as { clamped: number }[])[0].clamped).to.equal(want.clamped);
      expect(ctx.logs.join('\n')).to.match(new RegExp(`${want.clamped} pixel\\(s\\) outside int16`));
    });
  });

  describe('series', function () {
    const [ct5n, ct2] = ['1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.6', '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2'];

    it('groups by SeriesInstanceUID, orders slices along the normal, spacing from positions', async function () {
      const { batches, scans, ctx } = await read({ path: fixture('series') });
      expect(batches.every((b) => b.schema.fields.map((f) => f.name).join() === Slices.schema.fields.map((f) => f.name).join())).to.equal(true);
      expect(scans.map((s) => s[0].scan_id)).to.deep.equal(Object.keys(expected.series).sort());
      for (const scan of scans) {
        const want = expected.series[scan[0].scan_id];
        expect(scan.map((r) => r.slice_index)).to.deep.equal(want.files.map((_, i) => i));
        expect(scan.map((r) => sha256(r.pixels)), 'slice order').to.deep.equal(want.sha256);
        scan.forEach((r, i) => expect(r.position_mm).to.be.closeTo(want.positions[i], 1e-9));
        scan.forEach((r) => expect(r.pixel_mm).to.equal(want.pixel_mm));
        const summary = (ctx.notes.scans as { scan_id: string; spacing_mm: number }[]).find((s) => s.scan_id === scan[0].scan_id)!;
        expect(summary.spacing_mm).to.be.closeTo(want.spacing, 1e-9);
      }
      // CT5N: InstanceNumber runs against the position, so reading order is not instance order
      expect(expected.series[ct5n].instanceNumbers).to.deep.equal([10, 9, 8, 7, 6]);
      expect(expected.series[ct5n].spacing).to.be.closeTo(2.5, 1e-9);
      // CT2: InstanceNumber jumps 18 → 180 and the gap is reported
      expect(ctx.logs.some((l) => l.includes(ct2) && l.includes('uneven slice gaps'))).to.equal(true);
    });

    it('drops LOCALIZER images, whether in a series of their own or filed inside an axial series', async function () {
      const { scans, ctx } = await read({ path: fixture('series') });
      expect(scans.find((s) => s[0].scan_id === ct5n)).to.have.length(5);
      expect(scans.some((s) => s[0].scan_id === '1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.2')).to.equal(false);
      expect((ctx.notes.localizers as string[]).map((f) => f.slice(FIXTURES.length)).sort())
        .to.deep.equal(['series/CT2N/6293', 'series/CT2N/6924', 'series/CT5N/localizer']);
    });

    it('order does not depend on file names or InstanceNumber (shuffled, renamed copy)', async function () {
      const want = expected.series[ct5n];
      const dir = await tmp();
      const names = shuffled(want.files.map((_, i) => `slice-${i}`), 'dicom-series shuffle');
      if (names.every((n, i) => n === `slice-${i}`)) names.reverse(); // never keep the sorted order
      for (const [i, file] of want.files.entries()) await copyFile(fixture(file), join(dir, names[i]));
      const { scans } = await read({ path: dir });
      expect(scans).to.have.length(1);
      expect(scans[0].map((r) => sha256(r.pixels))).to.deep.equal(want.sha256);
      expect(scans[0].map((r) => r.position_mm)).to.deep.equal(want.positions);
    });

    it('a series whose slices are not parallel fails naming the series and files, or is skipped', async function () {
      const uid = '1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.136';
      let error: Error | undefined;
      await read({ path: fixture('mixed') }).catch((e: Error) => { error = e; });
      expect(error?.message).to.include(`series ${uid}`).and.include('not parallel').and.include('onError: skip');
      expect(error?.message).to.match(/mixed[/\\]\d+/);
      const { scans, ctx } = await read({ path: fixture('mixed'), onError: 'skip' });
      expect(scans).to.have.length(0);
      expect(ctx.notes.skipped).to.have.length(1);
      expect((ctx.notes.skipped as { series: string }[])[0].series).to.equal(uid);
    });

    it('decodes one series at a time, after the headers are grouped', async function () {
      const dir = await tmp();
      await mkdir(join(dir, 'a'));
      await mkdir(join(dir, 'b'));
      for (const f of await readdir(fixture('series/CT5N'))) await copyFile(fixture(`series/CT5N/${f}`), join(dir, 'a', f));
      for (const f of await readdir(fixture('series/CT2'))) await copyFile(fixture(`series/CT2/${f}`), join(dir, 'b', f));
      const ctx = testContext<DicomSeriesParams>({ path: dir, split: 'test', label: null, onError: 'skip', recursive: true });
      if (dicomSeries.mode !== 'source') throw new Error('dicom-series must be a source');
      const it = dicomSeries.run(ctx)[Symbol.asyncIterator]();
      expect((await it.next()).value.slices.numRows).to.equal(5); // CT5N's UID sorts first
      await rm(join(dir, 'b'), { recursive: true }); // CT2's pixels have not been read yet
      expect((await it.next()).done).to.equal(true);
      expect((ctx.notes.skipped as { file: string; reason: string }[]).map((s) => s.reason)).to.deep.equal(Array(4).fill('cannot be read (ENOENT)'));
    });

    it('stored, a series is gathered as the workers answer: the same rows, its slabs back before the batch is read', async function () {
      // 21 slices in 3 chunks, named in shuffled order, a file that is not DICOM among them: file
      // order is not slice order, and the series' buffer has a gap to close
      const written = join(await tmp(), 'w'), dir = await tmp();
      await writeDicomSeries(written, (async function* () { yield toySlices('s', 21, 16, 'gather'); })());
      const names = shuffled(Array.from({ length: 21 }, (_, i) => `f${String(i).padStart(2, '0')}`), 'dicom-series gather');
      for (let i = 0; i < 21; i++) await copyFile(join(written, 's', `${i}.dcm`), join(dir, names[i]));
      await writeFile(join(dir, 'f10x'), 'not DICOM\n'.repeat(20));
      const first = async (stored: boolean) => {
        const ctx = testContext<DicomSeriesParams>({ path: dir, split: 'test', label: null, onError: 'skip', recursive: true }, { stored });
        if (dicomSeries.mode !== 'source') throw new Error('dicom-series must be a source');
        const before = startedPool()?.slabs.lent ?? 0;  // an earlier test's batch may still hold one
        const it = dicomSeries.run(ctx)[Symbol.asyncIterator]();
        const { value } = await it.next();
        const lent = startedPool()!.slabs.lent - before; // before anything read its pixels column
        const held = knownImages(value.slices)![0].data.buffer, column = value.slices.getChild('pixels')!.data[0].values.buffer;
        const got = { lent, rows: rows(value.slices), shared: column instanceof SharedArrayBuffer, inPlace: column === held };
        expect((await it.next()).done).to.equal(true);
        expect((ctx.notes.skipped as { file: string }[]).map((k) => basename(k.file))).to.deep.equal(['f10x']);
        return got;
      };
      const lazy = await first(false), stored = await first(true);
      const want = rows(toySlices('s', 21, 16, 'gather'));
      for (const got of [lazy, stored]) {
        expect(got.rows.map((r) => r.position_mm)).to.deep.equal(want.map((_, i) => i));
        expect(got.rows.map((r) => sha256(r.pixels))).to.deep.equal(want.map((r) => sha256(r.pixels)));
      }
      expect(lazy.lent, 'unstored: the slabs are lent until the column is read').to.equal(3);
      expect(stored.lent, 'stored: every slab given back as its chunk came').to.equal(0);
      expect(stored.shared).to.equal(false);
      expect([stored.inPlace, lazy.inPlace], 'the gathered series is the column itself').to.deep.equal([true, false]);
    });
  });

  describe('bad files', function () {
    for (const [what, make] of [
      ['a truncated file', async (dir: string) => { await copyFile(fixture('files/MR_truncated.dcm'), join(dir, 'MR_truncated.dcm')); return 'MR_truncated.dcm'; }],
      ['a non-DICOM file', async (dir: string) => { await writeFile(join(dir, 'notes.txt'), 'not an image\n'.repeat(20)); return 'notes.txt'; }],
      ['an empty file', async (dir: string) => { await writeFile(join(dir, 'empty.dcm'), ''); return 'empty.dcm'; }],
      ['a file cut short inside its pixel data', async (dir: string) => {
        const bytes = await readFile(fixture('files/MR_small_RLE.dcm'));
        await writeFile(join(dir, 'cut.dcm'), bytes.subarray(0, bytes.length - 2000));
        return 'cut.dcm';
      }],
      ['a file over 64 KiB (header read from its start) cut short', async (dir: string) => {
        const bytes = await readFile(fixture('files/CT_large.dcm'));
        await writeFile(join(dir, 'large.dcm'), bytes.subarray(0, bytes.length - 1000));
        return 'large.dcm';
      }],
      ['a deflated file over 64 KiB cut short', async (dir: string) => {
        const bytes = await readFile(fixture('files/CT_large_deflated.dcm'));
        await writeFile(join(dir, 'deflated.dcm'), bytes.subarray(0, bytes.length - 1000));
        return 'deflated.dcm';
      }],
    ] as const) {
      it(`${what}: onError fail names the file; onError skip records it and reads the rest`, async function () {
        const dir = await dirWith('files/CT_small.dcm');
        const bad = join(dir, await make(dir));
        let error: Error | undefined;
        await read({ path: dir }).catch((e: Error) => { error = e; });
        expect(error?.message).to.include(bad).and.include('onError: skip');
        if (what === 'a non-DICOM file' || what === 'an empty file') expect(error?.message).to.include('not a DICOM file');
        if (what.includes('truncated') || what.includes('cut short')) expect(error?.message).to.include('truncated');

        const { scans, ctx } = await read({ path: dir, onError: 'skip' });
        expect(scans.map((s) => s[0].scan_id)).to.deep.equal(['1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322']);
        const skipped = ctx.notes.skipped as { file: string; reason: string }[];
        expect(skipped.map((s) => s.file)).to.deep.equal([bad]);
        expect(skipped[0].reason).to.be.a('string').and.not.equal('');
        expect(ctx.logs.some((l) => l.includes(bad) && l.includes(skipped[0].reason))).to.equal(true);
      });
    }

    it('truncated native pixel data is caught from the header, before any pixels are decoded', async function () {
      const dir = await tmp();
      const bytes = await readFile(fixture('files/CT_large.dcm'));
      await writeFile(join(dir, 'large.dcm'), bytes.subarray(0, bytes.length - 1000));
      let error: Error | undefined;
      await readHeader(join(dir, 'large.dcm')).catch((e: Error) => { error = e; });
      expect(error).to.be.instanceOf(DicomFileError);
      expect(error?.message).to.include(join(dir, 'large.dcm')).and.match(/holds \d+ of the 131072 bytes .* truncated/);
      const h = await readHeader(fixture('files/CT_large.dcm'));
      expect([h?.rows, h?.cols, h?.pixelMm]).to.deep.equal([256, 256, 0.661468 / 2]);
    });

    it('an empty directory is an error that names it', async function () {
      const dir = await tmp();
      let error: Error | undefined;
      await read({ path: dir, recursive: false }).catch((e: Error) => { error = e; });
      expect(error?.message).to.include(dir).and.include('recursive: true');
    });
  });

  describe('params and files', function () {
    it('writes split and label on every row', async function () {
      const { scans } = await read({ path: fixture('series/CT5N'), split: 'train', label: 1 });
      expect(scans[0].map((r) => [r.split, r.label])).to.deep.equal(Array(5).fill(['train', 1]));
      const unlabelled = await read({ path: fixture('series/CT5N') });
      expect(unlabelled.scans[0].every((r) => r.split === 'test' && r.label === null)).to.equal(true);
    });

    it('inputFiles lists every file (sorted, hidden ones left out), recursive or not', async function () {
      const dir = await dirWith('files/CT_small.dcm');
      await mkdir(join(dir, 'sub'));
      await copyFile(fixture('files/MR_small.dcm'), join(dir, 'sub', 'MR_small.dcm'));
      await writeFile(join(dir, '.DS_Store'), 'x');
      const params = { path: dir, split: 'test', label: null, onError: 'fail' } as const;
      expect(await inputFiles({ ...params, recursive: true })).to.deep.equal([join(dir, 'CT_small.dcm'), join(dir, 'sub', 'MR_small.dcm')]);
      expect(await inputFiles({ ...params, recursive: false })).to.deep.equal([join(dir, 'CT_small.dcm')]);
      const { scans } = await read({ path: dir, recursive: false });
      expect(scans).to.have.length(1);
    });

    it('declares its params with defaults, and its example reads', async function () {
      for (const [name, schema] of Object.entries(dicomSeries.params)) {
        if (!dicomSeries.required?.includes(name as keyof DicomSeriesParams)) expect(schema, name).to.have.property('default');
      }
      const { scans } = await read({ ...dicomSeries.example, path: dicomSeries.example.path! });
      expect(scans.length).to.be.greaterThan(0);
    });
  });
});
