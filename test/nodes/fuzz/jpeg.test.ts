// Bad scans, JPEG: seeded mutants of real JPEG slices (truncated, corrupt markers and segment
// lengths, damaged frame headers, garbage in the entropy-coded data) each either decode to a
// well-formed grey slice or are skipped with a reason, within a time bound per file. Sources: the
// image-folder example fixture (written by the project's JPEG writer) and CT slices from the DICOM
// fixtures encoded by sharp (baseline, progressive, colour). Every mutant goes through decodeGrey;
// a few hundred, filed as COV19-CT-DB scans, also go through image-folder run().
import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordBatch } from 'apache-arrow';
import imageFolder, { type ImageFolderParams } from '../../../nodes/image-folder.js';
import { rngFrom } from '../../../engine/rng.js';
import { decodeSlice } from '../../../nodes/kernels/dicom/decode.js';
import { readHeader } from '../../../nodes/kernels/dicom/header.js';
import { toHounsfield } from '../../../nodes/kernels/dicom/hu.js';
import { decodeGrey, decodeSlices, MAX_SIDE, type GreySlice, type HuSlice } from '../../../nodes/kernels/image-folder/decode.js';
import { byteToHuTable, bytesToHuPixels, DEFAULT_WINDOW, huPixelsToBytes } from '../../../nodes/kernels/image-folder/hu.js';
import { testContext } from '../../helpers/context.js';
import { timed } from '../../helpers/timing.js';
import { mapJpeg, mutateJpeg } from './mutate.js';
import { jpegFrame } from '../../../nodes/kernels/image-folder/sniff.js';
import { decodable } from '../../../nodes/kernels/image-folder/chunk-reader.js';
import { nativeJpeg } from '../../../nodes/kernels/image-folder/native-jpeg.js';
import { wasmJpeg } from '../../../nodes/kernels/image-folder/wasm-jpeg.js';
import { turboJpegGrey } from '../../helpers/turbojpeg-wasm.js';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));
const PER_SOURCE = 160;
/** Mutants filed as scans for run(): SLICES_PER_SCAN mutants of one source per scan folder. */
const RUN_MUTANTS = 300;
const SLICES_PER_SCAN = 5;
/** Longest a single file may take, in CPU time (helpers/timing.ts). */
const TIME_BOUND_MS = 2000;

/** The source JPEGs: name → bytes. */
async function sources(): Promise<Map<string, Uint8Array>> {
  const { default: sharp } = await import('sharp');
  const out = new Map<string, Uint8Array>();
  const tiny = join(FIXTURES, 'image-folder/tiny/train/covid/ct_scan_0');
  for (const name of (await readdir(tiny)).sort()) out.set(`tiny-${name}`, new Uint8Array(await readFile(join(tiny, name))));
  for (const dcm of ['CT_small.dcm', 'CT_large.dcm']) {
    const h = (await readHeader(join(FIXTURES, 'dicom/files', dcm)))!;
    const { samples, shift } = await decodeSlice(h);
    const { hu } = toHounsfield(samples, h.pixel, shift);
    const grey = huPixelsToBytes(new Uint8Array(hu.buffer), [...DEFAULT_WINDOW]);
    const image = () => sharp(grey, { raw: { width: h.cols, height: h.rows, channels: 1 } });
    const stem = dcm.replace('.dcm', '');
    out.set(`${stem}-q95.jpg`, await image().jpeg({ quality: 95 }).toBuffer());
    if (h.rows > 128) continue; // one 512² source is enough; the small one carries the variants
    out.set(`${stem}-progressive.jpg`, await image().jpeg({ quality: 80, progressive: true }).toBuffer());
    out.set(`${stem}-rgb420.jpg`, await image().toColourspace('srgb').jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer());
  }
  return out;
}

interface Mutated {
  file: string;
  source: string;
  what: string;
}


