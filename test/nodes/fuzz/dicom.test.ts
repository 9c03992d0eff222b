// Bad scans, DICOM: seeded mutants of the real test files (truncated, wrong element lengths, bogus
// transfer syntaxes, corrupt header values and codestreams, garbage) each either decode to a
// well-formed slice or are rejected with an error naming the file, within a time bound per file.
// Every mutant goes through the per-file path (readHeader → decodeSlice → toHounsfield); a few
// hundred also go through dicom-series run() with onError skip and fail.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordBatch } from 'apache-arrow';
import type { DataSet } from 'dicom-parser';
import dicomSeries, { type DicomSeriesParams } from '../../../nodes/dicom-series.js';
import { rngFrom } from '../../../engine/rng.js';
import { decodeSlice } from '../../../nodes/kernels/dicom/decode.js';
import { DicomFileError, dicomParser, readHeader } from '../../../nodes/kernels/dicom/header.js';
import { toHounsfield } from '../../../nodes/kernels/dicom/hu.js';
import { testContext } from '../../helpers/context.js';
import { timed } from '../../helpers/timing.js';
import { mapDicom, mutateDicom, type DicomMap } from './mutate.js';

const SOURCES = fileURLToPath(new URL('../../../../test/fixtures/dicom/files/', import.meta.url));
/** Mutants per source file: more for compressed ones, whose codecs see the damage (10 × 80 + 13 × 40 = 1320). */
const perSource = (map: DicomMap) => (map.fragments.length ? 80 : 40);
/** Every RUN_EVERY-th mutant also goes through run() (skip and fail). */
const RUN_EVERY = 4;
/** Longest a single file may take (decode, or a whole run() over it), in CPU time (helpers/timing.ts). */
const TIME_BOUND_MS = 2000;

interface Mutated {
  file: string;
  what: string;
}

type Outcome =
  | { kind: 'data'; rows: number; cols: number; hu: Int16Array }
  | { kind: 'non-image' }
  | { kind: 'error'; error: unknown };

