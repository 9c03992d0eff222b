// Evaluation: metrics against hand-computed values, the evaluator's splits and Mean-k rows, the
// ensemble's weighted mean, the slice scorer's draws.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import { auc, binaryMetrics, rocPoints } from '../../../nodes/kernels/eval/binary-metrics.js';
import ensemble from '../../../nodes/ensemble.js';
import evaluator from '../../../nodes/evaluator.js';
import sliceScorer from '../../../nodes/slice-scorer.js';
import { Embeddings, Predictions, Windows } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';
import { memoryReader } from '../../helpers/samples.js';
import { runBarrierKind, runStreamKind } from '../../helpers/run-kind.js';

function preds(rows: { model: string; scan: string; split: string; label: number | null; draw: number; prob: number }[]): RecordBatch {
  return makeBatch(Predictions, {
    model: rows.map((r) => r.model), scan_id: rows.map((r) => r.scan), split: rows.map((r) => r.split),
    label: rows.map((r) => r.label), draw: rows.map((r) => r.draw), prob: rows.map((r) => r.prob),
  });
}


describe('binary metrics', () => {
  it('match a hand-computed confusion matrix', () => {
    // labels 1,1,1,0,0 ; predictions ≥ 0.5 → 1,1,0,1,0  ⇒ tp 2, fn 1, fp 1, tn 1
    const m = binaryMetrics([{ label: 1, prob: 0.9 }, { label: 1, prob: 0.6 }, { label: 1, prob: 0.2 }, { label: 0, prob: 0.7 }, { label: 0, prob: 0.1 }]);
    expect([m.tp, m.fn, m.fp, m.tn]).to.deep.equal([2, 1, 1, 1]);
    expect(m.sensitivity).to.be.closeTo(2 / 3, 1e-12);
    expect(m.specificity).to.be.closeTo(1 / 2, 1e-12);
    // F1(pos) = 4/6, F1(neg) = 2/4 ⇒ macro 0.58333…
    expect(m.macro_f1).to.be.closeTo((4 / 6 + 2 / 4) / 2, 1e-12);
    expect(m.accuracy).to.equal(0.6);
    // pairs (pos, neg): 0.9>0.7 0.9>0.1 0.6<0.7 0.6>0.1 0.2>0.1 0.2<0.7 ⇒ 4/6
    expect(m.auc).to.be.closeTo(4 / 6, 1e-12);
  });

  it('AUC counts ties half; ROC runs from (0,0) to (1,1)', () => {
    expect(auc([{ label: 1, prob: 0.5 }, { label: 0, prob: 0.5 }])).to.equal(0.5);
    const pts = rocPoints([{ label: 1, prob: 0.8 }, { label: 0, prob: 0.3 }, { label: 1, prob: 0.3 }]);
    expect(pts[0]).to.include({ fpr: 0, tpr: 0 });
    expect(pts[pts.length - 1]).to.include({ fpr: 1, tpr: 1 });
    expect(pts.map((p) => p.tpr)).to.deep.equal([0, 0.5, 1]);
  });
});

