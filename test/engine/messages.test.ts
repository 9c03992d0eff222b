// Misleading messages (issue 24, class 8): YAML that reads as something a graph cannot hold (merge
// keys, collection keys, .inf, .nan, 1e309) is one located problem; hidden characters in ids are
// escaped; no "did you mean" that shares nothing with the word; what `run` refuses, `validate`
// refuses too; no YAML library warning leaks.
import { expect } from 'chai';
import { ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';

const BASE = `name: hostile
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [4, 6], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
`;

/** `ctflow validate` of `yaml`: exit code and stderr. */
function validate(yaml: string, extra: string[] = []): { code: number | null; err: string } {
  const dir = tempDir();
  writeGraph(dir, 'g.yaml', yaml);
  const r = ctflow(['validate', 'g.yaml', ...extra], dir);
  return { code: r.code, err: r.err + r.out };
}

describe('graph messages', function () {
  this.timeout(60_000);

  it('refuses YAML merge keys with their own message (not "did you mean in?")', () => {
    const r = validate(`name: m\nbase: &b { kind: cropper }\nnodes:\n  scans: { kind: synthetic-ct }\n  crop:\n    <<: *b\n    in: { slices: scans }\n`);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/g\.yaml:6:5 \[merge-key\] YAML merge keys \(<<\) are not supported/);
    expect(r.err).to.not.include('did you mean');
  });

  it('gives no "did you mean" that shares nothing with the word', () => {
    const r = validate(`name: m\nnodes:\n  scans: { kind: synthetic-ct, zz: 1 }\n`);
    expect(r.code).to.equal(2);
    expect(r.err).to.include('unknown key "zz"').and.not.include('did you mean "in"');
  });

  it('refuses 1e309, .inf and .nan where they are written, with one reason', () => {
    for (const [value, shown] of [['1e309', '1e309'], ['-1e309', '-1e309'], ['.inf', '.inf'], ['.nan', '.nan'], ['.NaN', '.NaN']]) {
      const r = validate(`name: n\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: ${value} } }\n`);
      expect(r.code, value).to.equal(2);
      expect(r.err).to.include(`g.yaml:3:`).and.include(`[not-finite] ${shown} is not a finite number`);
      expect(r.err, 'one problem, not two contradicting limits').to.match(/^1 problem in the graph/);
    }
    const set = validate(BASE, ['--set', 'scans.params.positive=.nan']);
    expect(set.code).to.equal(2);
    expect(set.err).to.include('NaN is not a finite number');
  });

  it('escapes control and bidirectional characters in ids and keys', () => {
    const r = validate(`name: c\nnodes:\n  "scans\\u202e\\u0007": { kind: synthetic-ct }\n  crop: { kind: "crop\\x1b[31mper", in: { slices: scans } }\n`);
    expect(r.code).to.equal(2);
    expect(r.err).to.include('scans\\u202e\\x07').and.include('\\x1b[31m');
    expect(r.err).to.not.match(/[\u202e\u0007\u001b]/);
  });

  it('validate refuses what run refuses: slices [6, 4]', () => {
    const r = validate(`name: s\nnodes:\n  scans: { kind: synthetic-ct, params: { slices: [6, 4] } }\n`);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/g\.yaml:3:\d+ node "scans" \[param\] .*min > max/);
    expect(r.err).to.include('[4, 6]');
  });

  it('lets no YAML library warning through (collection keys are a located problem)', () => {
    const r = validate(`name: w\nnodes:\n  scans: { kind: synthetic-ct, params: { ? [a, b] : 1 } }\n`);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/g\.yaml:3:\d+ \[collection-key\]/);
    expect(r.err).to.not.match(/Warning|stringified|trace-warnings/);
  });
});