/** The per-file path of dicom-series: header, pixels, HU. */
async function loadOne(file: string): Promise<Outcome> {
  try {
    const h = await readHeader(file);
    if (!h) return { kind: 'non-image' };
    const { samples, shift } = await decodeSlice(h);
    return { kind: 'data', rows: h.rows, cols: h.cols, hu: toHounsfield(samples, h.pixel, shift).hu };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** dicom-parser's parse; for MR_truncated.dcm, the part it read before the file ended. */
function parseOriginal(dp: typeof import('dicom-parser'), bytes: Buffer): DataSet {
  try {
    return dp.parseDicom(bytes);
  } catch (e) {
    const partial = (e as { dataSet?: DataSet }).dataSet;
    if (!partial) throw e;
    return partial;
  }
}

const sha256 = (hu: Int16Array) => createHash('sha256').update(new Uint8Array(hu.buffer, hu.byteOffset, hu.byteLength)).digest('hex');


async function runKind(params: DicomSeriesParams) {
  const ctx = testContext<DicomSeriesParams>(params);
  if (dicomSeries.mode !== 'source') throw new Error('dicom-series must be a source');
  const batches: RecordBatch[] = [];
  try {
    for await (const out of dicomSeries.run(ctx)) batches.push(out.slices);
    return { batches, ctx, error: undefined };
  } catch (error) {
    return { batches, ctx, error };
  }
}

describe('fuzz: damaged DICOM files', function () {
  // Over a thousand decodes per test: a minute of CPU can take several on a loaded 2-core machine;
  // the limit only stops a hang (each file's own bound is in CPU time).
  this.timeout(600_000);
  let dir: string;
  const corpus: Mutated[] = [];
  const outcomes = new Map<string, Outcome>();

  /** Each source file's HU (sha256), decoded before the corpus: this also loads the codecs, so their start-up is not timed. */
  const originals = new Map<string, string>();
  const decodeOriginals = async () => {
    const hashes = new Map<string, string>();
    for (const name of (await readdir(SOURCES)).sort()) {
      const o = await loadOne(join(SOURCES, name));
      hashes.set(name, o.kind === 'data' ? sha256(o.hu) : o.kind);
    }
    return hashes;
  };

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'ctflow-fuzz-dicom-'));
    for (const [name, hash] of await decodeOriginals()) originals.set(name, hash);
    const dp = await dicomParser();
    const sources = (await readdir(SOURCES)).sort();
    for (const name of sources) {
      const bytes = await readFile(join(SOURCES, name)); // a Buffer: dicom-parser inflates Buffers only
      const map = mapDicom(parseOriginal(dp, bytes));
      const rng = rngFrom(`fuzz-dicom:${name}`);
      for (let k = 0; k < perSource(map); k++) {
        const m = mutateDicom(bytes, map, rng);
        const sub = join(dir, `${corpus.length}`);
        await mkdir(sub);
        const file = join(sub, `${name.replace(/\.dcm$/, '')}-${k}.dcm`);
        await writeFile(file, m.bytes);
        corpus.push({ file, what: `${name}: ${m.what}` });
      }
    }
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`builds the same corpus every run: ≥ 1000 mutants of 20+ real files`, async () => {
    expect(corpus.length).to.be.at.least(1000);
    const bytes = await readFile(join(SOURCES, 'CT_small.dcm'));
    const again = mutateDicom(bytes, mapDicom(parseOriginal(await dicomParser(), bytes)), rngFrom('fuzz-dicom:CT_small.dcm'));
    const first = corpus.find((m) => m.file.endsWith('CT_small-0.dcm'))!;
    expect(Buffer.compare(Buffer.from(again.bytes), await readFile(first.file))).to.equal(0);
  });

  it('decodes each mutant to a well-formed slice or rejects it with an error naming the file, each within the time bound', async () => {
    let maxMs = 0;
    let slowest = '';
    const counts = { data: 0, 'non-image': 0, error: 0 };
    for (const m of corpus) {
      const { value: o, ms } = await timed(() => loadOne(m.file));
      if (ms > maxMs) [maxMs, slowest] = [ms, m.what];
      outcomes.set(m.file, o);
      counts[o.kind]++;
      if (o.kind === 'error') {
        const e = o.error;
        expect(e, `${m.what}: ${String(e)} ${(e as Error)?.stack ?? ''}`).to.be.instanceOf(DicomFileError);
        expect((e as DicomFileError).file, m.what).to.equal(m.file);
        expect((e as Error).message, m.what).to.include(m.file);
        expect((e as DicomFileError).reason.length, m.what).to.be.greaterThan(10);
      } else if (o.kind === 'data') {
        expect(o.rows * o.cols, m.what).to.be.greaterThan(0);
        expect(o.hu.length, m.what).to.equal(o.rows * o.cols);
      }
    }
    console.log(`      ${corpus.length} DICOM mutants: ${counts.data} decoded, ${counts.error} rejected, ${counts['non-image']} not images; slowest ${maxMs.toFixed(0)} ms (${slowest})`);
    expect(maxMs, slowest).to.be.below(TIME_BOUND_MS);
    expect(counts.error, 'the mutator damages files').to.be.greaterThan(corpus.length / 4);
    expect(counts.data, 'some damage is harmless').to.be.greaterThan(0);
  });

  it('still decodes every original file as before, after the whole corpus', async () => {
    expect([...originals.values()].filter((h) => h === 'error')).to.have.length(1); // MR_truncated.dcm
    expect(await decodeOriginals()).to.deep.equal(originals);
  });

  it('rejects 300 damaged JPEG-LS codestreams in a row alike, then decodes a valid one (the codec does not wear out)', async () => {
    // CharLS leaks WebAssembly stack on each codestream it rejects; with one instance reused,
    // the 276th rejection and every later frame (valid ones too) trapped "memory access out of bounds".
    const name = 'CT_signed12_jls.dcm';
    const bytes = await readFile(join(SOURCES, name));
    const [fragment] = mapDicom(parseOriginal(await dicomParser(), bytes)).fragments;
    const bad = Buffer.from(bytes);
    const middle = fragment.data + (fragment.length >> 1);
    bad.fill(0xff, middle, middle + 16);
    const file = join(dir, 'jls-damaged.dcm');
    await writeFile(file, bad);
    const h = (await readHeader(file))!;
    const reasons = new Set<string>();
    for (let i = 0; i < 300; i++) reasons.add(await decodeSlice(h).then(() => 'decoded', (e: DicomFileError) => e.reason));
    expect([...reasons]).to.deep.equal(['JPEG-LS lossless pixel data does not decode (the codec rejected the codestream)']);
    const o = await loadOne(join(SOURCES, name));
    expect(o.kind === 'data' && sha256(o.hu)).to.equal(originals.get(name));
  });

  it('run() with onError skip yields what the file decodes to, or skips and notes the file', async () => {
    let maxMs = 0;
    const counts = { yielded: 0, skipped: 0, ignored: 0 };
    for (const m of corpus.filter((_, i) => i % RUN_EVERY === 0)) {
      const o = outcomes.get(m.file)!;
      const { value: r, ms } = await timed(() => runKind({ path: join(m.file, '..'), split: 'test', label: null, onError: 'skip', recursive: true }));
      maxMs = Math.max(maxMs, ms);
      expect(r.error, `${m.what}: ${String(r.error)}`).to.equal(undefined);
      const skipped = r.ctx.notes.skipped as { file?: string; series?: string; reason: string }[];
      if (o.kind === 'data') {
        expect(r.batches, m.what).to.have.length(1);
        const [row] = r.batches[0].toArray();
        expect([row.height, row.width], m.what).to.deep.equal([o.rows, o.cols]);
        const px = row.pixels as Uint8Array;
        expect(px.length, m.what).to.equal(o.rows * o.cols * 2);
        expect(Buffer.compare(Buffer.from(px), Buffer.from(o.hu.buffer, o.hu.byteOffset, o.hu.byteLength)), m.what).to.equal(0);
        counts.yielded++;
      } else if (o.kind === 'error') {
        expect(r.batches, m.what).to.have.length(0);
        expect(skipped, m.what).to.deep.equal([{ file: m.file, reason: (o.error as DicomFileError).reason }]);
        counts.skipped++;
      } else {
        expect(r.batches, m.what).to.have.length(0);
        expect(r.ctx.notes.nonImageFiles, m.what).to.deep.equal([m.file]);
        counts.ignored++;
      }
    }
    console.log(`      run() skip over ${counts.yielded + counts.skipped + counts.ignored} mutants: ${counts.yielded} yielded, ${counts.skipped} skipped, ${counts.ignored} not images; slowest ${maxMs.toFixed(0)} ms`);
    expect(maxMs).to.be.below(TIME_BOUND_MS);
  });

  it('run() with onError fail throws an Error naming the file for each mutant that does not decode', async () => {
    let failed = 0;
    for (const m of corpus.filter((_, i) => i % RUN_EVERY === 0)) {
      const o = outcomes.get(m.file)!;
      const r = await runKind({ path: join(m.file, '..'), split: 'test', label: null, onError: 'fail', recursive: true });
      if (o.kind !== 'error') {
        expect(r.error, `${m.what}: ${String(r.error)}`).to.equal(undefined);
        continue;
      }
      failed++;
      expect(r.error, m.what).to.be.instanceOf(Error);
      expect(r.error, m.what).not.to.be.instanceOf(TypeError).and.not.to.be.instanceOf(RangeError);
      expect((r.error as Error).message, m.what).to.include(`file ${m.file}: ${(o.error as DicomFileError).reason}`).and.to.include('onError: skip');
    }
    console.log(`      run() fail: ${failed} mutants stopped the run with their file named`);
    expect(failed).to.be.greaterThan(0);
  });
});

