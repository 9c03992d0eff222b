// The README's main job, graphs/quick.yaml as shipped: the paper's whole pipeline on the synthetic
// set (model nodes in child processes) learns — every model's validation macro-F1 and the CNN's
// held-out slice accuracy clearly above chance — and a second run is fully cached with the same table.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from '../../engine/arrow.js';
import { byStatus, runFile, session, tempDir } from '../helpers/engine.js';

describe('the paper pipeline: graphs/quick.yaml', function () {
  this.timeout(600_000);

  it('learns on the synthetic set (every model above chance on validation), then reruns from cache', async () => {
    const s = session(join(tempDir(), 'runs'));
    const out = await runFile(s, 'graphs/quick.yaml');
    expect(out.record.status, JSON.stringify(Object.fromEntries(Object.entries(out.record.nodes).map(([k, n]) => [k, n.error])))).to.equal('ok');
    const f1 = (model: string) => out.record.metrics.find((m) => m.model === model && m.split === 'validation' && m.metric === 'macro_f1')?.value;
    for (const model of ['cnn', 'cnn (Mean 10)', 'lstm', 'lstm (Mean 10)', 'swin', 'swin (Mean 10)', 'ensemble']) {
      expect(f1(model), `${model} validation macro-F1 (chance 0.5)`).to.be.at.least(0.75);
    }
    expect(out.record.nodes.cnn.notes!.backend).to.be.a('string');
    // The CNN's own held-out measure: accuracy on window slices of the validation scans.
    const cnn = out.record.nodes.cnn;
    const history = tableFromIPC(readFileSync(join(s.store.entryDir(cnn.key), 'history.arrow'))).toArray().map((r) => r.toJSON());
    expect(Math.max(...history.map((r) => r.val_accuracy)), 'CNN validation slice accuracy (chance 0.5)').to.be.at.least(0.75);

    const again = await runFile(s, 'graphs/quick.yaml');
    expect(byStatus(again, 'ran')).to.deep.equal([]);
    expect(again.record.metrics).to.deep.equal(out.record.metrics);
  });
});
