// Ablations as files: extends chains, deep-merged overrides, removing and rewiring nodes, cycles
// refused, every problem located in the file that introduced the value.
import { expect } from 'chai';
import { join } from 'node:path';
import { formatIssue } from '../../engine/errors.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';

const BASE = `name: base
seed: 1
nodes:
  scans: { kind: toy-scans, params: { scans: 3, size: 8 } }
  crop: { kind: scale, in: { slices: scans }, params: { factor: 1 } }
  median: { kind: scale, in: { slices: crop }, params: { factor: 2 } }
  mean: { kind: scan-mean, in: { slices: median } }
`;

describe('extends', () => {
  const dir = tempDir();
  writeGraph(dir, 'base.yaml', BASE);
  const s = session(join(dir, 'runs'));

  it('deep-merges params over the base through a chain', () => {
    writeGraph(dir, 'mid.yaml', 'extends: base.yaml\nname: mid\nnodes:\n  scans: { params: { size: 16 } }\n');
    const leaf = writeGraph(dir, 'leaf.yaml', 'extends: mid.yaml\nname: leaf\nnodes:\n  median: { params: { factor: 5 } }\n');
    const { graph, issues } = s.load(leaf);
    expect(issues).to.deep.equal([]);
    expect(graph!.name).to.equal('leaf');
    expect(graph!.seed).to.equal(1);
    expect(graph!.nodes.get('scans')!.params).to.deep.equal({ scans: 3, size: 16, slices: 4 });
    expect(graph!.nodes.get('median')!.params.factor).to.equal(5);
    expect(graph!.nodes.get('median')!.inputs.slices).to.deep.equal({ node: 'crop', port: 'slices' });
  });

  it('removes a node with null and rewires around it (bypass the median)', () => {
    const f = writeGraph(dir, 'no-median.yaml', 'extends: base.yaml\nname: no-median\nnodes:\n  median: null\n  mean: { in: { slices: crop } }\n');
    const { graph, issues } = s.load(f);
    expect(issues.map(formatIssue)).to.deep.equal([]);
    expect([...graph!.nodes.keys()].sort()).to.deep.equal(['crop', 'mean', 'scans']);
    expect(graph!.nodes.get('mean')!.inputs.slices.node).to.equal('crop');
  });

  it('a dangling reference after a removal is located in the file that wrote it', () => {
    const f = writeGraph(dir, 'dangling.yaml', 'extends: base.yaml\nname: dangling\nnodes:\n  median: null\n');
    const { issues } = s.load(f);
    const hit = issues.find((i) => i.code === 'bad-input');
    expect(hit, issues.map(formatIssue).join('\n')).to.not.equal(undefined);
    expect(hit!.file).to.match(/base\.yaml$/);
    expect(hit!.line).to.equal(7);
  });

  it('locates a bad override in the child and a bad inherited value in the base', () => {
    const f = writeGraph(dir, 'bad.yaml', 'extends: base.yaml\nname: bad\nnodes:\n  scans: { params: { size: 9999 } }\n  crop: { params: { factr: 1 } }\n');
    const { issues } = s.load(f);
    const size = issues.find((i) => /size/.test(i.message))!;
    expect(size.file).to.match(/bad\.yaml$/);
    expect(size.line).to.equal(4);
    const factr = issues.find((i) => /factr/.test(i.message))!;
    expect(factr.file).to.match(/bad\.yaml$/);
    expect(factr.line).to.equal(5);
    writeGraph(dir, 'badbase.yaml', BASE.replace('size: 8', 'size: -8'));
    const child = writeGraph(dir, 'child.yaml', 'extends: badbase.yaml\nname: child\n');
    const inherited = s.load(child).issues.find((i) => /size/.test(i.message))!;
    expect(inherited.file).to.match(/badbase\.yaml$/);
    expect(inherited.line).to.equal(4);
  });

  it('refuses cycles and names them; a missing base is an error at the extends line', () => {
    writeGraph(dir, 'a.yaml', 'extends: b.yaml\nname: a\nnodes: {}\n');
    const b = writeGraph(dir, 'b.yaml', 'extends: a.yaml\nname: b\nnodes: {}\n');
    const cyc = s.load(b).issues;
    expect(cyc.map((i) => i.code)).to.include('extends-cycle');
    expect(cyc.find((i) => i.code === 'extends-cycle')!.message).to.match(/b\.yaml → .*a\.yaml → .*b\.yaml/);
    const missing = writeGraph(dir, 'missing.yaml', 'extends: nowhere.yaml\nname: m\nnodes: {}\n');
    const m = s.load(missing).issues;
    expect(m[0].code).to.equal('extends');
    expect(m[0].file).to.match(/missing\.yaml$/);
    expect(m[0].line).to.equal(1);
    expect(m[0].message).to.match(/nowhere\.yaml/);
  });

  it('--set values are read as YAML and coerced by the param schema', () => {
    const f = writeGraph(dir, 'set.yaml', 'name: set\nnodes:\n  scans: { kind: toy-scans }\n  img: { kind: image-folder, params: { path: x } }\n');
    const { graph, issues } = s.load(f, ['scans.params.size=16', 'img.params.path=0012', 'img.params.window=[-1000, 400]']);
    expect(issues).to.deep.equal([]);
    expect(graph!.nodes.get('scans')!.params.size).to.equal(16);
    expect(graph!.nodes.get('img')!.params.path).to.equal('0012');
    expect(graph!.nodes.get('img')!.params.window).to.deep.equal([-1000, 400]);
    const bad = s.load(f, ['scans.params.size=big', 'nope.params.x=1']).issues;
    expect(bad.map((i) => [i.code, i.file])).to.deep.equal([['bad-set', '--set nope.params.x=1'], ['param', '--set scans.params.size=big']]);
  });
});
