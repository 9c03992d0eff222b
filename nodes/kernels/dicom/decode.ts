// One slice's pixels, decoded per transfer syntax into raw samples BitsAllocated wide (before
// BitsStored masking, see hu.ts). Native data is read as it lies (big endian swapped); RLE is
// decoded here (rle.ts); JPEG lossless, JPEG-LS and JPEG 2000 go to their codecs, loaded lazily.
import type { DataSet } from 'dicom-parser';
import { declaredFrame } from './codestream.js';
import { isLocalizer } from './files.js';
import { DicomFileError, dicomParser, headerOf, parseDataSet, PIXEL_DATA, ReadBuffer, TRANSFER_SYNTAXES, truncated, type SliceHeader } from './header.js';
import { decodeRle } from './rle.js';

export type Samples = Uint8Array | Uint16Array;

/**
 * The slice's samples (rows × cols) and the bit shift of its stored values within them. Read into
 * `into` (one per series, reused): native samples are a view of it, valid until its next read.
 */
export async function decodeSlice(h: SliceHeader, into = new ReadBuffer()): Promise<{ samples: Samples; shift: number }> {
  return samplesOf(await parseDataSet(h.file, await into.read(h.file), false), h);
}

/**
 * One read of a file (into `into`): its header, parsed up to the Pixel Data as readHeader parses it
 * (so a truncated file gets the same error), and for an image that is not a localizer its samples,
 * from a whole parse of the same bytes as decodeSlice's. What a header pass and decodeSlice did in
 * two reads.
 */
export async function readSlice(file: string, into: ReadBuffer): Promise<{ h: SliceHeader | null; decoded?: { samples: Samples; shift: number } }> {
  const bytes = await into.read(file);
  const head = await parseDataSet(file, bytes, true);
  const h = headerOf(file, head, head.byteArray.length);
  if (!h || isLocalizer(h)) return { h };
  return { h, decoded: await samplesOf(await parseDataSet(file, bytes, false), h) };
}

async function samplesOf(ds: DataSet, h: SliceHeader): Promise<{ samples: Samples; shift: number }> {
  const syntax = TRANSFER_SYNTAXES[h.transferSyntax];
  const el = ds.elements[PIXEL_DATA];
  const pixels = h.rows * h.cols;
  const width = h.pixel.bitsAllocated === 8 ? 1 : 2;
  const fail = (reason: string) => new DicomFileError(h.file, reason);
  if (!el) throw fail('no Pixel Data (7FE0,0010)');
  if (syntax.codec === 'native') {
    if (el.encapsulatedPixelData || el.hadUndefinedLength) throw fail(`Pixel Data is encapsulated but the transfer syntax is ${syntax.name}`);
    const need = pixels * width;
    const have = Math.min(el.length, ds.byteArray.length - el.dataOffset);
    if (have < need) throw fail(truncated(have, need, h));
    return { samples: nativeSamples(ds, el.dataOffset, pixels, width, syntax.bigEndian === true), shift: h.pixel.highBit + 1 - h.pixel.bitsStored };
  }
  if (!el.encapsulatedPixelData || !el.fragments?.length) throw fail(`Pixel Data is not encapsulated but the transfer syntax is ${syntax.name}`);
  let samples: Samples;
  try {
    const frame = (await dicomParser()).readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments.length) as Uint8Array;
    if (syntax.codec === 'rle') {
      samples = decodeRle(frame, pixels, width);
    } else {
      checkDeclared(frame, h);
      if (syntax.codec === 'jpeg-lossless') samples = await jpegLossless(frame, width);
      else samples = await wasmDecode(syntax.codec === 'jpeg-ls' ? charls : openjpeg, frame, h);
    }
  } catch (e) {
    // the WebAssembly codecs throw bare numbers (C++ exceptions) on bad codestreams
    const why = e instanceof Error ? e.message : typeof e === 'number' ? 'the codec rejected the codestream' : String(e);
    throw fail(`${syntax.name} pixel data does not decode (${why})`);
  }
  if (samples.length !== pixels) throw fail(`${syntax.name} pixel data decodes to ${samples.length} samples, ${h.rows}×${h.cols} expected`);
  return { samples, shift: 0 };
}

