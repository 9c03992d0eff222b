// The preprocess fixture (bench/preprocess/make-fixture.py): slices and what scipy says about them.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface FixtureSlice {
  name: string;
  source: string;
  height: number;
  width: number;
  offset: number;
  box: [number, number, number, number];
  areas: { k3: number; k5: number };
  masks?: { k3: string[]; k5: string[] };
  pixels: Int16Array;
}

export interface Fixture {
  slices: FixtureSlice[];
  volume: {
    areas_k3: number[];
    areas_k5: number[];
    window_k3: { start: number; end: number; sum: number };
    window_k5: { start: number; end: number; sum: number };
  };
}

const DIR = 'test/fixtures/preprocess';

export function loadFixture(): Fixture {
  const doc = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as Fixture;
  const raw = gunzipSync(readFileSync(`${DIR}/slices.i16.gz`));
  const all = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  for (const s of doc.slices) s.pixels = all.slice(s.offset, s.offset + s.height * s.width);
  return doc;
}
