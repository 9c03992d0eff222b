// A seeded mutator for the bad-scan fuzz tests: damaged copies of real DICOM and JPEG files.
// Structured damage is aimed with a map of the original (DICOM element length fields, transfer
// syntax, header values, encapsulated fragments; JPEG segments, frame header, entropy-coded data);
// generic damage (truncation, bit flips, garbage, duplicated chunks) goes anywhere.
import type { DataSet, Element } from 'dicom-parser';
import type { Rng } from '../../../engine/rng.js';

export interface Mutant {
  /** What was done, e.g. "length x00280010=65535 + truncate@812" (for failure messages). */
  what: string;
  bytes: Uint8Array;
}

const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo)); // [lo, hi)
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, 0, xs.length)];

/** An edit on a copy of the bytes; returns what it did. */
type Edit = (b: Uint8Array) => string;

// ---------------------------------------------------------------- generic damage (any format)

/** Offsets biased to the first `head` bytes half the time (where headers live). */
function offset(rng: Rng, size: number, head: number): number {
  return rng() < 0.5 ? int(rng, 0, Math.max(1, Math.min(size, head))) : int(rng, 0, Math.max(1, size));
}

function flipBits(rng: Rng, head: number): Edit {
  return (b) => {
    const n = int(rng, 1, 9);
    for (let k = 0; k < n; k++) b[offset(rng, b.length, head)] ^= 1 << int(rng, 0, 8);
    return `flip${n}`;
  };
}

function overwrite(rng: Rng, b: Uint8Array, at: number, n: number): void {
  const values = pick(rng, ['random', 'zero', 'ff'] as const);
  for (let k = at; k < Math.min(b.length, at + n); k++) b[k] = values === 'zero' ? 0 : values === 'ff' ? 0xff : int(rng, 0, 256);
}

function overwriteRun(rng: Rng, head: number): Edit {
  return (b) => {
    const at = offset(rng, b.length, head);
    const n = int(rng, 1, 33);
    overwrite(rng, b, at, n);
    return `overwrite${n}@${at}`;
  };
}

/** Size-changing damage: truncate, insert garbage, duplicate a chunk, cut a chunk out. */
function resize(rng: Rng, b: Uint8Array, head: number): { bytes: Uint8Array; what: string } {
  const kind = pick(rng, ['truncate', 'truncate', 'insert', 'duplicate', 'cut'] as const);
  const at = offset(rng, b.length, head);
  if (kind === 'truncate') return { bytes: b.slice(0, at), what: `truncate@${at}` };
  if (kind === 'insert') {
    const junk = Uint8Array.from({ length: int(rng, 1, 65) }, () => int(rng, 0, 256));
    return { bytes: concat(b.subarray(0, at), junk, b.subarray(at)), what: `insert${junk.length}@${at}` };
  }
  const from = int(rng, 0, b.length);
  const n = Math.min(int(rng, 1, 257), b.length - from);
  if (kind === 'cut') return { bytes: concat(b.subarray(0, from), b.subarray(from + n)), what: `cut${n}@${from}` };
  return { bytes: concat(b.subarray(0, at), b.subarray(from, from + n), b.subarray(at)), what: `dup${n}@${from}→${at}` };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function writeUint(b: Uint8Array, at: number, width: 2 | 4, value: number, littleEndian: boolean): void {
  if (at < 0 || at + width > b.length) return;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width === 2) v.setUint16(at, value & 0xffff, littleEndian);
  else v.setUint32(at, value >>> 0, littleEndian);
}

/**
 * One mutant: 1–2 structured edits (or generic ones when the map offers none), then, 40 % of
 * the time, one size-changing edit. Structured edits come first, while the map's offsets still hold.
 */
