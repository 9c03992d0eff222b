// Scan keys made from one hash state per node (engine/key-template.ts) are the keys hashCanonical
// makes: pinned against keys computed by the code before it (main at 9b4176d, hashCanonical per
// scan), and equal to hashCanonical over awkward values (quotes, newlines, U+2028, NUL, unicode)
// and materials, including one where a varying field cannot be cut out (hashed as it is).
import { expect } from 'chai';
import { hashCanonical } from '../../engine/canonical.js';
import { keyTemplate } from '../../engine/key-template.js';
import { FileSet } from '../../engine/file-set.js';
import { sourcePartKeys, streamPartKeys } from '../../engine/partitions.js';

/** One scan's key from a template of its own (as a worker made them before it kept one a node). */
function sourcePartKey(m: Parameters<typeof sourcePartKeys>[0], setParams: string[], scan: string, files: [string, string][]): string {
  return sourcePartKeys(m, setParams)(scan, files);
}
function streamPartKey(m: Parameters<typeof streamPartKeys>[0], scan: string, inputs: Record<string, string>): string {
  return streamPartKeys(m, Object.keys(inputs))(scan, inputs);
}

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
    // the compact form planning keeps gives the same keys as the pairs
    const b = FileSet.builder('/data/scan', files.length);
    for (const [rel, hash] of files) b.add(rel, hash);
    const set = b.done();
    expect(set.entries()).to.deep.equal(files);
    expect(many('train/covid/ct_scan_1', set)).to.equal('61fb32944ef38aba69156c8994da93c6b88a8bbe4a8154e21d2b42484705427d');
    const odd = FileSet.builder('/d', 2);
    odd.add('5.jpg', '!fifo');
    odd.add('6.jpg', 'c'.repeat(64));
    expect(many('x', odd.done())).to.equal(sourcePartKey(source, ['splits'], 'x', [['5.jpg', '!fifo'], ['6.jpg', 'c'.repeat(64)]]));
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
