// graphs/two-step.yaml, the paper's configuration: valid as shipped, with the paper's settings, and
// it runs end to end on the tiny JPEG fixture folder with training shortened from the command line.
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
  });
});