function mutant(src: Uint8Array, rng: Rng, structured: Edit[], head: number): Mutant {
  const b = new Uint8Array(src); // a copy (Buffer's slice() would be a view of src)
  const edits = int(rng, 1, 3);
  const what: string[] = [];
  for (let k = 0; k < edits; k++) {
    const generic = [flipBits(rng, head), overwriteRun(rng, head)];
    what.push(pick(rng, rng() < 0.75 && structured.length ? structured : generic)(b));
  }
  if (rng() < 0.4) {
    const r = resize(rng, b, head);
    return { bytes: r.bytes, what: [...what, r.what].join(' + ') };
  }
  return { bytes: b, what: what.join(' + ') };
}

// ---------------------------------------------------------------- DICOM

/** Where an element's length field lies in the file, and how wide and in which byte order. */
interface LengthField {
  tag: string;
  at: number;
  width: 2 | 4;
  littleEndian: boolean;
  length: number;
}

export interface DicomMap {
  lengths: LengthField[];
  /** Transfer Syntax UID value: offset and length (padding included). */
  syntax: { at: number; length: number } | null;
  /** Header values worth corrupting (US elements such as Rows, BitsAllocated), by offset. */
  values: { tag: string; at: number; littleEndian: boolean }[];
  /** Encapsulated fragments: item length field offset, data offset and length. */
  fragments: { at: number; data: number; length: number }[];
  /** End of the header (Pixel Data's offset): where structured offsets cluster. */
  head: number;
}

const FOUR_BYTE_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const VALUE_TAGS = ['x00280010', 'x00280011', 'x00280100', 'x00280101', 'x00280102', 'x00280103', 'x00280002'];
const IMPLICIT = '1.2.840.10008.1.2';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';

/**
 * The map of a parsed original (dicom-parser's element offsets). Elements of a deflated data set
 * have offsets in the inflated bytes, so only its meta group is mapped. Each length field is
 * checked against the length dicom-parser read, so a wrong guess of its place is left out.
 */
export function mapDicom(ds: DataSet): DicomMap {
  const syntaxUid = ds.string('x00020010') ?? '';
  const file = ds.byteArray;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const lengths: LengthField[] = [];
  const values: DicomMap['values'] = [];
  const lengthField = (el: Element, width: 2 | 4, littleEndian: boolean) => {
    const at = el.dataOffset - width;
    if (at < 0 || at + width > file.length) return;
    const stored = width === 2 ? view.getUint16(at, littleEndian) : view.getUint32(at, littleEndian);
    if (stored === (el.hadUndefinedLength ? 0xffffffff : el.length)) lengths.push({ tag: el.tag, at, width, littleEndian, length: el.length });
  };
  const visit = (set: DataSet) => {
    for (const el of Object.values(set.elements) as Element[]) {
      const meta = el.tag.startsWith('x0002');
      if (syntaxUid === DEFLATED && !meta) continue;
      const littleEndian = meta || syntaxUid !== BIG_ENDIAN;
      const explicit = meta || syntaxUid !== IMPLICIT;
      const width: 2 | 4 = !explicit || el.hadUndefinedLength || FOUR_BYTE_VRS.has(el.vr ?? '') ? 4 : 2;
      lengthField(el, width, littleEndian);
      if (VALUE_TAGS.includes(el.tag) && el.length === 2) values.push({ tag: el.tag, at: el.dataOffset, littleEndian });
      for (const item of el.items ?? []) {
        lengthField(item, 4, littleEndian);
        if (item.dataSet) visit(item.dataSet);
      }
    }
  };
  visit(ds);
  const ts = ds.elements.x00020010;
  const pixel = ds.elements.x7fe00010;
  const fragments = syntaxUid === DEFLATED ? [] : (pixel?.fragments ?? []).map((f) => ({ at: f.position - 4, data: f.position, length: f.length }));
  return {
    lengths,
    syntax: ts ? { at: ts.dataOffset, length: ts.length } : null,
    values,
    fragments,
    head: pixel && syntaxUid !== DEFLATED ? pixel.dataOffset : Math.min(file.length, 2048),
  };
}

