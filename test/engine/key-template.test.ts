// Scan keys made from one hash state per node (engine/key-template.ts) are the keys hashCanonical
// makes: pinned against keys computed by the code before it (main at 9b4176d, hashCanonical per
// scan), and equal to hashCanonical over awkward values (quotes, newlines, U+2028, NUL, unicode)
// and materials, including one where a varying field cannot be cut out (hashed as it is).
import { expect } from 'chai';
import { hashCanonical } from '../../engine/canonical.js';
import { keyTemplate } from '../../engine/key-template.js';
import { sourcePartKey, sourcePartKeys, streamPartKey, streamPartKeys } from '../../engine/partitions.js';

const source = {
  engine: 2, kind: 'image-folder', version: 3, impl: 'pinned-impl', inputs: {}, seed: 7, scans: 'digest',
  params: { path: '/data/ö "x"', splits: ['train'], size: 3, nested: { b: [1, { z: null, a: 'é\u0000' }], a: true } },
};
const stream = { engine: 2, kind: 'cropper', version: 1, impl: 'pinned-crop', params: { margin: 2 }, inputs: { slices: 'whole.slices', masks: 'm.masks' }, scans: 'd' };

describe('scan keys from one hash state', () => {
  it('are the keys of the code before it (pinned)', () => {
    const files: [string, string][] = [['1.jpg', 'a'.repeat(64)], ['10.jpg', 'b'.repeat(64)]];
    expect(sourcePartKey(source, ['splits'], 'train/covid/ct_scan_1', files)).to.equal('61fb32944ef38aba69156c8994da93c6b88a8bbe4a8154e21d2b42484705427d');
    expect(sourcePartKey(source, [], 'weird "scan"\n\u2028', [])).to.equal('de9ec201ebda75665c31eb7ada56b1d20715e4b8b687c0b5e039f3920273342b');
    const byPort = { slices: 'k1.slices', masks: 'k2.masks' };
    expect(streamPartKey(stream, 'train/covid/ct_scan_1', byPort)).to.equal('6ce18817e0614b3a21bb2eaf0eaa9e6f478dc3652868f3fbca186a90c6330780');
    expect(streamPartKey(stream, 'train/covid/ct_scan_1', { masks: 'k2.masks', slices: 'k1.slices' }), 'port order does not matter').to.equal('6ce18817e0614b3a21bb2eaf0eaa9e6f478dc3652868f3fbca186a90c6330780');
    // one template, many scans: each key as if made alone
    const many = sourcePartKeys(source, ['splits']);
    const manyStream = streamPartKeys(stream, ['masks', 'slices']);
    for (const scan of ['a', 'b/c', 'train/covid/ct_scan_1']) {
      expect(many(scan, files)).to.equal(sourcePartKey(source, ['splits'], scan, files));
      expect(manyStream(scan, byPort)).to.equal(streamPartKey(stream, scan, byPort));
    }
    expect(many('a', files)).to.not.equal(many('b', files));
  });

  it('equal hashCanonical for awkward values, at any place in the material', () => {
    const values = ['', 'plain', 'quote " and \\ backslash', 'new\nline\ttab', 'sep\u2028\u2029', 'nul\u0000', 'ünïcødé ✓ 🫁', '\u0000slot 0 x\u0000', '{"a":1}'];
    const makers: ((v: readonly string[]) => unknown)[] = [
      ([a, b]) => ({ z: a, a: b, m: { n: [1, 'x'] } }),
      ([a, b]) => ({ list: [b, { deep: a }], key: 'k' }),
      ([a, b]) => ({ inputs: { zeta: a, alpha: b }, scan: `${a}+${b}` }), // within a string: hashed as it is
      ([a, b]) => ({ only: [a, a], b }), // a slot twice: hashed as it is
      ([a, b]) => ({ [a]: 1, b }), // as a key: hashed as it is
      () => ({ none: true }),
    ];
    for (const make of makers) {
      const key = keyTemplate(2, make);
      for (const a of values) for (const b of values) expect(key([a, b]), JSON.stringify(make([a, b]))).to.equal(hashCanonical(make([a, b])));
    }
  });
});