describe('evaluator', () => {
  const rows = [
    // model a: perfect on validation at every draw; train is there too but must be ignored by default.
    ...['v1', 'v2', 'v3', 'v4'].flatMap((scan, i) => [0, 1, 2].map((draw) => ({ model: 'a', scan, split: 'validation', label: i % 2, draw, prob: i % 2 ? 0.8 : 0.2 }))),
    ...[0, 1, 2].map((draw) => ({ model: 'a', scan: 't1', split: 'train', label: 1, draw, prob: 0.1 })),
    ...[0, 1, 2].map((draw) => ({ model: 'a', scan: 'u1', split: 'test', label: null, draw, prob: 0.9 })),
    // model b: draw 0 wrong for v2, right on average.
    ...['v1', 'v2'].flatMap((scan, i) => [0, 1, 2].map((draw) => ({ model: 'b', scan, split: 'validation', label: i, draw, prob: i === 1 ? (draw === 0 ? 0.4 : 0.9) : 0.3 }))),
  ];

  it('scores validation (not train unless asked), one draw and Mean-k, and writes a CSV', async () => {
    const ctx = testContext({ splits: ['validation', 'test'] as ('validation' | 'test')[], meanK: [3], threshold: 0.5 });
    const [out] = await runBarrierKind(evaluator, ctx as never, { predictions: memoryReader([preds(rows)]) });
    const m = out.metrics;
    const get = (model: string, metric: string) => {
      for (let i = 0; i < m.numRows; i++) if (m.getChild('model')!.get(i) === model && m.getChild('metric')!.get(i) === metric) return Number(m.getChild('value')!.get(i));
      return undefined;
    };
    expect(get('a', 'macro_f1')).to.equal(1);
    expect(get('a', 'n')).to.equal(4);
    expect(new Set(Array.from(m.getChild('split')!))).to.deep.equal(new Set(['validation']));
    // b, one draw: draws 1 and 2 are perfect, draw 0 misses v2 ⇒ mean sensitivity (0 + 1 + 1) / 3.
    expect(get('b', 'sensitivity')).to.be.closeTo(2 / 3, 1e-12);
    // b, Mean 3: v2's mean prob (0.4 + 0.9 + 0.9) / 3 ≥ 0.5 ⇒ perfect.
    expect(get('b (Mean 3)', 'sensitivity')).to.equal(1);
    expect(ctx.notes.unlabeledScans).to.equal(1);
    const csv = readFileSync(join(ctx.artifacts, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal('model,scan_id,split,label,prob,predicted');
    expect(csv.filter((l) => l.startsWith('b (Mean 3),v2'))).to.deep.equal(['b (Mean 3),v2,validation,1,0.733333,1']);
    const withTrain = testContext({ splits: ['train'] as 'train'[], meanK: [], threshold: 0.5 });
    const [t] = await runBarrierKind(evaluator, withTrain as never, { predictions: memoryReader([preds(rows)]) });
    expect(new Set(Array.from(t.metrics.getChild('split')!))).to.deep.equal(new Set(['train']));
    expect(existsSync(join(withTrain.artifacts, 'predictions.csv'))).to.equal(true);
  });
});

describe('ensemble', () => {
  it('averages models draw by draw with weights', async () => {
    const rows = ['a', 'b'].flatMap((model) => [0, 1].map((draw) => ({ model, scan: 's', split: 'validation', label: 1, draw, prob: model === 'a' ? 0.2 + draw * 0.1 : 0.8 })));
    const [out] = await runBarrierKind(ensemble, testContext({ weights: { a: 3 }, name: 'ens' }) as never, { predictions: memoryReader([preds(rows)]) });
    const p = out.predictions;
    expect(Array.from(p.getChild('model')!)).to.deep.equal(['ens', 'ens']);
    expect(Number(p.getChild('prob')!.get(0))).to.be.closeTo((3 * 0.2 + 0.8) / 4, 1e-6);
    expect(Number(p.getChild('prob')!.get(1))).to.be.closeTo((3 * 0.3 + 0.8) / 4, 1e-6);
    const one = preds(rows.filter((r) => r.model === 'a'));
    let err = '';
    try { await runBarrierKind(ensemble, testContext({ weights: {}, name: 'e' }) as never, { predictions: memoryReader([one]) }); } catch (e) { err = (e as Error).message; }
    expect(err).to.match(/at least two models/);
  });
});

describe('slice-scorer', () => {
  const n = 10;
  const emb = makeBatch(Embeddings, {
    scan_id: Array(n).fill('s'), split: Array(n).fill('validation'), label: Array(n).fill(1), slice_index: [...Array(n).keys()],
    embedding: Array.from({ length: n }, () => new Float32Array(2)), prob: Array.from({ length: n }, (_, i) => (i >= 4 && i < 6 ? 1 : 0)),
  });
  const win = makeBatch(Windows, { scan_id: ['s'], split: ['validation'], label: [1], n_slices: [n], start: [4], end: [6], area_sum: [1] });

  it('averages slices drawn from the window only (or the scan), deterministically', async () => {
    const run = async (from: 'window' | 'scan', slices = 16, draws = 3) => (await runStreamKind(sliceScorer, testContext({ from, slices, draws, name: 'cnn' }) as never, { embeddings: emb, windows: win })).predictions;
    const w = await run('window');
    expect(Array.from(w.getChild('prob')!)).to.deep.equal([1, 1, 1]);
    expect(Array.from(w.getChild('draw')!)).to.deep.equal([0, 1, 2]);
    expect(Number((await run('scan')).getChild('prob')!.get(0))).to.be.closeTo(0.2, 1e-6);
    const few = await run('scan', 3, 20);
    const again = await run('scan', 3, 20);
    expect(Array.from(few.getChild('prob')!)).to.deep.equal(Array.from(again.getChild('prob')!));
    expect(new Set(Array.from(few.getChild('prob')!)).size).to.be.greaterThan(1);
  });

  it('refuses inputs whose scans do not line up', async () => {
    const other = makeBatch(Windows, { scan_id: ['x'], split: ['validation'], label: [1], n_slices: [n], start: [0], end: [1], area_sum: [1] });
    let err = '';
    try { await runStreamKind(sliceScorer, testContext({ from: 'window', slices: 16, draws: 1, name: 'cnn' }) as never, { embeddings: emb, windows: other }); } catch (e) { err = (e as Error).message; }
    expect(err).to.match(/same order/);
  });
});