/** Transfer syntaxes to put in place of the real one: unsupported, bogus, and supported-but-wrong. */
const SYNTAX_SWAPS = [
  '1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.100', '1.2.3', '9.9.9.9.9.9.9.9.9.9', '',
];

function dicomEdits(rng: Rng, map: DicomMap): Edit[] {
  const edits: Edit[] = [];
  if (map.lengths.length) {
    edits.push((b) => {
      const f = pick(rng, map.lengths);
      const max = f.width === 2 ? 0xffff : 0xffffffff;
      const v = pick(rng, [0, 1, f.length + 1, Math.max(0, f.length - 1), f.length * 2 + 2, max, max - 1, b.length, int(rng, 0, 0x10000), int(rng, 0, max)]);
      writeUint(b, f.at, f.width, v, f.littleEndian);
      return `length ${f.tag}=${v}`;
    });
  }
  if (map.syntax) {
    const { at, length } = map.syntax;
    edits.push((b) => {
      const uid = rng() < 0.85 ? pick(rng, SYNTAX_SWAPS) : Array.from({ length }, () => pick(rng, [...'0123456789.'])).join('');
      for (let k = 0; k < length; k++) b[at + k] = k < uid.length ? uid.charCodeAt(k) : 0;
      return `syntax ${JSON.stringify(uid.slice(0, length))}`;
    });
  }
  if (map.values.length) {
    edits.push((b) => {
      const f = pick(rng, map.values);
      const v = pick(rng, [0, 1, 2, 7, 8, 12, 16, 17, 32, 255, 0x8000, 0xffff, int(rng, 0, 0x10000)]);
      writeUint(b, f.at, 2, v, f.littleEndian);
      return `value ${f.tag}=${v}`;
    });
  }
  if (map.fragments.length) {
    edits.push((b) => {
      const f = pick(rng, map.fragments);
      const v = pick(rng, [0, 1, f.length + 2, Math.max(0, f.length - 2), 0xffffffff, int(rng, 0, f.length * 4 + 8)]);
      writeUint(b, f.at, 4, v, true);
      return `fragment length=${v}`;
    });
    const codestream: Edit = (b) => {
      const f = pick(rng, map.fragments);
      // garbage in the codestream: near its start (marker segments) or anywhere in it
      const at = f.data + (rng() < 0.5 ? int(rng, 0, Math.min(f.length, 64)) : int(rng, 0, Math.max(1, f.length)));
      if (rng() < 0.3) {
        b[at] ^= 1 << int(rng, 0, 8);
        return `codestream flip@${at}`;
      }
      const n = int(rng, 1, 17);
      overwrite(rng, b, at, n);
      return `codestream overwrite${n}@${at}`;
    };
    edits.push(codestream, codestream, codestream); // weighted: damage that reaches the codecs
  }
  return edits;
}

/** A seeded mutant of a DICOM file; `map` is mapDicom of its parse. */
export function mutateDicom(src: Uint8Array, map: DicomMap, rng: Rng): Mutant {
  return mutant(src, rng, dicomEdits(rng, map), map.head);
}

// ---------------------------------------------------------------- JPEG

interface Segment {
  marker: number;
  /** Offset of the 0xFF of the marker. */
  at: number;
  /** Value of the length field (0 for markers without one). */
  length: number;
}

export interface JpegMap {
  segments: Segment[];
  /** Entropy-coded data: [start, end) after each SOS header. */
  scans: [number, number][];
  /** Offset of the frame header (SOFn) segment, or -1. */
  sof: number;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Segments, scans and frame header of a well-formed JPEG. */
export function mapJpeg(b: Uint8Array): JpegMap {
  if (b[0] !== 0xff || b[1] !== 0xd8) throw new Error('mapJpeg: not a JPEG (no SOI)');
  const segments: Segment[] = [{ marker: 0xd8, at: 0, length: 0 }];
  const scans: [number, number][] = [];
  let sof = -1;
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) throw new Error(`mapJpeg: no marker at ${i}`);
    const marker = b[i + 1];
    if (marker === 0xd9) {
      segments.push({ marker, at: i, length: 0 });
      break;
    }
    const length = (b[i + 2] << 8) | b[i + 3];
    segments.push({ marker, at: i, length });
    if (SOF_MARKERS.has(marker)) sof = i;
    i += 2 + length;
    if (marker === 0xda) {
      const start = i;
      while (i + 1 < b.length && !(b[i] === 0xff && b[i + 1] !== 0 && (b[i + 1] < 0xd0 || b[i + 1] > 0xd7))) i++;
      scans.push([start, i]);
    }
  }
  return { segments, scans, sof };
}

