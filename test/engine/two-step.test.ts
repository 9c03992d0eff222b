// graphs/two-step.yaml, the paper's configuration: valid as shipped, with the paper's settings, and
// it runs end to end on the tiny JPEG fixture folder with training shortened from the command line,
// every model scored with finite rates in [0, 1].
import { expect } from 'chai';
import { join } from 'node:path';
import { byStatus, runFile, session, tempDir } from '../helpers/engine.js';

const FILE = 'graphs/two-step.yaml';

describe('the paper configuration: graphs/two-step.yaml', function () {
  this.timeout(300_000);

  it("validates as shipped with the paper's settings (section 3.1)", () => {
    const { graph, issues } = session(join(tempDir(), 'runs')).load(FILE);
    expect(issues).to.deep.equal([]);
    const params = (id: string) => graph!.nodes.get(id)!.params as Record<string, unknown>;
    expect(params('cnn')).to.include({ backbone: 'b3', embedding: 224, batch: 16, scansPerBatch: 1, lr: 1e-4, weightDecay: 5e-4 });
    expect(params('lstm')).to.include({ length: 120, hidden: 128, layers: 4, head: 64 });
    expect(params('seq-lstm')).to.include({ mode: 'lstm', length: 120 });
    expect(params('swin')).to.include({ length: 224, preset: 'tiny' });
    expect(params('seq-swin')).to.include({ mode: 'swin', length: 224 });
    expect(params('window')).to.include({ fraction: 0.5, strategy: 'area' });
    expect(params('evaluate').meanK).to.deep.equal([10, 50]);
  });

  it('smoke-runs on a tiny folder with shortened training and scores every model', async () => {
    const s = session(join(tempDir(), 'runs'));
    const out = await runFile(s, FILE, [
      'scans.params.path=test/fixtures/image-folder/tiny',
      'cnn.params.resolution=32', 'cnn.params.epochs=1', 'cnn.params.stepsPerEpoch=1',
      'lstm.params.epochs=1', 'swin.params.epochs=1', 'swin.params.dim=24', 'swin.params.depths=[1, 1, 1, 1]',
      'seq-lstm.params.draws=2', 'seq-swin.params.draws=2', 'cnn-score.params.draws=2', 'evaluate.params.meanK=[2]',
    ]);
    expect(out.record.status, JSON.stringify(Object.fromEntries(Object.entries(out.record.nodes).map(([k, n]) => [k, n.error])))).to.equal('ok');
    expect(byStatus(out, 'failed')).to.deep.equal([]);
    const models = new Set(out.record.metrics.map((m) => m.model));
    expect([...models].sort()).to.deep.equal(['cnn', 'cnn (Mean 2)', 'ensemble', 'ensemble (Mean 2)', 'lstm', 'lstm (Mean 2)', 'swin', 'swin (Mean 2)']);
    // Every score is a rate in [0, 1] and every count adds up: a NaN or an out-of-range value (a
    // division by an empty class, a probability that is a logit) fails here. A rate is undefined
    // (null) only where its class is absent: the tiny folder's labelled evaluation scans are all
    // positive, so specificity and AUC have no negatives to be computed from.
    const value = (model: string, split: string, metric: string) => out.record.metrics.find((m) => m.model === model && m.split === split && m.metric === metric)!.value;
    const scored = out.record.metrics.filter((r) => r.metric === 'n');
    expect(scored.length, 'a row of counts per model and split').to.be.at.least(models.size);
    for (const m of scored) {
      const what = `${m.model} ${m.split}`;
      expect(m.value, `${what}: scans`).to.be.above(0);
      const [tp, fp, tn, fn] = ['tp', 'fp', 'tn', 'fn'].map((c) => value(m.model, m.split, c));
      for (const c of [tp, fp, tn, fn]) expect(c, `${what}: confusion`).to.be.at.least(0);
      expect(tp + fp + tn + fn, `${what}: confusion adds up to n`).to.be.closeTo(m.value, 1e-9);
      const [positives, negatives] = [tp + fn, tn + fp];
      const defined = { sensitivity: positives > 0, specificity: negatives > 0, auc: positives > 0 && negatives > 0, accuracy: true, macro_f1: true };
      for (const [rate, isDefined] of Object.entries(defined)) {
        const v = value(m.model, m.split, rate);
        if (isDefined) expect(v, `${what} ${rate}`).to.be.within(0, 1);
        else expect(v === null || Number.isNaN(v), `${what} ${rate} has no ${rate === 'sensitivity' ? 'positives' : 'negatives'}: ${v}`).to.equal(true);
      }
    }
  });
});
