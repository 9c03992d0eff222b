// The README's main job, graphs/quick.yaml as shipped: the paper's whole pipeline on the synthetic
// set (model nodes in child processes) learns — every model above chance on the held-out test split,
// which chose nothing (validation chose the CNN's epoch and the sequence models' early stopping) —
// its figures are the README's table, and a second run is fully cached with the same table.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from '../../engine/arrow.js';
import { byStatus, runFile, session, tempDir } from '../helpers/engine.js';

// Thresholds from the graph run under seeds 7–11 (`ctflow run graphs/quick.yaml --set seed=S`, wasm,
// 19–21 test scans, so one scan moves a rate by about 0.05). Lowest test values over all eight rows
// (each model, one draw and Mean 10): seed 7 macro-F1 0.895 / AUC 0.968 (with the SIMD depthwise
// gradients of session 8; seeds 8–11 were measured before them), seed 8 0.845 / 0.869,
// seed 9 0.642 / 0.810, seed 10 0.614 / 0.744, seed 11 0.823 / 0.810. The bounds sit one scan or more below the worst seed
// and above chance (0.5 for both): margins 0.064 (macro-F1) and 0.044 (AUC) at seed 10, 0.345 and
// 0.268 at the shipped seed 7, which this test runs.
const MIN_TEST_F1 = 0.55;
const MIN_TEST_AUC = 0.7;
const README_COLUMNS = ['sensitivity', 'specificity', 'macro_f1', 'accuracy', 'auc', 'n'];

/** The README's quick-start table: split, model and its figures as printed, row by row. */
function readmeTable(): { split: string; model: string; cells: string[] }[] {
  const text = readFileSync('README.md', 'utf8');
  const table = text.slice(text.indexOf('\nsplit       model'), text.indexOf('```', text.indexOf('\nsplit       model')));
  return table.trim().split('\n').slice(1).map((line) => {
    const f = line.trim().split(/\s{2,}/);
    return { split: f[0], model: f[1], cells: f.slice(2) };
  });
}

const MODELS = ['cnn', 'cnn (Mean 10)', 'lstm', 'lstm (Mean 10)', 'swin', 'swin (Mean 10)', 'ensemble', 'ensemble (Mean 10)'];

describe('the paper pipeline: graphs/quick.yaml', function () {
  this.timeout(1_800_000);

  it('learns on the synthetic set (every model above chance on the test split), then reruns from cache', async () => {
    const s = session(join(tempDir(), 'runs'));
    const out = await runFile(s, 'graphs/quick.yaml');
    expect(out.record.status, JSON.stringify(Object.fromEntries(Object.entries(out.record.nodes).map(([k, n]) => [k, n.error])))).to.equal('ok');
    const test = (model: string, metric: string) => out.record.metrics.find((m) => m.model === model && m.split === 'test' && m.metric === metric)?.value;
    for (const model of MODELS) {
      expect(test(model, 'n'), `${model}: test scans`).to.be.at.least(15);
      expect(test(model, 'macro_f1'), `${model} test macro-F1 (chance 0.5)`).to.be.at.least(MIN_TEST_F1);
      expect(test(model, 'auc'), `${model} test AUC (chance 0.5)`).to.be.at.least(MIN_TEST_AUC);
    }
    expect(out.record.nodes.cnn.notes!.backend).to.be.a('string');
    // The CNN's output weights (scored on the test split above) are those of the epoch that early
    // stopping selected: the one marked best in the history, with the highest validation F1.
    const cnn = out.record.nodes.cnn;
    const history = tableFromIPC(readFileSync(join(s.store.entryDir(cnn.key), 'history.arrow'))).toArray().map((r) => r.toJSON());
    const selected = history.filter((r) => r.best === 1);
    expect(selected.map((r) => r.epoch), 'one selected epoch, the one noted').to.deep.equal([cnn.notes!.best_epoch]);
    expect(selected[0].val_f1).to.equal(Math.max(...history.map((r) => r.val_f1)));

    // The README's table is this run's: a change that moves a model's training (a new param's default
    // entering the seed, a reordered sum) fails here even when every model still learns.
    const rows = readmeTable();
    expect(rows.length, 'rows in the README table').to.be.at.least(8);
    for (const row of rows) {
      const value = (metric: string) => out.record.metrics.find((m) => m.model === row.model && m.split === row.split && m.metric === metric)?.value;
      const printed = README_COLUMNS.map((c) => (c === 'n' ? String(value(c)) : value(c)?.toFixed(3)));
      expect(printed, `README row ${row.split} ${row.model}`).to.deep.equal(row.cells);
    }

    const again = await runFile(s, 'graphs/quick.yaml');
    expect(byStatus(again, 'ran')).to.deep.equal([]);
    expect(again.record.metrics).to.deep.equal(out.record.metrics);
  });
});