describe('fuzz: damaged JPEG slices', function () {
  // Over a thousand decodes per test: a minute of CPU can take several on a loaded 2-core machine;
  // the limit only stops a hang (each file's own bound is in CPU time).
  this.timeout(600_000);
  let dir: string;
  const corpus: Mutated[] = [];
  const outcomes = new Map<string, GreySlice | { reason: string }>();

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'ctflow-fuzz-jpeg-'));
    await mkdir(join(dir, 'corpus'));
    for (const [name, src] of await sources()) {
      await decodeGrey(await writeTmp(join(dir, `original-${name}`), src)); // loads sharp before anything is timed
      const map = mapJpeg(src);
      const rng = rngFrom(`fuzz-jpeg:${name}`);
      for (let k = 0; k < PER_SOURCE; k++) {
        const m = mutateJpeg(src, map, rng);
        const file = join(dir, 'corpus', `${name.replace(/\.jpe?g$/, '')}-${k}.jpg`);
        await writeFile(file, m.bytes);
        corpus.push({ file, source: name, what: `${name}: ${m.what}` });
      }
    }
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds ≥ 1000 mutants of real JPEG slices, the same every run', async () => {
    expect(corpus.length).to.be.at.least(1000);
    const src = (await sources()).get('CT_small-q95.jpg')!;
    const again = mutateJpeg(src, mapJpeg(src), rngFrom('fuzz-jpeg:CT_small-q95.jpg'));
    expect(Buffer.compare(Buffer.from(again.bytes), await readFile(corpus.find((m) => m.what.startsWith('CT_small-q95.jpg'))!.file))).to.equal(0);
  });

  it('decodes each mutant to a well-formed grey slice or gives the reason it is skipped, each within the time bound', async () => {
    let maxMs = 0;
    let slowest = '';
    const counts = { decoded: 0, unreadable: 0, blank: 0 };
    for (const m of corpus) {
      const { value: o, ms } = await timed(() => decodeGrey(m.file));
      if (ms > maxMs) [maxMs, slowest] = [ms, m.what];
      outcomes.set(m.file, o);
      if ('reason' in o) {
        expect(o.reason, m.what).to.match(/^(unreadable|blank): \S/);
        counts[o.reason.startsWith('blank') ? 'blank' : 'unreadable']++;
      } else {
        expect(o.width * o.height, m.what).to.be.greaterThan(0).and.at.most(MAX_SIDE * MAX_SIDE);
        expect(o.grey.length, m.what).to.equal(o.width * o.height);
        counts.decoded++;
      }
    }
    console.log(`      ${corpus.length} JPEG mutants: ${counts.decoded} decoded, ${counts.unreadable} unreadable, ${counts.blank} blank; slowest ${maxMs.toFixed(0)} ms (${slowest})`);
    expect(maxMs, slowest).to.be.below(TIME_BOUND_MS);
    expect(counts.unreadable, 'the mutator damages files').to.be.greaterThan(corpus.length / 4);
    expect(counts.decoded, 'some damage is harmless').to.be.greaterThan(0);
  });

  it('decodeSlices (libjpeg-turbo on the workers where it decodes cleanly, else sharp) gives each mutant what sharp gives it, through the HU table, but for IDCT overflow', async function () {
    // Damaged data that libjpeg does not warn about (entropy-coded bits, a quantization table) can
    // give coefficients so large that a pixel leaves libjpeg's clamping range (384 past 0..255): the
    // C inverse DCT (ctflow's builds) wraps it, the SIMD one (sharp's, OpenCV's) saturates, so
    // the two differ there; an encoder's output does not get near (the undamaged sources below, and
    // bench/scale/decoders.ts: every slice of a scan equal).
    const table = byteToHuTable([...DEFAULT_WINDOW]);
    let viaWasm = 0, overflow = 0;
    for (let i = 0; i < corpus.length; i += 16) {
      const files = corpus.slice(i, i + 16).map((m) => m.file);
      const got = await decodeSlices(files, table);
      for (const [k, file] of files.entries()) {
        const want = await decodeGrey(file), g = got[k];
        if ('reason' in want || 'reason' in g) {
          // the same reason, word for word: decodeSlices decodes a slice that failed again, alone (libvips's error buffer is shared)
          expect(g, corpus[i + k].what).to.deep.equal(want);
          continue;
        }
        viaWasm++;
        expect([g.width, g.height], corpus[i + k].what).to.deep.equal([want.width, want.height]);
        const grey = huPixelsToBytes(new Uint8Array(g.hu.buffer, g.hu.byteOffset, g.hu.byteLength), [...DEFAULT_WINDOW]);
        const differ = grey.filter((v, j) => v !== want.grey[j]).length;
        if (differ === 0) continue;
        overflow++;
        outcomes.set(file, { width: g.width, height: g.height, grey }); // what image-folder's run() (next test) reads for this slice
      }
    }
    console.log(`      ${viaWasm} mutants decoded by both; ${overflow} differ (pixels past libjpeg's clamping range)`);
    expect(viaWasm, 'some mutants decode').to.be.greaterThan(0);
    expect(overflow, 'overflow is rare').to.be.below(viaWasm / 10);
  });

  it('the shipped decoders (native/jpeg-gray: the WebAssembly build and the addon; SIMD inverse DCT, 64-bit bit buffer) give each one-component mutant the bytes and the verdict of libjpeg-turbo\'s plain C decoder', async function () {
    // The reference is TurboJPEG 2.0.4 built without SIMD (@cwasm/jpeg-turbo): the arithmetic the
    // SIMD IDCT reproduces lane by lane, wrapping where the C code wraps, so the overflowing
    // mutants of the test above must be equal here too. The addon, where it loads, is held to the same.
    const reference = turboJpegGrey()!;
    const decoders = [['WebAssembly', wasmJpeg()], ['native addon', nativeJpeg()]].filter((d): d is [string, NonNullable<ReturnType<typeof nativeJpeg>>] => !!d[1]);
    const { default: sharp } = await import('sharp');
    let equal = 0, refused = 0, unlikeSharp = 0;
    for (const m of corpus) {
      const bytes = new Uint8Array(await readFile(m.file)), frame = jpegFrame(bytes);
      if (!decodable(frame)) continue; // what image-folder's workers give it
      const want = reference(bytes);
      for (const [name, decode] of decoders) {
        const got = decode(bytes, want?.width ?? frame.width, want?.height ?? frame.height);
        if (!want) expect(got, `${name}, ${m.what}: refused by the reference`).to.equal(null);
        else {
          expect(got, `${name}, ${m.what}: decoded by the reference`).to.not.equal(null);
          expect(Buffer.from(got!).equals(Buffer.from(want.grey)), `${name}, ${m.what}`).to.equal(true);
        }
      }
      if (!want) {
        refused++;
        continue;
      }
      equal++;
      if (!Buffer.from(want.grey).equals(await sharp(bytes, { failOn: 'none' }).toColourspace('b-w').raw().toBuffer())) unlikeSharp++;
    }
    console.log(`      one-component mutants (${decoders.map(([n]) => n).join(', ')}): ${equal} decoded to equal bytes (${unlikeSharp} of them past the clamping range, unlike sharp's), ${refused} refused by both`);
    expect(equal, 'some mutants decode').to.be.greaterThan(20);
    expect(unlikeSharp, 'an overflowing mutant is among them: the wrapping is compared too').to.be.greaterThan(0);
    expect(refused, 'some mutants are refused').to.be.greaterThan(100);
  });

  it('decodeSlices gives each undamaged source exactly what sharp gives it, through the HU table', async function () {
    const files = await Promise.all([...(await sources())].map(([name, bytes]) => writeTmp(join(dir, `whole-${name}`), bytes)));
    const table = byteToHuTable([...DEFAULT_WINDOW]);
    const got = await decodeSlices(files, table);
    for (const [k, file] of files.entries()) {
      const want = (await decodeGrey(file, 'strict')) as GreySlice, g = got[k] as HuSlice;
      expect([g.width, g.height], file).to.deep.equal([want.width, want.height]);
      expect(Buffer.from(g.hu.buffer, g.hu.byteOffset, g.hu.byteLength).equals(Buffer.from(bytesToHuPixels(want.grey, table))), file).to.equal(true);
    }
  });

  it('image-folder run() yields the slices that decode and notes every one it skips, scan by scan', async () => {
    // scans of SLICES_PER_SCAN mutants of one source each, filed as train/covid/ct_scan_K/N.jpg
    const root = join(dir, 'dataset');
    const scans: Mutated[][] = [];
    const chosen = corpus.filter((_, i) => i % Math.floor(corpus.length / RUN_MUTANTS) === 0).slice(0, RUN_MUTANTS);
    const bySource = new Map<string, Mutated[]>();
    for (const m of chosen) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m]);
    for (const group of bySource.values()) for (let i = 0; i < group.length; i += SLICES_PER_SCAN) scans.push(group.slice(i, i + SLICES_PER_SCAN));
    const fileOf = new Map<string, Mutated>();
    for (const [k, scan] of scans.entries()) {
      const folder = join(root, 'train', 'covid', `ct_scan_${k}`);
      await mkdir(folder, { recursive: true });
      for (const [n, m] of scan.entries()) {
        const file = join(folder, `${n}.jpg`);
        await writeFile(file, await readFile(m.file));
        fileOf.set(file, m);
      }
    }
    const ctx = testContext<ImageFolderParams>({ path: root, window: [...DEFAULT_WINDOW], mixedSizes: 'drop', splits: null });
    if (imageFolder.mode !== 'source') throw new Error('image-folder must be a source');
    const batches: RecordBatch[] = [];
    const outputs = imageFolder.run(ctx);
    const { ms } = await timed(async () => {
      for await (const out of outputs) batches.push(out.slices);
    });

    // what each scan should come to, from the per-file outcomes
    const table = byteToHuTable([...DEFAULT_WINDOW]);
    const want = { skipped: [] as { file: string; reason: string }[], empty: [] as string[], mixed: [] as string[], rows: new Map<string, string[]>() };
    for (const [k] of scans.entries()) {
      const scanId = `train/covid/ct_scan_${k}`;
      const files = [...fileOf.keys()].filter((f) => relative(root, f).split(sep).slice(0, 3).join('/') === scanId).sort();
      const kept: { file: string; slice: GreySlice }[] = [];
      for (const file of files) {
        const o = outcomes.get(fileOf.get(file)!.file)!;
        if ('reason' in o) want.skipped.push({ file, reason: o.reason });
        else kept.push({ file, slice: o });
      }
      if (kept.length === 0) want.empty.push(scanId);
      else if (new Set(kept.map((s) => `${s.slice.width}x${s.slice.height}`)).size > 1) want.mixed.push(scanId);
      else want.rows.set(scanId, kept.map((s) => Buffer.from(bytesToHuPixels(s.slice.grey, table)).toString('base64')));
    }
    expect(ctx.notes.skippedSlices).to.have.deep.members(want.skipped);
    expect(ctx.notes.emptyScans).to.have.members(want.empty);
    expect((ctx.notes.mixedSizes as { scan_id: string }[]).map((m) => m.scan_id)).to.have.members(want.mixed);
    const got = new Map<string, string[]>();
    for (const batch of batches) {
      const rows = batch.toArray();
      for (const r of rows) {
        expect((r.pixels as Uint8Array).length, r.scan_id).to.equal(r.height * r.width * 2);
        expect(r.height * r.width, r.scan_id).to.be.greaterThan(0);
      }
      got.set(rows[0].scan_id, rows.map((r) => Buffer.from(r.pixels as Uint8Array).toString('base64')));
    }
    expect(got).to.deep.equal(want.rows);
    const perFile = ms / chosen.length;
    console.log(`      run() over ${chosen.length} mutants in ${scans.length} scans: ${[...got.values()].flat().length} slices yielded, ` +
      `${want.skipped.length} skipped, ${want.empty.length} scans empty, ${want.mixed.length} of mixed sizes; ${perFile.toFixed(1)} ms per file`);
    expect(perFile).to.be.below(TIME_BOUND_MS);
  });
});

