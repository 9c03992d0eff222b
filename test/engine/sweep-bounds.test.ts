// Sweep bounds (issue 24, classes 3 and 4): a sweep is counted before it is expanded and refused over the
// limit with the count and a fix; repeated grid values and variant names, and seeds past 2^53 - 1
// (where replicates would share one seed), are refused with a reason.
import { expect } from 'chai';
import { join } from 'node:path';
import { isRunId, newRunId } from '../../engine/runs.js';
import { ctflow } from '../helpers/cli.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';

const BASE = `name: hostile
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [4, 6], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
`;

describe('sweep bounds', function () {
  this.timeout(60_000);

  it('counts a sweep before expanding it and refuses one over the limit, with the count and a fix', () => {
    const dir = tempDir();
    const s = session(join(dir, 'runs'));
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
    for (const [grid, replicates, count] of [
      [`"scans.params.scans": ${values(100)}, "scans.params.size": [64, 128], "scans.params.positive": ${values(1).replace('1', '0.5')}`, 10, 2000],
      [`"scans.params.scans": ${values(100)}, "scans.params.extent": ${values(4)}, "scans.params.positive": [0, 0.5, 1]`, 1, 1200],
      [`"scans.params.scans": ${values(100)}, "crop.params.x": ${values(100)}, "scans.params.extent": ${values(100)}`, 1, 1_000_000],
    ] as const) {
      const file = writeGraph(dir, 'sweep.yaml', `${BASE}replicates: ${replicates}\nsweep:\n  grid: { ${grid} }\n`);
      const t0 = Date.now();
      const { variants, issues } = s.loadSweep(file);
      expect(Date.now() - t0, 'refused before expanding').to.be.below(2000);
      expect(variants).to.deep.equal([]);
      expect(issues[0].code).to.equal('sweep-size');
      expect(issues[0].message).to.include(`expands to ${count} variant graphs`).and.include('at most 1000');
      expect(issues[0].hint).to.match(/narrow the grid/);
    }
  });

  it('names a repeated grid value, a repeated variant name and values that give one variant name', () => {
    const dir = tempDir();
    const s = session(join(dir, 'runs'));
    for (const [sweep, want] of [
      ['grid: { "scans.params.scans": [2, 3, 2] }', /grid value 2 of "scans.params.scans" appears twice/],
      ['grid: { "scans.params.splits": [{ train: 1, validation: 1, test: 1 }, { test: 1, validation: 1, train: 1 }] }', /appears twice/],
      ['variants: [{ name: a, set: { "scans.params.scans": 2 } }, { name: a, set: { "scans.params.scans": 3 } }]', /variant name "a" is used twice/],
      ['grid: { "scans.params.prefix": ["a b", "a_b"] }', /both make the variant name "prefix=a_b"/],
    ]) {
      const { variants, issues } = s.loadSweep(writeGraph(dir, 'sweep.yaml', `${BASE}sweep:\n  ${sweep}\n`));
      expect(variants, sweep as string).to.deep.equal([]);
      expect(issues.map((i) => i.message).join('\n')).to.match(want as RegExp);
    }
  });

  it('keeps the run ids of variants with long grid values within the name rule (and distinct)', () => {
    const dir = tempDir();
    const long = (c: string) => `"${c.repeat(240)}"`;
    const { variants, issues } = session(join(dir, 'runs')).loadSweep(writeGraph(dir, 'sweep.yaml', `${BASE}replicates: 2\nsweep:\n  grid: { "scans.params.prefix": [${long('a')}, ${long('b')}, ${long('a').replace('a"', 'b"')}] }\n`));
    expect(issues).to.deep.equal([]);
    const ids = variants.map((v) => newRunId(v.name, new Date()));
    expect(ids.every(isRunId), ids.join('\n')).to.equal(true);
    expect(new Set(variants.map((v) => v.name)).size).to.equal(6);
  });

  it('refuses seeds past 2^53 - 1 (replicates would collapse into one seed)', () => {
    for (const [seed, replicates] of [['9007199254740993', 1], ['18446744073709551616', 1], ['9007199254740990', 3]]) {
      const dir = tempDir();
      writeGraph(dir, 'g.yaml', `${BASE}seed: ${seed}\nreplicates: ${replicates}\n`);
      const r = ctflow(['sweep', 'g.yaml', '--dry-run', '--runs', 'runs'], dir);
      expect(r.code, seed as string).to.equal(2);
      expect(r.err).to.match(/seed/);
      expect(r.err).to.match(/9007199254740991|2\^53/);
    }
    const ok = session(join(tempDir(), 'runs')).loadSweep(writeGraph(tempDir(), 'g.yaml', `${BASE}seed: 9007199254740989\nreplicates: 3\n`));
    expect(ok.variants.map((v) => v.seed)).to.deep.equal([9007199254740989, 9007199254740990, 9007199254740991]);
  });
});
