// A corpus of malformed graphs run through the CLI: each exits 2 with file:line:column and a
// hint, prints no stack trace, and writes nothing to the runs directory.
import { expect } from 'chai';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../engine/cli.js';
import { tempDir } from '../helpers/engine.js';

const OK = `name: g
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [4, 6], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices } }
  mask: { kind: threshold, in: { slices: median } }
  lung: { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas } }
`;
const edit = (from: string, to: string) => OK.replace(from, to);
const sweep = (block: string) => OK + block;

const CORPUS: [string, string, string?][] = [
  ['empty file', ''],
  ['a scalar document', 'hello\n'],
  ['a list document', '- a\n- b\n'],
  ['tab indentation', 'name: g\nnodes:\n\tscans: { kind: synthetic-ct }\n'],
  ['unclosed quote', 'name: "g\nnodes: {}\n'],
  ['unclosed flow map', 'name: g\nnodes: { scans: { kind: synthetic-ct }\n'],
  ['stray closing brace', edit('{ slices: scans } }', '{ slices: scans } } }')],
  ['duplicate top-level key', OK + 'name: again\n'],
  ['duplicate node id', OK + '  crop: { kind: cropper, in: { slices: scans } }\n'],
  ['unknown kind', edit('kind: cropper', 'kind: croper')],
  ['kind missing', edit('{ kind: cropper, in: { slices: scans } }', '{ in: { slices: scans } }')],
  ['kind is a number', edit('kind: cropper', 'kind: 3')],
  ['params not a mapping', edit('params: { scans: 2, slices: [4, 6], size: 64 }', 'params: 5')],
  ['param wrong type', edit('scans: 2,', 'scans: two,')],
  ['param out of range', edit('scans: 2,', 'scans: 0,')],
  ['param not in enum', edit('size: 64', 'size: 100')],
  ['param array too short', edit('slices: [4, 6]', 'slices: [4]')],
  ['unknown param', edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: crop.slices }, params: { sise: 3 } }')],
  ['median size even', edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: crop.slices }, params: { size: 4 } }')],
  ['threshold op unknown', edit('{ kind: threshold, in: { slices: median } }', '{ kind: threshold, in: { slices: median }, params: { op: gte } }')],
  ['window fraction above 1', edit('in: { areas: lung.areas } }', 'in: { areas: lung.areas }, params: { fraction: 1.5 } }')],
  ['required param missing', 'name: g\nnodes:\n  scans: { kind: image-folder }\n'],
  ['in is not a mapping', edit('in: { slices: scans }', 'in: scans')],
  ['input refers to unknown node', edit('in: { slices: scans }', 'in: { slices: scan }')],
  ['input reference with capitals', edit('in: { slices: scans }', 'in: { slices: Scans }')],
  ['input reference with two dots', edit('in: { slices: crop.slices }', 'in: { slices: crop.slices.x }')],
  ['unknown input port', edit('in: { slices: scans }', 'in: { slices: scans, extra: scans }')],
  ['missing input', edit('{ kind: cropper, in: { slices: scans } }', '{ kind: cropper }')],
  ['port type mismatch', edit('in: { masks: mask }', 'in: { masks: median }')],
  ['unknown output port', edit('in: { areas: lung.areas }', 'in: { areas: lung.area }')],
  ['ambiguous output', edit('in: { areas: lung.areas }', 'in: { areas: crop }')],
  ['two-node cycle', edit('in: { slices: scans }', 'in: { slices: median }').replace('in: { slices: crop.slices }', 'in: { slices: crop.slices }')],
  ['self loop', edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: median } }')],
  ['three-node cycle', edit('in: { slices: scans }', 'in: { slices: mask }')],
  ['cache is not boolean', edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: crop.slices }, cache: no-thanks }')],
  ['unknown backend', edit('{ kind: cropper, in: { slices: scans } }', '{ kind: cropper, in: { slices: scans }, backend: tpu }')],
  ['unknown node key', edit('{ kind: cropper, in: { slices: scans } }', '{ kind: cropper, in: { slices: scans }, inputs: {} }')],
  ['name missing', OK.replace('name: g\n', '')],
  ['name with a slash', OK.replace('name: g', 'name: a/b')],
  ['name starting with a dot', OK.replace('name: g', 'name: .hidden')],
  ['nodes empty', 'name: g\nnodes: {}\n'],
  ['nodes missing', 'name: g\n'],
  ['nodes is a list', 'name: g\nnodes:\n  - scans\n'],
  ['seed negative', OK.replace('name: g', 'name: g\nseed: -1')],
  ['seed not an integer', OK.replace('name: g', 'name: g\nseed: 1.5')],
  ['unknown top-level key', OK + 'seeds: 3\n'],
  ['custom tag on a value', edit('kind: cropper', 'kind: !js/function cropper')],
  ['custom python tag', OK.replace('name: g', 'name: !!python/object:os.system g')],
  ['alias bomb', 'name: g\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nnodes: {}\n'],
  ['node id with a slash', edit('  crop: { kind: cropper', '  crop/x: { kind: cropper')],
  ['node id in capitals', edit('  crop: { kind: cropper', '  Crop: { kind: cropper')],
  ['node id starting with a digit', edit('  crop: { kind: cropper', '  1crop: { kind: cropper')],
  ['list on a single-node port', edit('in: { slices: scans }', 'in: { slices: [scans, scans] }')],
  ['extends a missing file', 'extends: nowhere.yaml\nname: g\n'],
  ['extends is not a string', 'extends: [a, b]\nname: g\nnodes: {}\n'],
  ['extends cycle', 'extends: cycle-b.yaml\nname: a\n', 'cycle-a.yaml'],
  ['sweep over an unknown param', sweep('sweep:\n  grid:\n    window.params.fractoin: [0.3, 0.5]\n')],
  ['sweep over an unknown node', sweep('sweep:\n  grid:\n    windw.params.fraction: [0.3, 0.5]\n')],
  ['sweep grid value not a list', sweep('sweep:\n  grid:\n    window.params.fraction: 0.3\n')],
  ['sweep with grid and variants', sweep('sweep:\n  grid: { window.params.fraction: [0.3] }\n  variants: [{ name: a, set: {} }]\n')],
  ['sweep variant without name', sweep('sweep:\n  variants:\n    - { set: { window.params.fraction: 0.3 } }\n')],
  ['sweep value out of range', sweep('sweep:\n  grid:\n    window.params.fraction: [0.5, 2]\n')],
  ['replicates zero', OK + 'replicates: 0\n'],
];

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const lines: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => lines.push(a.join(' '));
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  try {
    return { code: await main(args), err: lines.join('\n') };
  } finally {
    console.error = error;
    console.log = log;
  }
}

describe(`a corpus of ${CORPUS.length} malformed graphs`, () => {
  const dir = tempDir('ctflow-bad-');
  writeFileSync(join(dir, 'cycle-b.yaml'), 'extends: cycle-a.yaml\nname: b\n');
  for (const [name, text, fileName] of CORPUS) {
    it(name, async () => {
      const file = join(dir, fileName ?? `${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, text);
      const runs = join(dir, `runs-${name.replace(/\W+/g, '-')}`);
      for (const cmd of ['validate', 'run']) {
        const { code, err } = await cli([cmd, file, '--runs', runs]);
        expect(code, `${cmd}: ${err}`).to.equal(2);
        expect(err, err).to.match(/\.yaml:\d+:\d+ /);
        expect(err, err).to.match(/hint: \S/);
        expect(err, err).to.not.match(/\n\s+at \S+ \(/);
      }
      expect(existsSync(runs), 'nothing written').to.equal(false);
    });
  }
});