describe('fuzz findings: JPEG slices', function () {
  let dir: string;
  let src: Uint8Array;
  let original: GreySlice;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctflow-fuzz-jpeg-'));
    src = (await sources()).get('CT_small-q95.jpg')!;
    original = (await decodeGrey(await writeTmp(join(dir, 'original.jpg'), src))) as GreySlice;
    expect(original.width).to.equal(128);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a frame header declaring a huge image at once (it decoded 16000×16000 from 3 kB in seconds)', async () => {
    const b = Buffer.from(src);
    const { sof } = mapJpeg(src);
    b.writeUInt16BE(16000, sof + 5);
    b.writeUInt16BE(16000, sof + 7);
    const { value: o, ms } = await timed(async () => decodeGrey(await writeTmp(join(dir, 'huge.jpg'), b)));
    expect(ms, 'refused without decoding').to.be.below(500);
    expect(o).to.deep.equal({ reason: `unreadable: its header declares more than ${MAX_SIDE}×${MAX_SIDE} pixels (damaged?)` });
  });

  it('skips a slice whose entropy-coded data ends early (libjpeg fills the rest with grey and only warns)', async () => {
    const [[start, end]] = mapJpeg(src).scans;
    const cut = Buffer.concat([src.subarray(0, (start + end) >> 1), Buffer.from([0xff, 0xd9])]);
    const o = await decodeGrey(await writeTmp(join(dir, 'short.jpg'), cut));
    expect(o).to.deep.equal({ reason: 'unreadable: VipsJpeg: Corrupt JPEG data: premature end of data segment' });
  });

  it('reads a slice with junk between marker segments (a harmless warning) as the original', async () => {
    const dqt = mapJpeg(src).segments.find((s) => s.marker === 0xdb)!;
    const junk = Buffer.concat([src.subarray(0, dqt.at), Buffer.from([1, 2, 3]), src.subarray(dqt.at)]);
    const o = await decodeGrey(await writeTmp(join(dir, 'junk.jpg'), junk), 'strict');
    expect(o).to.deep.equal({ reason: 'unreadable: VipsJpeg: Corrupt JPEG data: 3 extraneous bytes before marker 0xdb' });
    expect(await decodeGrey(join(dir, 'junk.jpg'))).to.deep.equal(original);
  });
});

async function writeTmp(file: string, bytes: Uint8Array): Promise<string> {
  await writeFile(file, bytes);
  return file;
}
