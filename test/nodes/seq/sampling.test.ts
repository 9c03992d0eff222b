// Slice draws for the sequence models: the LSTM rule (random subset in slice order, all slices when
// fewer), the Swin rule (exactly `length`: all slices plus repeats when fewer), uniformity, and the
// sequence-sampler node: draws per scan, seeded reproducibility, independence from other scans.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import { rngFrom } from '../../../engine/rng.js';
import type { Outputs } from '../../../engine/types.js';
import { scansOf } from '../../../nodes/kernels/seq/data.js';
import { drawFilled, drawSubset } from '../../../nodes/kernels/seq/sampling.js';
import { epochDraw } from '../../../nodes/kernels/seq/train.js';
import sequenceSampler, { type SequenceSamplerParams } from '../../../nodes/sequence-sampler.js';
import { Embeddings } from '../../../nodes/tables.js';
import { testContext } from '../../helpers/context.js';

const slicesOf = (n: number, first = 3) => Int32Array.from({ length: n }, (_, i) => first + 2 * i);
const ascending = (xs: Int32Array) => xs.every((v, i) => i === 0 || xs[i - 1] <= v);
const strictly = (xs: Int32Array) => xs.every((v, i) => i === 0 || xs[i - 1] < v);

/** An embeddings batch whose rows come in shuffled slice order. */
function scan(id: string, n: number, split = 'train'): RecordBatch {
  const index = Array.from(slicesOf(n)).reverse();
  return makeBatch(Embeddings, {
    scan_id: Array(n).fill(id), split: Array(n).fill(split), label: Array(n).fill(1), slice_index: index,
    embedding: index.map((s) => Float32Array.of(s, 0)), prob: Array(n).fill(0.5),
  });
}

function sample(params: Partial<SequenceSamplerParams>, batches: RecordBatch[], seed = 1): Outputs[] {
  const ctx = testContext({ mode: 'lstm', length: null, draws: 10, ...params } as SequenceSamplerParams, { seed });
  return batches.map((b) => (sequenceSampler.run as (c: typeof ctx, i: Outputs) => Outputs)(ctx, { embeddings: b }));
}

const rows = (o: Outputs) => o.sequences.toArray().map((r) => ({ scan: r.scan_id as string, split: r.split as string, draw: r.draw as number, slices: Int32Array.from(r.slices.toArray()) }));

describe('sequence draws', () => {
  it('lstm: `length` distinct slices in slice order when the scan has more, all of them in order when fewer', () => {
    const rng = rngFrom('subset');
    const all = slicesOf(300);
    for (let k = 0; k < 50; k++) {
      const d = drawSubset(all, 120, rng);
      expect(d.length).to.equal(120);
      expect(strictly(d)).to.equal(true);
      expect(d.every((s) => all.includes(s))).to.equal(true);
    }
    const few = slicesOf(40);
    expect(Array.from(drawSubset(few, 120, rng))).to.deep.equal(Array.from(few));
    expect(drawSubset(few, 120, rng)).to.not.equal(few);
  });

  it('swin: exactly `length` slices in order: every slice plus random repeats when fewer, distinct when more', () => {
    const rng = rngFrom('filled');
    const few = slicesOf(100);
    for (let k = 0; k < 20; k++) {
      const d = drawFilled(few, 224, rng);
      expect(d.length).to.equal(224);
      expect(ascending(d)).to.equal(true);
      expect(new Set(d)).to.deep.equal(new Set(few));
    }
    const many = slicesOf(400);
    const d = drawFilled(many, 224, rng);
    expect(d.length).to.equal(224);
    expect(strictly(d)).to.equal(true);
    expect(Array.from(drawFilled(slicesOf(224), 224, rng))).to.deep.equal(Array.from(slicesOf(224)));
    expect(() => drawFilled(new Int32Array(0), 224, rng)).to.throw(/no slices/);
  });

  it('picks every slice about equally often (subset and repeats)', () => {
    const rng = rngFrom('uniform');
    const all = slicesOf(10, 0);
    const counts = new Map<number, number>();
    const extra = new Map<number, number>();
    for (let k = 0; k < 3000; k++) {
      for (const s of drawSubset(all, 3, rng)) counts.set(s, (counts.get(s) ?? 0) + 1);
      const d = drawFilled(all, 13, rng);
      for (const s of all) extra.set(s, (extra.get(s) ?? 0) + d.filter((v) => v === s).length - 1);
    }
    for (const s of all) {
      expect(counts.get(s)!, `slice ${s} in subsets`).to.be.within(810, 990);          // 3000·3/10 = 900
      expect(extra.get(s)!, `slice ${s} repeated`).to.be.within(810, 990);            // 3000·3/10 = 900
    }
  });

  it('trainers draw afresh every epoch, the same draw for the same epoch', () => {
    const [ref] = scansOf(scan('s', 200), 'test');
    const rngFor = (label: string) => rngFrom(`key:${label}`);
    const e1 = epochDraw('lstm', ref, 120, rngFor, 1);
    expect(Array.from(epochDraw('lstm', ref, 120, rngFor, 1))).to.deep.equal(Array.from(e1));
    expect(Array.from(epochDraw('lstm', ref, 120, rngFor, 2))).to.not.deep.equal(Array.from(e1));
    expect(epochDraw('swin', ref, 224, rngFor, 3).length).to.equal(224);
  });
});

