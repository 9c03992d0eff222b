// Scan metadata from the windows table, slices read a scan at a time in slice_index order, and
// the batch and epoch sampling.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../../../engine/ports.js';
import { rngFrom } from '../../../engine/rng.js';
import type { TableReader } from '../../../engine/types.js';
import { batchPositions, epochBatches, scanIndex, shares, SliceSource } from '../../../nodes/kernels/cnn/sampling.js';
import { Slices, Windows } from '../../../nodes/tables.js';
import { memoryReader } from '../../helpers/samples.js';

/** A scan whose slice k is 2×3 pixels of 100·k HU, rows stored in `order` of slice_index. */
function scan(id: string, order: number[]): RecordBatch {
  const n = order.length;
  return makeBatch(Slices, {
    scan_id: Array(n).fill(id), split: Array(n).fill('train'), label: Array(n).fill(1), slice_index: order,
    height: Array(n).fill(2), width: Array(n).fill(3),
    pixels: order.map((k) => new Uint8Array(Int16Array.from(Array(6).fill(100 * k)).buffer)),
    position_mm: Array(n).fill(null), pixel_mm: Array(n).fill(null),
  });
}

const window = (id: string, n: number, start: number, end: number, split = 'train') =>
  makeBatch(Windows, { scan_id: [id], split: [split], label: [1], n_slices: [n], start: [start], end: [end], area_sum: [0] });

/** A reader that counts batch reads. */
function counting(batches: RecordBatch[]): TableReader & { reads: number } {
  const r = { ...memoryReader(batches), reads: 0 };
  r.batch = async (i) => { r.reads++; return batches[i]; };
  return r;
}

const who = 'cnn-trainer node "t"';
const errorOf = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);

describe('cnn: scans and sampling', () => {
  it('indexes scans from the windows table and reads slices in slice_index order, a few scans kept decoded', async () => {
    const slices = counting([scan('a', [3, 1, 0, 2]), scan('b', [0, 1, 2])]);
    const metas = await scanIndex(memoryReader([window('a', 4, 1, 3), window('b', 3, 0, 3, 'validation')]), slices, who);
    expect(metas.map((m) => [m.scanId, m.split, m.start, m.end, m.batch])).to.deep.equal([['a', 'train', 1, 3, 0], ['b', 'validation', 0, 3, 1]]);
    expect(slices.reads, 'the index reads only the windows').to.equal(0);
    const source = new SliceSource(slices, { resolution: 2, hu: [0, 400], fit: 'stretch' }, who, 1);
    const img = await source.images(metas[0], [3, 0, 1]);
    expect(Array.from(img)).to.deep.equal([...Array(4).fill(0.75), ...Array(4).fill(0), ...Array(4).fill(0.25)]);
    await source.images(metas[0], [2]);
    expect(slices.reads).to.equal(1);
    await source.images(metas[1], [2]);
    await source.images(metas[0], [2]);
    expect(slices.reads, 'a cache of one scan: a re-read after another scan').to.equal(3);
  });

  it('refuses tables that do not line up, naming the scans and the fix', async () => {
    const slices = memoryReader([scan('a', [0, 1]), scan('b', [0, 1])]);
    expect(await errorOf(scanIndex(memoryReader([window('a', 2, 0, 1)]), slices, who))).to.include('windows table has 1 scans but the slices table has 2');
    expect(await errorOf(scanIndex(memoryReader([window('a', 2, 0, 3), window('b', 2, 0, 1)]), slices, who))).to.include('scan "a" has the window [0, 3) outside its 2 slices');
    const metas = await scanIndex(memoryReader([window('b', 2, 0, 1), window('a', 2, 0, 1)]), slices, who);
    const source = new SliceSource(slices, { resolution: 2, hu: [0, 400], fit: 'stretch' }, who);
    expect(await errorOf(source.images(metas[0], [0]))).to.include('slices batch 0 holds scan "a" but windows row 0 is scan "b"').and.include('same order');
    const short = await scanIndex(memoryReader([window('a', 5, 0, 1), window('b', 2, 0, 1)]), slices, who);
    expect(await errorOf(new SliceSource(slices, { resolution: 2, hu: [0, 1], fit: 'stretch' }, who).images(short[0], [0]))).to.include('scan "a" has 2 slices but its window row says n_slices = 5');
  });

  it('fills a batch from a window: without replacement when the window is large enough, every slice when it is not', () => {
    const rng = rngFrom('positions');
    const big = batchPositions(rng, 10, 40, 16);
    expect(big).to.have.length(16);
    expect(new Set(big).size).to.equal(16);
    expect(big.every((p) => p >= 10 && p < 40)).to.equal(true);
    const small = batchPositions(rng, 3, 8, 16);
    expect(small).to.have.length(16);
    expect([...new Set(small)].sort((a, b) => a - b)).to.deep.equal([3, 4, 5, 6, 7]);
    expect(() => batchPositions(rng, 4, 4, 2)).to.throw('no slices in the window [4, 4)');
  });

  it('visits every training scan once per pass, in groups of scans per batch, and splits a batch between them', () => {
    const scans = ['a', 'b', 'c', 'd', 'e'];
    const groups = epochBatches(rngFrom('epoch'), scans, 5, 2);
    expect(groups.map((g) => g.length)).to.deep.equal([2, 2, 2, 2, 2]);
    expect([...groups.flat().slice(0, 5)].sort()).to.deep.equal(scans);
    expect([...groups.flat().slice(5)].every((s) => scans.includes(s))).to.equal(true);
    expect(epochBatches(rngFrom('epoch'), scans, 5, 2)).to.deep.equal(groups);
    expect(shares(16, 3)).to.deep.equal([6, 5, 5]);
    expect(shares(16, 1)).to.deep.equal([16]);
  });
});
