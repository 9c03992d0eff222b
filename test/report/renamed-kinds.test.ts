// Kinds own their report parts: renamed copies of the lung kinds, in a registry without the
// shipped names, still get their lung-area curves and Fig. 1 panels, found along the graph's
// edges; a chain without the filter draws the panels of the kinds it has.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Registry } from '../../engine/registry.js';
import { writeRunReport } from '../../engine/report/run-report.js';
import { Session } from '../../engine/session.js';
import type { NodeDef } from '../../engine/types.js';
import areaWindow from '../../nodes/area-window.js';
import binaryDilation from '../../nodes/binary-dilation.js';
import cropper from '../../nodes/cropper.js';
import medianFilter from '../../nodes/median-filter.js';
import syntheticCt from '../../nodes/synthetic-ct.js';
import threshold from '../../nodes/threshold.js';
import { runFile, tempDir, writeGraph } from '../helpers/engine.js';
import { sections } from './sections.js';

const renamed: NodeDef[] = [cropper, medianFilter, threshold, binaryDilation, areaWindow].map((d) => ({ ...d, kind: `my-${d.kind}` }));
const registry = new Registry([syntheticCt, ...renamed]);

const GRAPH = `name: renamed
seed: 3
nodes:
  scans:  { kind: synthetic-ct, params: { scans: 3, slices: [12, 14], size: 64 } }
  body:   { kind: my-cropper, in: { slices: scans }, params: { margin: 1 } }
  smooth: { kind: my-median-filter, in: { slices: body.slices }, cache: false }
  tissue: { kind: my-threshold, in: { slices: smooth }, params: { t: -400 }, cache: false }
  filled: { kind: my-binary-dilation, in: { masks: tissue } }
  pick:   { kind: my-area-window, in: { areas: filled.areas } }
`;

/** The section ids of a run's report, its panels section and the width of each of its images. */
async function panels(graph: string): Promise<{ ids: string[]; html: string; widths: number[] }> {
  const dir = tempDir('ctflow-renamed-');
  const runsDir = join(dir, 'runs');
  const out = await runFile(new Session({ runsDir, registry }), writeGraph(dir, 'g.yaml', graph));
  const all = sections(readFileSync(await writeRunReport(runsDir, out.record, registry), 'utf8'));
  const html = all.get('panels') ?? '';
  const pngs = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
  return { ids: [...all.keys()], html, widths: await Promise.all(pngs.map(async (p) => (await sharp(p).metadata()).width!)) };
}

describe('report parts of renamed kinds', () => {
  it('draws the lung-area curves and Fig. 1 panels of renamed lung kinds, each node with its own params', async () => {
    const { ids, html, widths } = await panels(GRAPH);
    expect(ids).to.deep.equal(['dag', 'lung-area', 'panels']);
    expect(widths).to.deep.equal([1, 2, 3].map(() => 6 * 150 + 5 * 4));
    expect(html).to.contain('<code>body</code> (margin 1, air -500) → <code>smooth</code>');
    expect(html).to.contain('Panels: original (crop box red) · crop · filtered · mask · filled mask · lung = filled − mask.');
  });

  it('follows the edges: without the filter, five panels', async () => {
    const { html, widths } = await panels(GRAPH.replace(/ {2}smooth:.*\n/, '').replace('in: { slices: smooth }', 'in: { slices: body.slices }'));
    expect(widths).to.deep.equal([1, 2, 3].map(() => 5 * 150 + 4 * 4));
    expect(html).to.contain('Panels: original (crop box red) · crop · mask · filled mask · lung = filled − mask.');
  });
});