describe('fuzz findings: DICOM files', function () {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctflow-fuzz-dicom-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A damaged copy of a source file: its bytes, its map, and where to write it. */
  async function damaged(name: string, edit: (b: Buffer, map: DicomMap) => Buffer | void) {
    const bytes = await readFile(join(SOURCES, name));
    const map = mapDicom(parseOriginal(await dicomParser(), bytes));
    const b = Buffer.from(bytes);
    const file = join(dir, `${n++}-${name}`);
    await writeFile(file, edit(b, map) ?? b);
    return file;
  }
  const reasonOf = (file: string) => loadOne(file).then((o) => (o.kind === 'error' ? (o.error as DicomFileError).reason : o.kind));

  it('rejects explicit VR data relabelled implicit, which parsed "cleanly" into elements running past the end and passed for a file without an image', async () => {
    const file = await damaged('CR_6154.dcm', (b, map) => {
      const uid = '1.2.840.10008.1.2';
      for (let k = 0; k < map.syntax!.length; k++) b[map.syntax!.at + k] = k < uid.length ? uid.charCodeAt(k) : 0;
    });
    expect(await reasonOf(file)).to.match(/^element \(0008,0005\) claims \d+ bytes but only \d+ follow it: .* transfer syntax 1\.2\.840\.10008\.1\.2 is not the one/);
  });

  it('rejects a CT file cut just before Rows instead of taking it for a file without an image', async () => {
    const file = await damaged('CT_small.dcm', (b, map) => b.subarray(0, map.lengths.find((f) => f.tag === 'x00280010')!.at - 6));
    expect(await reasonOf(file)).to.equal('neither Rows nor Pixel Data, yet its SOP class 1.2.840.10008.5.1.4.1.1.2 (0002,0002) is an image storage: the file is truncated or damaged');
  });

  it('refuses absurd Rows × Columns from the header', async () => {
    const file = await damaged('CT_small.dcm', (b, map) => {
      for (const f of map.values.filter((v) => v.tag === 'x00280010' || v.tag === 'x00280011')) b.writeUInt16LE(65535, f.at);
    });
    expect(await reasonOf(file)).to.equal('Rows × Columns 65535×65535 is more than the 8192×8192 pixels read: the header is damaged');
  });

  // Each of these took the codec seconds and left it holding up to 1.6 GB of WebAssembly memory.
  for (const [name, what, edit, reason] of [
    ['CT_signed12_jls.dcm', 'a JPEG-LS frame of 20000×20000', (b: Buffer, at: number) => { b.writeUInt16BE(20000, at + 5); b.writeUInt16BE(20000, at + 7); },
      'JPEG-LS lossless pixel data does not decode (the codestream declares 20000×20000 with 1 component(s); the header says 128×128 greyscale)'],
    ['693_J2KI.dcm', 'a JPEG 2000 image of 30000×30000', (b: Buffer, at: number) => { b.writeUInt32BE(30000, at + 8); b.writeUInt32BE(30000, at + 12); },
      'JPEG 2000 pixel data does not decode (the codestream declares 30000×30000 with 1 component(s); the header says 512×512 greyscale)'],
    ['693_J2KI.dcm', 'JPEG 2000 tiles of 4×4 pixels', (b: Buffer, at: number) => { b.writeUInt32BE(4, at + 24); b.writeUInt32BE(4, at + 28); },
      'JPEG 2000 pixel data does not decode (the codestream declares tiles of 4×4 pixels (damaged: at least 16×16 expected))'],
  ] as const) {
    it(`refuses ${what} before the codec sees it`, async () => {
      const file = await damaged(name, (b, map) => {
        const start = map.fragments[0].data;
        const header = name.endsWith('jls.dcm') ? b.indexOf(Buffer.from([0xff, 0xf7]), start) : start; // SOF55, or SOC+SIZ
        edit(b, header);
      });
      const { value, ms } = await timed(() => reasonOf(file));
      expect(value).to.equal(reason);
      expect(ms, 'refused without decoding').to.be.below(500);
    });
  }
});
