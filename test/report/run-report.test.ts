// A run's report.html: built from the run record and the store, self-contained, with the
// sections whose data the graph has and without the others.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeRunReport } from '../../engine/report/run-report.js';
import { Store } from '../../engine/store.js';
import { runFile, writeGraph } from '../helpers/engine.js';
import { reportFixture, LUNG } from './fixture.js';
import { reportRegistry } from './kinds.js';
import { sections } from './sections.js';

describe('run report', () => {
  it('has the DAG, Table-1 metrics, training and ROC curves, lung-area curves and Fig. 1 panels', async () => {
    const { runsDir, full } = await reportFixture();
    const file = await writeRunReport(runsDir, full.record, reportRegistry);
    expect(file).to.equal(join(full.recordDir, 'report.html'));
    const html = readFileSync(file, 'utf8');
    const s = sections(html);
    expect([...s.keys()]).to.deep.equal(['dag', 'metrics', 'training', 'roc', 'lung-area', 'panels']);

    for (const [id, n] of Object.entries(full.record.nodes)) expect(s.get('dag')).to.contain(`data-node="${id}" data-status="${n.status}"`);
    const auc = (model: string) => full.record.metrics.find((m) => m.model === model && m.metric === 'auc')!.value;
    expect(auc('good')).to.be.greaterThan(auc('weak'));
    expect(s.get('metrics')).to.contain(`<td>good</td><td><span class="best">`);
    expect(s.get('metrics')).to.contain(`${auc('weak').toFixed(3)}</td>`);
    expect(s.get('roc')).to.contain(`weak (AUC ${auc('weak').toFixed(3)})`);
    for (const node of ['hist-a', 'hist-b']) expect(s.get('training')).to.contain(`>${node}</text>`);

    // The lung-area curves name every scan with its label and split, as the windows table has them.
    const store = new Store(runsDir);
    const key = full.record.nodes.window.key;
    const found = store.lookup(key);
    if (!found.hit) throw new Error('window entry missing');
    const reader = await store.reader(store.entryDir(key), found.manifest, 'windows');
    const labels: number[] = [];
    for await (const b of reader) {
      const [id, label, split] = ['scan_id', 'label', 'split'].map((c) => b.getChild(c)!.get(0));
      labels.push(label);
      expect(s.get('lung-area')).to.contain(`${id} (${label === 1 ? 'positive' : 'negative'}, ${split})`);
    }
    await reader.close();

    // Panels: a positive and a negative scan first (both present in 4 scans), six 150-px panels each.
    const pngs = [...s.get('panels')!.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
    expect(pngs).to.have.length(Math.min(3, labels.length));
    for (const png of pngs) expect(await sharp(png).metadata()).to.include({ format: 'png', width: 6 * 150 + 5 * 4, height: 150 });
    expect([...s.get('panels')!.matchAll(/\((positive|negative), /g)].map((m) => m[1]).slice(0, 2)).to.deep.equal(['positive', 'negative']);

    // Self-contained: nothing to fetch, nothing to run.
    expect(html).to.not.match(/https?:\/\//);
    expect(html).to.not.match(/<script|<link|@import/i);
    expect([...html.matchAll(/\bsrc="([^"]*)"/g)].every((m) => m[1].startsWith('data:image/png;base64,'))).to.equal(true);
  });

  it('leaves out the sections whose data the graph does not have', async () => {
    const { runsDir, dir, session, lungOnly } = await reportFixture();
    const lung = sections(readFileSync(await writeRunReport(runsDir, lungOnly.record, reportRegistry), 'utf8'));
    expect([...lung.keys()]).to.deep.equal(['dag', 'lung-area', 'panels']);
    // Areas not stored (cache: false; another seed, so no other run stored them): no curves and
    // no panels, rather than empty sections.
    const unstored = await runFile(session, writeGraph(dir, 'unstored.yaml', `name: unstored\nseed: 4\nnodes:\n${LUNG.replace('in: { masks: mask } }', 'in: { masks: mask }, cache: false }')}`));
    const html = readFileSync(await writeRunReport(runsDir, unstored.record, reportRegistry), 'utf8');
    expect([...sections(html).keys()]).to.deep.equal(['dag']);
    expect(sections(html).get('dag')).to.contain('data-node="lung" data-status="ran"');
    expect(html).to.not.contain('<svg class="marks"');
  });
});
