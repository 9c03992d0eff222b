// The predict-only graph end to end through the CLI: train a tiny pipeline, export its weights as
// Arrow files, turn its scans into an unlabeled folder of JPEG scan folders, and run
// graphs/predict.yaml on it with --set: one prediction row per scan, no labels, the training run's
// probabilities up to the JPEG round trip; on the very same slices, exactly the training run's.
import { cpSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { tableFromIPC } from '../../engine/arrow.js';
import { ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';

const PREDICT = resolve('graphs/predict.yaml');

/** ctflow in `cwd` with its runs directory there. */
const cli = (args: string[], cwd: string) => ctflow([...args, '--runs', 'runs'], cwd);

// Scans of exactly 8 slices and draws of 8 (the LSTM takes all slices, the Swin exactly all, the
// CNN score averages all): every probability is a function of the embeddings alone, not of a draw.
const SCANS = '{ scans: 6, slices: [8, 8], size: 64, splits: { train: 0.5, validation: 0.5, test: 0 } }';
const TRAIN = `name: train
seed: 7
nodes:
  scans:  { kind: synthetic-ct, params: ${SCANS} }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas } }
  cnn:    { kind: cnn-trainer, in: { slices: crop.slices, windows: window }, params: { backbone: small, resolution: 64, embedding: 8, batch: 8, scansPerBatch: 2, stepsPerEpoch: 4, lr: 0.01, epochs: 1 } }
  embed:  { kind: embedder, in: { slices: crop.slices, model: cnn.model } }
  cnn-score: { kind: slice-scorer, in: { embeddings: embed, windows: window }, params: { from: scan, slices: 8, draws: 2 } }
  seq-lstm: { kind: sequence-sampler, in: { embeddings: embed }, params: { mode: lstm, length: 8, draws: 2 } }
  seq-swin: { kind: sequence-sampler, in: { embeddings: embed }, params: { mode: swin, length: 8, draws: 2 } }
  lstm:   { kind: lstm, in: { embeddings: embed, sequences: seq-lstm }, params: { length: 8, hidden: 4, layers: 1, head: 4, batch: 2, epochs: 1 } }
  swin:   { kind: swin, in: { embeddings: embed, sequences: seq-swin }, params: { length: 8, preset: small-cpu, patch: 2, dim: 8, depths: [2], heads: [2], window: 2, batch: 2, epochs: 1 } }
  scores: { kind: prediction-writer, in: { predictions: [cnn-score, lstm.predictions, swin.predictions] } }
`;
/** predict.yaml's samplers and CNN score set to the training graph's. */
const SAME_DRAWS = ['cnn-score.params.from=scan', 'cnn-score.params.slices=8', 'cnn-score.params.draws=2', 'seq-lstm.params.length=8', 'seq-lstm.params.draws=2', 'seq-swin.params.length=8', 'seq-swin.params.draws=2'];
const MODELS = ['cnn', 'lstm', 'swin'];
const WEIGHTS = MODELS.map((m) => `${m}-model.params.path=models/${m}.arrow`);
const sets = (xs: string[]) => xs.flatMap((x) => ['--set', x]);

/** scan → model → mean probability over the draws, from an exported predictions table. */
function meanProbs(file: string): Map<string, Map<string, number>> {
  const sums = new Map<string, Map<string, number[]>>();
  for (const r of tableFromIPC(readFileSync(file)).toArray()) {
    const scan = sums.get(r.scan_id) ?? sums.set(r.scan_id, new Map()).get(r.scan_id)!;
    (scan.get(r.model) ?? scan.set(r.model, []).get(r.model)!).push(r.prob);
  }
  return new Map([...sums].map(([s, ms]) => [s, new Map([...ms].map(([m, ps]) => [m, Math.fround(ps.reduce((a, b) => a + b, 0) / ps.length)]))]));
}

describe('graphs/predict.yaml: trained weights on an unlabeled folder', function () {
  this.timeout(180_000);

  it('predicts every scan of an unlabeled JPEG folder with exported weights, as the training run did', () => {
    const dir = tempDir('ctflow-predict-');
    const train = writeGraph(dir, 'train.yaml', TRAIN);
    const trained = cli(['run', train, '--in-process'], dir);
    expect(trained.code, trained.err).to.equal(0);
    for (const ref of ['cnn.model', 'lstm.model', 'swin.model']) {
      const e = cli(['export', train, ref, '--to', `models/${ref.split('.')[0]}.arrow`], dir);
      expect(e.code, e.err).to.equal(0);
      expect(e.out).to.match(/wrote \d+ rows of .*\.model \(weights\) to models\//);
    }
    expect(cli(['export', train, 'scores', '--to', 'expected.arrow'], dir).code).to.equal(0);
    const expected = meanProbs(join(dir, 'expected.arrow'));
    expect(expected.size).to.equal(6);

    // The unlabeled folder: each exported scan folder moved to <root>/<scan id>/ (the writer's
    // folders are <split>/<class>/ct_scan_K, K counting scans per folder in order).
    expect(cli(['export', train, 'scans', '--to', 'labeled'], dir).code).to.equal(0);
    const counts = new Map<string, number>();
    const labels = tableFromIPC(readFileSync(join(dir, 'expected.arrow'))).toArray();
    for (const scan of expected.keys()) {
      const r = labels.find((x) => x.scan_id === scan)!;
      const parent = `${r.split}/${r.label === 1 ? 'covid' : 'non-covid'}`;
      const k = counts.get(parent) ?? 0;
      counts.set(parent, k + 1);
      cpSync(join(dir, 'labeled', parent, `ct_scan_${k}`), join(dir, 'unlabeled', scan), { recursive: true });
    }

    const run = cli(['run', PREDICT, '--in-process', ...sets(['scans.params.path=unlabeled', ...WEIGHTS, ...SAME_DRAWS])], dir);
    expect(run.code, run.err).to.equal(0);
    const csvPath = /^predict: (.*predictions\.csv)$/m.exec(run.out)?.[1];
    expect(csvPath, `the run names the CSV at its end:\n${run.out}`).to.be.a('string');
    expect(run.err, 'the log shows the table').to.match(/predict: scan_id\s+split\s+cnn\s+lstm\s+swin\s+ensemble\s+predicted/);
    const [header, ...lines] = readFileSync(resolve(dir, csvPath!), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(header).to.deep.equal(['scan_id', 'split', 'cnn', 'lstm', 'swin', 'ensemble', 'predicted']);
    expect(lines.map((l) => l[0]).sort()).to.deep.equal([...expected.keys()].sort());
    let worst = 0;
    for (const [scan, split, ...rest] of lines) {
      expect(split).to.equal('test');
      const [cnn, lstm, swin, ensemble] = rest.slice(0, 4).map(Number);
      expect(ensemble).to.be.closeTo((lstm + swin) / 2, 1e-6);
      expect(rest[4]).to.equal(ensemble >= 0.5 ? '1' : '0');
      [cnn, lstm, swin].forEach((p, i) => { worst = Math.max(worst, Math.abs(p - expected.get(scan)!.get(MODELS[i])!)); });
    }
    // JPEG at quality 95 moves synthetic HU by about 8 HU per pixel (docs/image-folder.md); this tiny
    // model's probabilities barely depend on the slices (measured 4e-7), the bound allows one that does.
    console.log(`      largest |probability − training run| through JPEG: ${worst.toExponential(2)}`);
    expect(worst, 'largest |probability − training run| through JPEG').to.be.below(0.01);

    // The same slices as the training run (its synthetic-ct node, cached): exactly its probabilities.
    const same = writeGraph(dir, 'same.yaml', `extends: ${JSON.stringify(PREDICT)}\nname: predict-same\nnodes:\n  scans: { kind: synthetic-ct, params: { path: null, scans: 6, slices: [8, 8], size: 64, splits: { train: 0.5, validation: 0.5, test: 0 } } }\n`);
    const again = cli(['run', same, '--in-process', ...sets([...WEIGHTS, ...SAME_DRAWS])], dir);
    expect(again.code, again.err).to.equal(0);
    expect(again.out).to.match(/^cached\s+scans\b/m);
    expect(cli(['export', same, 'predict', '--to', 'same.arrow', ...sets([...WEIGHTS, ...SAME_DRAWS])], dir).code).to.equal(0);
    const got = meanProbs(join(dir, 'same.arrow'));
    for (const [scan, ms] of expected) for (const [m, p] of ms) expect(got.get(scan)?.get(m), `${m} ${scan}`).to.equal(p);
  });
});