describe('sequence-sampler node', () => {
  it('emits `draws` rows per scan, each in slice order from that scan, the draws differing', () => {
    const [out] = sample({ draws: 10 }, [scan('a', 300, 'validation')]);
    const rs = rows(out);
    expect(rs.map((r) => r.draw)).to.deep.equal([...Array(10).keys()]);
    expect(rs.every((r) => r.scan === 'a' && r.split === 'validation' && r.slices.length === 120 && strictly(r.slices))).to.equal(true);
    expect(rs.every((r) => r.slices.every((s) => s >= 3 && s < 603 && s % 2 === 1))).to.equal(true);
    expect(new Set(rs.map((r) => r.slices.join())).size).to.equal(10);
    expect(out.sequences.getChild('label')!.get(0)).to.equal(1);
  });

  it('uses the mode\'s paper length unless given one, and the swin rule for short scans', () => {
    expect(rows(sample({ mode: 'swin' }, [scan('a', 300)])[0]).every((r) => r.slices.length === 224)).to.equal(true);
    const short = rows(sample({ mode: 'swin', length: 50 }, [scan('b', 20)])[0]);
    expect(short.every((r) => r.slices.length === 50 && new Set(r.slices).size === 20 && ascending(r.slices))).to.equal(true);
    expect(rows(sample({ mode: 'lstm' }, [scan('c', 20)])[0]).every((r) => r.slices.length === 20)).to.equal(true);
  });

  it('gives a scan the same draws whatever other scans come first, the same again for the same seed, other draws for another', () => {
    const alone = rows(sample({}, [scan('x', 150)])[0]);
    const after = rows(sample({}, [scan('y', 150), scan('z', 90), scan('x', 150)])[2]);
    expect(after.map((r) => r.slices.join())).to.deep.equal(alone.map((r) => r.slices.join()));
    const other = rows(sample({}, [scan('x', 150)], 2)[0]);
    expect(other.map((r) => r.slices.join())).to.not.deep.equal(alone.map((r) => r.slices.join()));
  });

  it('names the scan of a slice that appears twice', () => {
    const b = makeBatch(Embeddings, {
      scan_id: ['d', 'd'], split: ['train', 'train'], label: [0, 0], slice_index: [4, 4], embedding: [Float32Array.of(1), Float32Array.of(2)], prob: [0.5, 0.5],
    });
    expect(() => sample({}, [b])).to.throw(/sequence-sampler node "node": scan "d" has two embeddings for slice 4/);
  });
});
