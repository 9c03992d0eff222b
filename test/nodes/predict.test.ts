// Predicting without training: an lstm and a swin model's table, straight or through an Arrow file
// (weights-file), gives a sequence-predictor exactly the training node's own predictions on the
// same embeddings and draws; bad model tables fail naming the fix; the prediction-writer writes
// one CSV row per scan without labels; image-folder reads a root of scan folders as unlabeled scans.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { Table, tableToIPC } from '../../engine/arrow.js';
import { checkParams } from '../../engine/params.js';
import { makeBatch } from '../../engine/ports.js';
import type { NodeDef, Outputs } from '../../engine/types.js';
import lstm from '../../nodes/lstm.js';
import predictionWriter from '../../nodes/prediction-writer.js';
import sequencePredictor from '../../nodes/sequence-predictor.js';
import sequenceSampler from '../../nodes/sequence-sampler.js';
import swin from '../../nodes/swin.js';
import { Predictions, Slices, Weights } from '../../nodes/tables.js';
import weightsFile from '../../nodes/weights-file.js';
import { testContext } from '../helpers/context.js';
import { memoryReader, sampleBatches } from '../helpers/samples.js';
import { tempDir } from '../helpers/engine.js';
import { syntheticEmbeddings } from './seq/synthetic.js';

const embeddings = syntheticEmbeddings({ scans: 12, dim: 8, validation: 4, signal: 6, seed: 'predict' });

function sequences(mode: 'lstm' | 'swin', length: number): RecordBatch[] {
  const ctx = testContext({ mode, length, draws: 3 }, { seed: 5 });
  const run = sequenceSampler.run as (c: typeof ctx, b: Outputs) => Outputs;
  return embeddings.map((b) => run(ctx, { embeddings: b }).sequences);
}

async function outputs(def: NodeDef, params: Record<string, unknown>, inputs: Record<string, RecordBatch[]>, id = def.kind): Promise<Outputs[]> {
  const { value, errors } = checkParams(def, params);
  expect(errors).to.deep.equal([]);
  const ctx = { ...testContext(value, { id, seed: 3 }), backend: 'wasm' };
  const out: Outputs[] = [];
  const readers = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, memoryReader(v)]));
  const run = def.run as (c: unknown, i: unknown) => AsyncIterable<Outputs>;
  for await (const o of def.mode === 'source' ? run(ctx, undefined) : run(ctx, readers)) out.push(o);
  return out;
}

const probs = (batches: RecordBatch[]) => batches.flatMap((b) => b.toArray().map((r) => `${r.scan_id}#${r.draw}=${r.prob}`));

