// A table of invalid graphs and the problems each must report (rule, line, message, hint).
import { expect } from 'chai';
import { loadGraphText } from '../../engine/load.js';
import { formatIssue } from '../../engine/errors.js';
import { validateGraph } from '../../engine/validate.js';
import { testRegistry } from '../helpers/engine.js';

interface Case { name: string; yaml: string; expect: { code: string; line: number; text: RegExp; node?: string }[] }

const ok = `name: g
nodes:
  scans: { kind: toy-scans }
  mean: { kind: scan-mean, in: { slices: scans } }
`;

const cases: Case[] = [
  { name: 'yaml syntax error', yaml: 'name: g\nnodes:\n  a: { kind: toy-scans }}\n', expect: [{ code: 'yaml-syntax', line: 3, text: /Unexpected flow-map-end/ }] },
  { name: 'unknown kind with suggestion', yaml: 'name: g\nnodes:\n  scans: { kind: toy-scan }\n', expect: [{ code: 'unknown-kind', line: 3, node: 'scans', text: /unknown node kind "toy-scan".*did you mean "toy-scans"/s }] },
  { name: 'duplicate node id', yaml: 'name: g\nnodes:\n  a: { kind: toy-scans }\n  a: { kind: toy-scans }\n', expect: [{ code: 'duplicate-key', line: 4, text: /unique/ }] },
  { name: 'param out of range', yaml: 'name: g\nnodes:\n  scans:\n    kind: toy-scans\n    params: { size: 9999 }\n', expect: [{ code: 'param', line: 5, node: 'scans', text: /params\.size must be <= 512/ }] },
  { name: 'param wrong type', yaml: 'name: g\nnodes:\n  scans:\n    kind: toy-scans\n    params:\n      scans: many\n', expect: [{ code: 'param', line: 6, text: /params\.scans must be integer/ }] },
  { name: 'unknown param with suggestion', yaml: 'name: g\nnodes:\n  scans: { kind: toy-scans, params: { slicez: 3 } }\n', expect: [{ code: 'param', line: 3, text: /unknown key "slicez".*did you mean "slices"/s }] },
  { name: 'missing input', yaml: 'name: g\nnodes:\n  mean: { kind: scan-mean }\n', expect: [{ code: 'missing-input', line: 3, node: 'mean', text: /input "slices" is not connected/ }] },
  { name: 'input refers to unknown node', yaml: 'name: g\nnodes:\n  scans: { kind: toy-scans }\n  mean: { kind: scan-mean, in: { slices: scan } }\n', expect: [{ code: 'bad-input', line: 4, text: /unknown node "scan".*did you mean "scans"/s }] },
  { name: 'unknown input port', yaml: 'name: g\nnodes:\n  scans: { kind: toy-scans }\n  mean: { kind: scan-mean, in: { slices: scans, masks: scans } }\n', expect: [{ code: 'unknown-input', line: 4, text: /has no input "masks"/ }] },
  { name: 'port type mismatch', yaml: 'name: g\nnodes:\n  scans: { kind: toy-scans }\n  mean: { kind: scan-mean, in: { slices: scans } }\n  again: { kind: scan-mean, in: { slices: mean } }\n', expect: [{ code: 'port-type', line: 5, node: 'again', text: /needs slices but "mean.stats" gives scan-stats/ }] },
  { name: 'cycle is named', yaml: 'name: g\nnodes:\n  a: { kind: scale, in: { slices: c } }\n  b: { kind: scale, in: { slices: a } }\n  c: { kind: scale, in: { slices: b } }\n', expect: [{ code: 'cycle', line: 3, text: /cycle: (a|b|c) → (a|b|c) → (a|b|c) → \1/ }] },
  { name: 'unknown top-level key', yaml: ok + 'seeed: 3\n', expect: [{ code: 'schema', line: 5, text: /unknown key "seeed"/ }] },
  { name: 'missing name', yaml: 'nodes:\n  scans: { kind: toy-scans }\n', expect: [{ code: 'schema', line: 1, text: /missing required key "name"/ }] },
  { name: 'bad node id', yaml: 'name: g\nnodes:\n  Scans!: { kind: toy-scans }\n', expect: [{ code: 'bad-id', line: 3, text: /node id "Scans!" is not allowed/ }] },
  { name: 'custom tag refused', yaml: 'name: g\nnodes:\n  scans: { kind: !js/function "x", params: {} }\n', expect: [{ code: 'custom-tag', line: 3, text: /custom YAML tags are not allowed/ }] },
  { name: 'alias bomb', yaml: 'name: g\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nnodes: {}\n', expect: [{ code: 'alias-limit', line: 1, text: /alias/i }] },
  { name: 'cache false on a barrier', yaml: ok + '  total: { kind: stats-total, in: { stats: mean }, cache: false }\n', expect: [{ code: 'cache-barrier', line: 5, text: /always stored/ }] },
  { name: 'several problems reported together', yaml: 'name: g\nnodes:\n  a: { kind: nope }\n  b: { kind: toy-scans, params: { size: -1 } }\n  c: { kind: scan-mean, in: { slices: zz } }\n', expect: [{ code: 'unknown-kind', line: 3, text: /nope/ }, { code: 'param', line: 4, text: /size/ }, { code: 'bad-input', line: 5, text: /zz/ }] },
  { name: 'unknown output port', yaml: 'name: g\nnodes:\n  scans: { kind: toy-scans }\n  mean: { kind: scan-mean, in: { slices: scans.pixels } }\n', expect: [{ code: 'bad-input', line: 4, text: /has no output "pixels"/ }] },
];

describe('invalid graphs', () => {
  it('a valid graph passes', () => {
    const { graph, issues } = validateGraph(loadGraphText(ok, 'ok.yaml'), testRegistry);
    expect(issues).to.deep.equal([]);
    expect(graph!.order).to.deep.equal(['scans', 'mean']);
  });
  for (const c of cases) {
    it(c.name, () => {
      const { graph, issues } = validateGraph(loadGraphText(c.yaml, 'bad.yaml'), testRegistry);
      expect(graph).to.equal(undefined);
      for (const want of c.expect) {
        const hit = issues.find((i) => i.code === want.code && want.text.test(i.message + ' ' + (i.hint ?? '')));
        expect(hit, `expected [${want.code}] ${want.text} among:\n${issues.map(formatIssue).join('\n')}`).to.not.equal(undefined);
        expect(hit!.file).to.equal('bad.yaml');
        expect(hit!.line, formatIssue(hit!)).to.equal(want.line);
        expect(hit!.col).to.be.greaterThan(0);
        if (want.node) expect(hit!.node).to.equal(want.node);
      }
      expect(issues.every((i) => i.hint !== undefined || i.code === 'yaml-syntax'), issues.map(formatIssue).join('\n')).to.equal(true);
    });
  }
});
