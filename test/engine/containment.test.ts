// Containment: nothing in a graph or on the command line makes ctflow write outside its runs
// directory or use a name from the graph as a path: a whole run (report included) adds files only
// under the runs directory; ids that could climb out are refused before any path is built.
import { expect } from 'chai';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ctflow } from '../helpers/cli.js';
import { tempDir } from '../helpers/engine.js';

/** Every file and folder under `dir`, relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      out.push(relative(dir, p));
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

const GRAPH = (name: string, id = 'window') => `name: ${name}
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [4, 6], size: 64, prefix: "x." } }
  crop: { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }
  mask: { kind: threshold, in: { slices: median }, cache: false }
  lung: { kind: binary-dilation, in: { masks: mask } }
  ${id}: { kind: area-window, in: { areas: lung.areas } }
`;

describe('containment', function () {
  this.timeout(120_000);

  it('a run, its record, its report and a rerun write only under the runs directory', () => {
    const root = tempDir();
    const work = join(root, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'g.yaml'), GRAPH('contained'));
    const before = tree(root);
    const r = ctflow(['run', 'g.yaml', '--runs', join(root, 'work', 'runs'), '--quiet'], work);
    expect(r.code, r.err).to.equal(0);
    expect(ctflow(['run', 'g.yaml', '--runs', join(root, 'work', 'runs'), '--quiet'], work).code).to.equal(0);
    const added = tree(root).filter((p) => !before.includes(p));
    expect(added.length).to.be.above(5);
    expect(added.filter((p) => !p.startsWith(join('work', 'runs'))), 'files written outside runs/').to.deep.equal([]);
  });

  it('refuses graph names and node ids that could become paths, before anything is written', () => {
    const root = tempDir();
    for (const [file, yaml] of [['name.yaml', GRAPH('../../escape')], ['slash.yaml', GRAPH('a/b')], ['id.yaml', GRAPH('ok', '"../evil"')]] as const) {
      writeFileSync(join(root, file), yaml);
      const r = ctflow(['run', file, '--runs', 'runs'], root);
      expect(r.code, `${file}: ${r.err}`).to.equal(2);
      expect(r.err).to.match(new RegExp(`${file}:\\d+:\\d+`));
    }
    expect(tree(root).filter((p) => !p.endsWith('.yaml'))).to.deep.equal([]);
  });

  it('treats run and sweep ids on the command line as names, never as paths', () => {
    const root = tempDir();
    const runs = join(root, 'a', 'runs');
    mkdirSync(runs, { recursive: true });
    // A record planted where "../../x" leads from runs/records (a/x): it must not be found, and no
    // report may be written beside it.
    mkdirSync(join(root, 'a', 'x'), { recursive: true });
    writeFileSync(join(root, 'a', 'x', 'record.json'), JSON.stringify({ id: '../../x', graph: 'g', file: 'g.yaml', status: 'ok', nodes: {}, metrics: [] }));
    const before = tree(root);
    for (const args of [['report', '../../x'], ['report', '..'], ['compare', '../../x', '../../x']]) {
      const r = ctflow([...args, '--runs', runs], root);
      expect(r.code, `${args.join(' ')}: ${r.err}`).to.equal(2);
    }
    expect(tree(root)).to.deep.equal(before);
  });
});