/** Tiles smaller than this (each way, in an image larger than that) are refused: thousands of them take seconds. */
const MIN_TILE = 16;

/** Refuse a codestream whose own header disagrees with the DICOM header, before a codec sees it. */
function checkDeclared(frame: Uint8Array, h: SliceHeader): void {
  const f = declaredFrame(frame);
  if (!f) return;
  if (f.width !== h.cols || f.height !== h.rows || f.components !== 1) {
    throw new Error(`the codestream declares ${f.width}×${f.height} with ${f.components} component(s); the header says ${h.cols}×${h.rows} greyscale`);
  }
  if (f.tile.width < Math.min(MIN_TILE, f.width) || f.tile.height < Math.min(MIN_TILE, f.height)) {
    throw new Error(`the codestream declares tiles of ${f.tile.width}×${f.tile.height} pixels (damaged: at least ${MIN_TILE}×${MIN_TILE} expected)`);
  }
}

/** The samples where they lie in the file's bytes (copied only when not 16-bit aligned). */
function nativeSamples(ds: DataSet, offset: number, pixels: number, width: 1 | 2, bigEndian: boolean): Samples {
  const bytes = ds.byteArray.subarray(offset, offset + pixels * width);
  if (width === 1) return bytes;
  const out = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, pixels) : new Uint16Array(Uint8Array.from(bytes).buffer);
  if (bigEndian) Buffer.from(out.buffer, out.byteOffset, out.byteLength).swap16(); // in place: the file's bytes are read once
  return out; // little endian data in a host-order array: Node runs on little-endian hosts here
}

async function jpegLossless(frame: Uint8Array, width: 1 | 2): Promise<Samples> {
  const { Decoder } = await import('jpeg-lossless-decoder-js');
  return new Decoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.length, width);
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

/** A codec module, instantiated on first use; `discard` drops it so that the next frame gets a fresh instance. */
interface WasmCodec {
  get(): Promise<new () => WasmDecoder>;
  discard(): void;
}

function lazy(load: () => Promise<new () => WasmDecoder>): WasmCodec {
  let p: Promise<new () => WasmDecoder> | undefined;
  return { get: () => (p ??= load()), discard: () => { p = undefined; } };
}

const charls = lazy(async () => (await (await import('@cornerstonejs/codec-charls/decodewasmjs')).default()).JpegLSDecoder);
// OpenJPEG prints [INFO] lines to stdout for every image: silenced (its errors are thrown).
const openjpeg = lazy(async () => (await (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default({ print: () => {} })).J2KDecoder);

/** JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG): WebAssembly decoders with the same interface. */
async function wasmDecode(codec: WasmCodec, frame: Uint8Array, h: SliceHeader): Promise<Samples> {
  const Decoder = await codec.get();
  let d: WasmDecoder | undefined;
  try {
    d = new Decoder();
    d.getEncodedBuffer(frame.length).set(frame);
    d.decode();
    const info = d.getFrameInfo();
    if (info.width === 0 || info.height === 0) throw new Error('the codec could not read the codestream');
    if (info.width !== h.cols || info.height !== h.rows || info.componentCount !== 1) {
      throw new Error(`the codestream is ${info.width}×${info.height} with ${info.componentCount} component(s); the header says ${h.cols}×${h.rows} greyscale`);
    }
    const bytes = d.getDecodedBuffer().slice(); // copy out of WebAssembly memory before delete()
    d.delete();
    return info.bitsPerSample <= 8 ? bytes : new Uint16Array(bytes.buffer); // little endian, as WebAssembly is
  } catch (e) {
    // The codec's own failures, C++ exceptions (bare numbers) and traps, unwind out of WebAssembly
    // without restoring its stack pointer or freeing the exception: a few hundred of them and the
    // instance traps on every frame, valid ones included. An instance that threw is not reused.
    if (e instanceof WebAssembly.RuntimeError || !(e instanceof Error)) codec.discard();
    else d?.delete();
    throw e;
  }
}