const MARKER_SWAPS = [0x00, 0x01, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xcc, 0xd0, 0xd8, 0xd9, 0xda, 0xdb, 0xdd, 0xe0, 0xfe, 0xff];

function jpegEdits(rng: Rng, map: JpegMap): Edit[] {
  const withLength = map.segments.filter((s) => s.length > 0);
  const edits: Edit[] = [
    (b) => {
      const s = pick(rng, map.segments);
      const m = rng() < 0.8 ? pick(rng, MARKER_SWAPS) : int(rng, 0, 256);
      b[s.at + (rng() < 0.9 ? 1 : 0)] = m;
      return `marker 0x${s.marker.toString(16)}→0x${m.toString(16)}`;
    },
    (b) => {
      const s = pick(rng, withLength);
      const v = pick(rng, [0, 1, 2, s.length - 1, s.length + 1, s.length + int(rng, 2, 64), Math.max(0, s.length - int(rng, 2, 64)), 0xffff, int(rng, 0, 0x10000)]);
      writeUint(b, s.at + 2, 2, v, false);
      return `segment 0x${s.marker.toString(16)} length=${v}`;
    },
    (b) => {
      const s = pick(rng, withLength);
      const at = s.at + 4 + int(rng, 0, Math.max(1, s.length - 2));
      const n = int(rng, 1, 9);
      overwrite(rng, b, at, n);
      return `segment 0x${s.marker.toString(16)} overwrite${n}@${at}`;
    },
  ];
  if (map.sof >= 0) {
    edits.push((b) => {
      // P (precision) at +4, Y at +5, X at +7, Nf at +9, sampling factors at +11
      const field = pick(rng, ['precision', 'height', 'width', 'components', 'sampling'] as const);
      const small = pick(rng, [0, 1, 2, 3, 4, 8, 12, 16, 0x11, 0x22, 0xff, int(rng, 0, 256)]);
      if (field === 'height' || field === 'width') {
        const v = pick(rng, [0, 1, 2, 0x7fff, 0xffff, int(rng, 1, 0x10000)]);
        writeUint(b, map.sof + (field === 'height' ? 5 : 7), 2, v, false);
        return `sof ${field}=${v}`;
      }
      b[map.sof + { precision: 4, components: 9, sampling: 11 }[field]] = small;
      return `sof ${field}=${small}`;
    });
  }
  if (map.scans.length) {
    edits.push((b) => {
      const [start, end] = pick(rng, map.scans);
      const at = int(rng, start, Math.max(start + 1, end));
      const kind = pick(rng, ['garbage', 'flip', 'marker'] as const);
      if (kind === 'marker') {
        b[at] = 0xff;
        if (at + 1 < b.length) b[at + 1] = pick(rng, [0xd0, 0xd3, 0xd7, 0xd9, 0xda, 0xc4, 0xff, int(rng, 0, 256)]);
      } else if (kind === 'flip') {
        b[at] ^= 1 << int(rng, 0, 8);
      } else {
        overwrite(rng, b, at, int(rng, 1, 33));
      }
      return `entropy ${kind}@${at}`;
    });
  }
  return edits;
}

/** A seeded mutant of a JPEG file. */
export function mutateJpeg(src: Uint8Array, map: JpegMap, rng: Rng): Mutant {
  const head = map.scans.length ? map.scans[0][0] : src.length;
  return mutant(src, rng, jpegEdits(rng, map), head);
}
