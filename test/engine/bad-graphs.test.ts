// A corpus of malformed graphs run through the CLI: each exits 2 with the rule it breaks at the
// line it is about (file:line:column [rule]) and a hint, prints no stack trace, and writes nothing
// to the runs directory. The base graph they are edited from is the control: it validates and runs.
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

// [case, rule code, line of the reported problem, graph text, file name]. Where YAML cannot be
// parsed, the line is where the parser gave up: the end of the file for an unclosed quote or flow
// map. The alias bomb is refused while the document is being composed, before any node exists, so
// its problem is located at the document (1:1).
const CORPUS: [string, string, number, string, string?][] = [
  ['empty file', 'not-a-graph', 1, ''],
  ['a scalar document', 'not-a-graph', 1, 'hello\n'],
  ['a list document', 'not-a-graph', 1, '- a\n- b\n'],
  ['tab indentation', 'yaml-syntax', 3, 'name: g\nnodes:\n\tscans: { kind: synthetic-ct }\n'],
  ['unclosed quote', 'yaml-syntax', 3, 'name: "g\nnodes: {}\n'],
  ['unclosed flow map', 'yaml-syntax', 3, 'name: g\nnodes: { scans: { kind: synthetic-ct }\n'],
  ['stray closing brace', 'yaml-syntax', 4, edit('{ slices: scans } }', '{ slices: scans } } }')],
  ['duplicate top-level key', 'duplicate-key', 9, OK + 'name: again\n'],
  ['duplicate node id', 'duplicate-key', 9, OK + '  crop: { kind: cropper, in: { slices: scans } }\n'],
  ['unknown kind', 'unknown-kind', 4, edit('kind: cropper', 'kind: croper')],
  ['kind missing', 'schema', 4, edit('{ kind: cropper, in: { slices: scans } }', '{ in: { slices: scans } }')],
  ['kind is a number', 'schema', 4, edit('kind: cropper', 'kind: 3')],
  ['params not a mapping', 'schema', 3, edit('params: { scans: 2, slices: [4, 6], size: 64 }', 'params: 5')],
  ['param wrong type', 'param', 3, edit('scans: 2,', 'scans: two,')],
  ['param out of range', 'param', 3, edit('scans: 2,', 'scans: 0,')],
  ['param not in enum', 'param', 3, edit('size: 64', 'size: 100')],
  ['param array too short', 'param', 3, edit('slices: [4, 6]', 'slices: [4]')],
  ['unknown param', 'param', 5, edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: crop.slices }, params: { sise: 3 } }')],
  ['median size even', 'param', 5, edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: crop.slices }, params: { size: 4 } }')],
  ['threshold op unknown', 'param', 6, edit('{ kind: threshold, in: { slices: median } }', '{ kind: threshold, in: { slices: median }, params: { op: gte } }')],
  ['window fraction above 1', 'param', 8, edit('in: { areas: lung.areas } }', 'in: { areas: lung.areas }, params: { fraction: 1.5 } }')],
  ['required param missing', 'param', 3, 'name: g\nnodes:\n  scans: { kind: image-folder }\n'],
  ['in is not a mapping', 'schema', 4, edit('in: { slices: scans }', 'in: scans')],
  ['input refers to unknown node', 'bad-input', 4, edit('in: { slices: scans }', 'in: { slices: scan }')],
  ['input reference with capitals', 'schema', 4, edit('in: { slices: scans }', 'in: { slices: Scans }')],
  ['input reference with two dots', 'schema', 5, edit('in: { slices: crop.slices }', 'in: { slices: crop.slices.x }')],
  ['unknown input port', 'unknown-input', 4, edit('in: { slices: scans }', 'in: { slices: scans, extra: scans }')],
  ['missing input', 'missing-input', 4, edit('{ kind: cropper, in: { slices: scans } }', '{ kind: cropper }')],
  ['port type mismatch', 'port-type', 7, edit('in: { masks: mask }', 'in: { masks: median }')],
  ['unknown output port', 'bad-input', 8, edit('in: { areas: lung.areas }', 'in: { areas: lung.area }')],
  ['ambiguous output', 'bad-input', 8, edit('in: { areas: lung.areas }', 'in: { areas: crop }')],
  ['two-node cycle', 'cycle', 4, edit('in: { slices: scans }', 'in: { slices: median }').replace('in: { slices: crop.slices }', 'in: { slices: crop.slices }')],
  ['self loop', 'cycle', 5, edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: median } }')],
  ['three-node cycle', 'cycle', 4, edit('in: { slices: scans }', 'in: { slices: mask }')],
  ['cache is not boolean', 'schema', 5, edit('{ kind: median-filter, in: { slices: crop.slices } }', '{ kind: median-filter, in: { slices: crop.slices }, cache: no-thanks }')],
  ['unknown backend', 'schema', 4, edit('{ kind: cropper, in: { slices: scans } }', '{ kind: cropper, in: { slices: scans }, backend: tpu }')],
  ['unknown node key', 'schema', 4, edit('{ kind: cropper, in: { slices: scans } }', '{ kind: cropper, in: { slices: scans }, inputs: {} }')],
  ['name missing', 'schema', 1, OK.replace('name: g\n', '')],
  ['name with a slash', 'bad-name', 1, OK.replace('name: g', 'name: a/b')],
  ['name starting with a dot', 'bad-name', 1, OK.replace('name: g', 'name: .hidden')],
  ['nodes empty', 'schema', 2, 'name: g\nnodes: {}\n'],
  ['nodes missing', 'schema', 1, 'name: g\n'],
  ['nodes is a list', 'schema', 3, 'name: g\nnodes:\n  - scans\n'],
  ['seed negative', 'schema', 2, OK.replace('name: g', 'name: g\nseed: -1')],
  ['seed not an integer', 'schema', 2, OK.replace('name: g', 'name: g\nseed: 1.5')],
  ['unknown top-level key', 'schema', 9, OK + 'seeds: 3\n'],
  ['custom tag on a value', 'custom-tag', 4, edit('kind: cropper', 'kind: !js/function cropper')],
  ['custom python tag', 'custom-tag', 1, OK.replace('name: g', 'name: !!python/object:os.system g')],
  ['alias bomb', 'alias-limit', 1, 'name: g\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nnodes: {}\n'],
  ['node id with a slash', 'bad-id', 4, edit('  crop: { kind: cropper', '  crop/x: { kind: cropper')],
  ['node id in capitals', 'bad-id', 4, edit('  crop: { kind: cropper', '  Crop: { kind: cropper')],
  ['node id starting with a digit', 'bad-id', 4, edit('  crop: { kind: cropper', '  1crop: { kind: cropper')],
  ['list on a single-node port', 'bad-input', 4, edit('in: { slices: scans }', 'in: { slices: [scans, scans] }')],
  ['extends a missing file', 'extends', 1, 'extends: nowhere.yaml\nname: g\n'],
  ['extends is not a string', 'extends', 1, 'extends: [a, b]\nname: g\nnodes: {}\n'],
  ['extends cycle', 'extends-cycle', 1, 'extends: cycle-b.yaml\nname: a\n', 'cycle-a.yaml'],
  ['sweep over an unknown param', 'sweep-path', 11, sweep('sweep:\n  grid:\n    window.params.fractoin: [0.3, 0.5]\n')],
  ['sweep over an unknown node', 'sweep-path', 11, sweep('sweep:\n  grid:\n    windw.params.fraction: [0.3, 0.5]\n')],
  ['sweep grid value not a list', 'schema', 11, sweep('sweep:\n  grid:\n    window.params.fraction: 0.3\n')],
  ['sweep with grid and variants', 'schema', 10, sweep('sweep:\n  grid: { window.params.fraction: [0.3] }\n  variants: [{ name: a, set: {} }]\n')],
  ['sweep variant without name', 'schema', 11, sweep('sweep:\n  variants:\n    - { set: { window.params.fraction: 0.3 } }\n')],
  ['sweep value out of range', 'param', 11, sweep('sweep:\n  grid:\n    window.params.fraction: [0.5, 2]\n')],
  ['replicates zero', 'schema', 9, OK + 'replicates: 0\n'],
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
  it('control: the base graph every case edits validates and runs', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, OK);
    const runs = join(dir, 'runs-ok');
    for (const args of [['validate'], ['run', '--no-report']]) {
      const { code, err } = await cli([...args, file, '--runs', runs]);
      expect(code, `${args[0]}: ${err}`).to.equal(0);
      expect(err, err).to.not.match(/\.yaml:\d+:\d+ /);
    }
    expect(existsSync(join(runs, 'cache')), 'the run stored its nodes').to.equal(true);
  });

  for (const [name, rule, line, text, fileName] of CORPUS) {
    it(`${name}: [${rule}] at line ${line}`, async () => {
      const file = join(dir, fileName ?? `${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, text);
      const runs = join(dir, `runs-${name.replace(/\W+/g, '-')}`);
      for (const cmd of ['validate', 'run']) {
        const { code, err } = await cli([cmd, file, '--runs', runs]);
        expect(code, `${cmd}: ${err}`).to.equal(2);
        expect(err, err).to.match(new RegExp(`\\.yaml:${line}:\\d+ (node "[^"]*" )?\\[${rule}\\]`));
        expect(err, err).to.match(/hint: \S/);
        expect(err, err).to.not.match(/\n\s+at \S+ \(/);
      }
      expect(existsSync(runs), 'nothing written').to.equal(false);
    });
  }
});
