// The paper's whole pipeline at toy size runs end to end through the engine (model nodes in child
// processes), prints metrics for every model, and a second run is fully cached.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

describe('the paper pipeline (toy size)', function () {
  this.timeout(300_000);

  it('runs from synthetic CT to the evaluator, then reruns from cache', async () => {
    const dir = tempDir();
    const yaml = readFileSync('graphs/pipeline-smoke.yaml', 'utf8')
      .replace('scans: 32, slices: [30, 50], size: 128', 'scans: 12, slices: [16, 24], size: 64')
      .replace('epochs: 4', 'epochs: 1').replace(/epochs: 8/g, 'epochs: 1');
    const file = writeGraph(dir, 'p.yaml', yaml);
    const s = session(join(dir, 'runs'));
    const out = await runFile(s, file);
    expect(out.record.status, JSON.stringify(Object.fromEntries(Object.entries(out.record.nodes).map(([k, n]) => [k, n.error])))).to.equal('ok');
    const models = new Set(out.record.metrics.map((m) => m.model));
    for (const m of ['cnn', 'cnn (Mean 10)', 'lstm', 'swin', 'ensemble']) expect(models.has(m), m).to.equal(true);
    expect(out.record.nodes.cnn.notes!.backend).to.be.a('string');
    const again = await runFile(s, file);
    expect(byStatus(again, 'ran')).to.deep.equal([]);
    expect(again.record.metrics).to.deep.equal(out.record.metrics);
  });
});