describe('predicting with trained sequence models', function () {
  this.timeout(60_000);
  const cases = [
    { def: lstm, mode: 'lstm' as const, params: { length: 16, hidden: 8, layers: 1, head: 4, batch: 4, epochs: 2, lr: 0.01 } },
    { def: swin, mode: 'swin' as const, params: { length: 16, preset: 'small-cpu', patch: 2, dim: 8, depths: [2], heads: [2], window: 4, batch: 4, epochs: 2, lr: 0.003 } },
  ];
  for (const { def, mode, params } of cases) {
    it(`${mode}: the model table, also through an Arrow file, predicts exactly what the training node predicted`, async () => {
      const seqs = sequences(mode, 16);
      const trained = await outputs(def, params, { embeddings, sequences: seqs }, mode);
      const model = trained[0].model;
      const expected = trained.slice(1).map((o) => o.predictions);
      expect(new Set(probs(expected).map((p) => p.split('=')[1])).size, 'predictions vary across scans and draws').to.be.greaterThan(10);

      const direct = await outputs(sequencePredictor, {}, { embeddings, sequences: seqs, model: [model] }, mode);
      expect(probs(direct.map((o) => o.predictions))).to.deep.equal(probs(expected));

      const file = join(tempDir(), `${mode}.arrow`);
      writeFileSync(file, tableToIPC(new Table(model), 'file'));
      const [read] = await outputs(weightsFile, { path: file }, {});
      const viaFile = await outputs(sequencePredictor, { name: 'again', batch: 3 }, { embeddings, sequences: seqs, model: [read.model] });
      const rows = viaFile.flatMap((o) => o.predictions.toArray());
      expect(new Set(rows.map((r) => r.model))).to.deep.equal(new Set(['again']));
      expect(probs(viaFile.map((o) => o.predictions))).to.deep.equal(probs(expected));
    });
  }

  it('refuses a cnn model, a model for other embeddings and a draw of the wrong length, naming the fix', async () => {
    const [cnnModel] = sampleBatches(Weights)!;
    const seqs = sequences('lstm', 8);
    const fail = (inputs: Record<string, RecordBatch[]>) => outputs(sequencePredictor, {}, inputs).then(() => '', (e: Error) => e.message);
    expect(await fail({ embeddings, sequences: seqs, model: [cnnModel] })).to.match(/a cnn-trainer model \(it belongs on an embedder\).*connect the model output of an lstm or swin node/);
    const [model16] = sampleBatches(sequencePredictor.mode === 'barrier' ? sequencePredictor.inputs.model : Weights)!;   // an lstm for 8-value embeddings
    const wide = syntheticEmbeddings({ scans: 2, dim: 16, validation: 1, signal: 1, seed: 'wide' });
    expect(await fail({ embeddings: wide, sequences: [], model: [model16] })).to.match(/takes 8-value embeddings but the embeddings input has 16; embed with the cnn model/);
    const swinTrained = await outputs(swin, cases[1].params, { embeddings, sequences: sequences('swin', 16) }, 'swin');
    expect(await fail({ embeddings, sequences: sequences('swin', 12), model: [swinTrained[0].model] })).to.match(/has 12 slices but the swin model takes exactly 16: sample with a sequence-sampler in mode swin and length 16/);
  });

  it('weights-file names the file and the export command when it is missing or not Arrow', async () => {
    const dir = tempDir();
    const { inputFiles } = await import('../../nodes/weights-file.js');
    expect(await inputFiles({ path: join(dir, 'none.arrow') }).then(() => '', (e: Error) => e.message)).to.match(/none\.arrow" is not a file; write one with {2}ctflow export GRAPH NODE\.model --to FILE\.arrow/);
    writeFileSync(join(dir, 'junk.arrow'), 'not arrow at all');
    expect(await outputs(weightsFile, { path: join(dir, 'junk.arrow') }, {}).then(() => '', (e: Error) => e.message)).to.match(/junk\.arrow.*(not an Arrow IPC file|no "name" column)/);
  });
});

describe('prediction-writer', () => {
  const batch = (model: string, scans: [string, number[]][]) => makeBatch(Predictions, {
    model: scans.flatMap(([, ps]) => ps.map(() => model)), scan_id: scans.flatMap(([s, ps]) => ps.map(() => s)),
    split: scans.flatMap(([, ps]) => ps.map(() => 'test')), label: scans.flatMap(([, ps]) => ps.map(() => null)),
    draw: scans.flatMap(([, ps]) => ps.map((_, d) => d)), prob: scans.flatMap(([, ps]) => ps),
  });

  it('writes one row per scan, each model\'s mean probability and the deciding model\'s class, without labels', async () => {
    const input = [batch('cnn', [['ct_scan_0', [0.25, 0.75]], ['ct_scan_1', [0.125, 0.125]]]), batch('lstm', [['ct_scan_1', [0.875]], ['ct_scan_0', [0.25]]])];
    const { value } = checkParams(predictionWriter, { decide: 'cnn' });
    const ctx = testContext(value, { id: 'predict' });
    const out: Outputs[] = [];
    for await (const o of (predictionWriter.run as (c: unknown, i: unknown) => AsyncIterable<Outputs>)(ctx, { predictions: memoryReader(input) })) out.push(o);
    const csv = readFileSync(join(ctx.artifacts, 'predictions.csv'), 'utf8');
    expect(csv).to.equal('scan_id,split,cnn,lstm,predicted\nct_scan_0,test,0.500000,0.250000,1\nct_scan_1,test,0.125000,0.875000,0\n');
    expect(out[0].scans.toArray().map((r) => [r.model, r.scan_id, r.prob, r.label])).to.deep.equal([
      ['cnn', 'ct_scan_0', 0.5, null], ['lstm', 'ct_scan_0', 0.25, null], ['cnn', 'ct_scan_1', 0.125, null], ['lstm', 'ct_scan_1', 0.875, null],
    ]);
    expect(ctx.notes).to.include({ scans: 2, predicted_positive: 1 });
    expect(ctx.logs.join('\n')).to.match(/ct_scan_1\s+test\s+0\.125000\s+0\.875000\s+0/);
    const other = testContext(checkParams(predictionWriter, { decide: 'swin' }).value, { id: 'predict' });
    const err = await (async () => { for await (const _ of (predictionWriter.run as (c: unknown, i: unknown) => AsyncIterable<Outputs>)(other, { predictions: memoryReader(input) })); })().then(() => '', (e: Error) => e.message);
    expect(err).to.match(/params\.decide is "swin" but the input has models "cnn", "lstm"; name one of them/);
  });
});

describe('image-folder: a root of scan folders alone', () => {
  it('reads each scan folder as an unlabeled test scan named by the folder, and lists its files for the key', async () => {
    const { default: imageFolder, inputFiles } = await import('../../nodes/image-folder.js');
    const { writeJpegFolder } = await import('../../nodes/kernels/jpeg-folder-writer.js');
    const [a, b] = sampleBatches(Slices)!;
    const src = tempDir();
    const folders = await writeJpegFolder(src, [a, b]);
    const root = tempDir();
    for (const [scan, folder] of folders) {
      mkdirSync(join(root, `case ${scan}`));
      for (const f of ['0', '1', '2', '3', '4', '5']) writeFileSync(join(root, `case ${scan}`, `${f}.jpg`), readFileSync(join(src, folder, `${f}.jpg`)));
    }
    mkdirSync(join(root, 'notes'));                    // a folder without slices is not a scan
    const params = checkParams(imageFolder, { path: root }).value;
    const got: RecordBatch[] = [];
    for await (const o of (imageFolder.run as (c: unknown) => AsyncIterable<Outputs>)(testContext(params))) got.push(o.slices);
    expect(got.map((g) => [g.getChild('scan_id')!.get(0), g.getChild('split')!.get(0), g.getChild('label')!.get(0), g.numRows])).to.deep.equal([
      ['case sample-0', 'test', null, 6], ['case sample-1', 'test', null, 6],
    ]);
    expect((await inputFiles(params as never)).length).to.equal(12);
  });
});
