// embedder through run(): every slice of every scan, one batch per scan, embeddings consistent
// with the probabilities through the model's head, and the model table checked.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { RecordBatch } from 'apache-arrow';
import type { NodeContext, Outputs } from '../../../engine/types.js';
import embedder, { type EmbedderParams } from '../../../nodes/embedder.js';
import { architecture, initialWeights, paramSpecs } from '../../../nodes/kernels/cnn/architecture.js';
import { CONFIG_ROW, modelBatch } from '../../../nodes/kernels/cnn/model-table.js';
import { warmStart } from '../../../nodes/kernels/cnn/warm-start.js';
import { batchToEntries, entriesToBatch } from '../../../nodes/kernels/tf/weights.js';
import { rngFrom } from '../../../engine/rng.js';
import { testContext } from '../../helpers/context.js';
import { memoryReader } from '../../helpers/samples.js';
import { syntheticScans, type ScanTables } from './data.js';

// The PyTorch parity fixture's network: its BatchNorm running statistics are those of real
// activations (a freshly initialised network's identity statistics give every slice one output).
const cfg = { backbone: 'small', width: 0.1, depth: 0.3, resolution: 32, embedding: 6, hu: [-1150, 350], fit: 'pad' } as const;
const fixture = fileURLToPath(new URL('../../../../test/fixtures/cnn/tiny.safetensors', import.meta.url));

async function embed(params: EmbedderParams, slices: RecordBatch[], model: RecordBatch[], ctx?: NodeContext<EmbedderParams>): Promise<Outputs[]> {
  if (embedder.mode !== 'barrier') throw new Error('embedder must be a barrier kind');
  const out: Outputs[] = [];
  for await (const o of embedder.run(ctx ?? testContext(params), { slices: memoryReader(slices), model: memoryReader(model) })) out.push(o);
  return out;
}

describe('embedder', function () {
  this.timeout(30_000);
  let data: ScanTables;
  let model: RecordBatch;
  before(async () => {
    data = await syntheticScans({ scans: 3, slices: [6, 9], size: 64, positive: 0.5, splits: { train: 1, validation: 0, test: 1 } }, 2);
    const specs = paramSpecs(architecture(cfg));
    const { entries } = await warmStart(fixture, specs, initialWeights(specs, rngFrom('unused')), 'embedder test');
    model = modelBatch({ ...cfg, hu: [...cfg.hu] }, entries);
  });

  it('embeds every slice of every scan, one batch per scan, and prob = σ(embedding · head)', async () => {
    const ctx = testContext({ batch: 4 });
    const out = await embed({ batch: 4 }, data.slices, [model], ctx);
    expect(ctx.notes.backend).to.be.a('string');
    expect(out).to.have.length(data.slices.length);
    const entries = new Map(batchToEntries(model).map((e) => [e.name, e.data]));
    const [w, b] = [entries.get('head.weight')!, entries.get('head.bias')![0]];
    out.forEach(({ embeddings }, i) => {
      const src = data.slices[i];
      expect(embeddings.numRows).to.equal(src.numRows);
      for (const col of ['scan_id', 'split', 'label', 'slice_index']) expect(Array.from(embeddings.getChild(col)!), col).to.deep.equal(Array.from(src.getChild(col)!));
      for (let r = 0; r < embeddings.numRows; r++) {
        const e = Array.from(embeddings.getChild('embedding')!.get(r) as Iterable<number>);
        expect(e).to.have.length(cfg.embedding);
        const z = e.reduce((acc, v, k) => acc + v * w[k], b);
        expect(embeddings.getChild('prob')!.get(r)).to.be.closeTo(1 / (1 + Math.exp(-z)), 1e-5);
      }
    });
    const probs = out.flatMap((o) => Array.from(o.embeddings.getChild('prob')!) as number[]);
    expect(new Set(probs.map((p) => p.toFixed(6))).size, 'slices get different probabilities').to.be.greaterThan(1);
  });

  it('gives the same values whatever the forward batch size (inference BatchNorm)', async () => {
    const [a, b] = [await embed({ batch: 1 }, data.slices.slice(0, 1), [model]), await embed({ batch: 64 }, data.slices.slice(0, 1), [model])];
    const vals = (o: Outputs[]) => o[0].embeddings.toArray().map((r) => Array.from(r.embedding as Iterable<number>));
    const [va, vb] = [vals(a), vals(b)];
    va.forEach((row, i) => row.forEach((v, k) => expect(v).to.be.closeTo(vb[i][k], 1e-5)));
  });

  it('on 3 threads (worker replicas, wasm) gives the bytes of 1 thread', async () => {
    const bytes = async (threads: number) => {
      const ctx = { ...testContext({ batch: 4 }, { threads }), backend: 'wasm' };
      const out = await embed({ batch: 4 }, data.slices, [model], ctx);
      expect(ctx.notes.threads).to.equal(Math.min(threads, data.slices.length));
      return Buffer.concat(out.flatMap(({ embeddings }) => [embeddings.getChild('embedding')!.data[0].children[0].values, embeddings.getChild('prob')!.data[0].values].map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))));
    };
    const one = await bytes(1);
    expect(one.length).to.be.above(0);
    expect((await bytes(3)).equals(one)).to.equal(true);
    expect((await bytes(2)).equals(one)).to.equal(true);
  });

  it('refuses a weights table that is not a cnn-trainer model, or lists a tensor twice', async () => {
    const entries = batchToEntries(model);
    const noConfig = entriesToBatch(entries.filter((e) => e.name !== CONFIG_ROW));
    const err = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
    expect(await err(embed({ batch: 4 }, data.slices, [noConfig]))).to.include(`embedder node "node": the model table has no "${CONFIG_ROW}" row; connect the model output of a cnn-trainer node`);
    expect(await err(embed({ batch: 4 }, data.slices, [model, model]))).to.include('lists tensor "ctflow.cnn.config" twice');
    const missing = entriesToBatch(entries.filter((e) => e.name !== 'head.bias'));
    expect(await err(embed({ batch: 4 }, data.slices, [missing]))).to.include('tensor "head.bias" is missing');
  });
});
