// synthetic-ct: output contract, determinism, laziness, and the properties of the images measured
// from the pixels alone (no access to the generator's tissue labels).
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import kind, { assignment, type SyntheticCtParams } from '../../nodes/synthetic-ct.js';
import { Slices } from '../../nodes/tables.js';
import { generateScan } from '../../nodes/kernels/synthetic/scan.js';
import type { NodeContext, Outputs } from '../../engine/types.js';
import { testContext } from '../helpers/context.js';

const defaults: SyntheticCtParams = {
  scans: 2, slices: [10, 14], size: 64, positive: 0.5, extent: 1, splits: { train: 0.7, validation: 0.15, test: 0.15 }, prefix: 'syn-',
};

function run(ctx: NodeContext<SyntheticCtParams>): AsyncIterable<Outputs> {
  if (kind.mode !== 'source') throw new Error('synthetic-ct must be a source kind');
  return kind.run(ctx);
}

async function generate(params: Partial<SyntheticCtParams>, seed = 1): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const o of run(testContext({ ...defaults, ...params }, { seed }))) out.push(o.slices);
  return out;
}

interface Scan { id: string; split: string; label: number; n: number; size: number; pixelMm: number; slices: Int16Array[] }

function read(b: RecordBatch): Scan {
  const col = (name: string) => b.getChild(name)!;
  const size = col('width').get(0) as number;
  const slices: Int16Array[] = [];
  for (let i = 0; i < b.numRows; i++) {
    const bytes = col('pixels').get(i) as Uint8Array;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const px = new Int16Array(bytes.byteLength / 2);
    for (let j = 0; j < px.length; j++) px[j] = view.getInt16(2 * j, true);
    slices.push(px);
  }
  return {
    id: col('scan_id').get(0), split: col('split').get(0), label: col('label').get(0),
    n: b.numRows, size, pixelMm: col('pixel_mm').get(0), slices,
  };
}

/** Flood fill (4-connected) from `seeds` over pixels where `ok`; returns the reached mask. */
function flood(n: number, ok: (i: number) => boolean, seeds: number[]): Uint8Array {
  const seen = new Uint8Array(n * n), queue = new Int32Array(n * n);
  let head = 0, tail = 0;
  for (const s of seeds) if (ok(s) && !seen[s]) { seen[s] = 1; queue[tail++] = s; }
  while (head < tail) {
    const i = queue[head++], r = Math.floor(i / n), c = i % n;
    for (const j of [c > 0 ? i - 1 : -1, c < n - 1 ? i + 1 : -1, r > 0 ? i - n : -1, r < n - 1 ? i + n : -1]) {
      if (j >= 0 && !seen[j] && ok(j)) { seen[j] = 1; queue[tail++] = j; }
    }
  }
  return seen;
}

/**
 * The body as the paper's crop finds it (largest 4-connected component above -500 HU, which leaves
 * out the table behind its air gap) and `inside`: what the body encloses (lungs, airways, gas).
 */
function segment(px: Int16Array, n: number): { body: Uint8Array; inside: Uint8Array; bodyCol: number } {
  const dense = (i: number) => px[i] > -500;
  const taken = new Uint8Array(n * n);
  let body: Uint8Array = new Uint8Array(n * n), best = 0;
  for (let i = 0; i < n * n; i++) {
    if (taken[i] || !dense(i)) continue;
    const comp = flood(n, (j) => !taken[j] && dense(j), [i]);
    let size = 0;
    for (let j = 0; j < n * n; j++) if (comp[j]) { taken[j] = 1; size++; }
    if (size > best) { best = size; body = comp; }
  }
  const border: number[] = [];
  for (let k = 0; k < n; k++) border.push(k, n * (n - 1) + k, k * n, k * n + n - 1);
  const outside = flood(n, (j) => !body[j], border);
  const inside = new Uint8Array(n * n);
  let sumCol = 0, count = 0;
  for (let i = 0; i < n * n; i++) {
    inside[i] = body[i] || outside[i] ? 0 : 1;
    if (body[i]) { sumCol += i % n; count++; }
  }
  return { body, inside, bodyCol: count ? sumCol / count : n / 2 };
}

/**
 * Lung-like pixels per slice: below -600 HU inside the body and connected in 3-D to the dark
 * pixels of the slice that has most of them (this leaves out stomach and bowel gas), split into
 * the patient's right (image left of the body's centre) and left.
 */
function lungCurve(scan: Scan): { total: number[]; right: number[]; left: number[] } {
  const { n, size } = scan;
  const segs = scan.slices.map((px) => segment(px, size));
  const dark = scan.slices.map((px, s) => px.map((v, i) => (segs[s].inside[i] && v < -600 ? 1 : 0)));
  const counts = dark.map((d) => d.reduce((a, b) => a + b, 0));
  const peak = counts.indexOf(Math.max(...counts));
  const lung = dark.map(() => new Uint8Array(size * size));
  const stack: number[] = [];
  dark[peak].forEach((v, i) => { if (v) { lung[peak][i] = 1; stack.push(peak, i); } });
  while (stack.length) {
    const i = stack.pop()!, s = stack.pop()!;
    const r = Math.floor(i / size), c = i % size;
    const next: [number, number][] = [[s - 1, i], [s + 1, i]];
    if (c > 0) next.push([s, i - 1]);
    if (c < size - 1) next.push([s, i + 1]);
    if (r > 0) next.push([s, i - size]);
    if (r < size - 1) next.push([s, i + size]);
    for (const [t, j] of next) if (t >= 0 && t < n && dark[t][j] && !lung[t][j]) { lung[t][j] = 1; stack.push(t, j); }
  }
  const right: number[] = [], left: number[] = [];
  lung.forEach((m, s) => {
    let a = 0, b = 0;
    m.forEach((v, i) => { if (v) { if (i % size < segs[s].bodyCol) a++; else b++; } });
    right.push(a); left.push(b);
  });
  return { total: right.map((a, i) => a + left[i]), right, left };
}

/** Area under the ROC curve of `a` (positives) against `b`: 0.5 when they are alike. */
function auc(a: number[], b: number[]): number {
  let s = 0;
  for (const x of a) for (const y of b) s += x > y ? 1 : x === y ? 0.5 : 0;
  return s / (a.length * b.length);
}

/** A pixel whose whole 3×3 neighbourhood lies in -780…-220 HU: inside a hazy region, not on an edge. */
function hazy(px: Int16Array, n: number, i: number): boolean {
  const r = Math.floor(i / n), c = i % n;
  if (r < 1 || c < 1 || r > n - 2 || c > n - 2) return false;
  for (let dr = -n; dr <= n; dr += n) for (let dc = -1; dc <= 1; dc++) {
    const v = px[i + dr + dc];
    if (v < -780 || v > -220) return false;
  }
  return true;
}

const lastAbove = (xs: number[], t: number) => xs.reduce((last, x, i) => (x >= t ? i : last), -1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('synthetic-ct', function () {
  this.timeout(30000);

  it('emits one Slices batch per scan with the declared columns', async () => {
    const batches = await generate({ scans: 3, slices: [10, 14], size: 64, prefix: 'demo-' });
    expect(batches).to.have.length(3);
    batches.forEach((b, k) => {
      expect(b.schema.fields.map((f) => `${f.name}:${f.type}`)).to.deep.equal(Slices.schema.fields.map((f) => `${f.name}:${f.type}`));
      expect(b.numRows).to.be.within(10, 14);
      const col = (name: string) => Array.from({ length: b.numRows }, (_, i) => b.getChild(name)!.get(i));
      expect(col('slice_index')).to.deep.equal(col('slice_index').map((_, i) => i));
      expect(new Set(col('scan_id'))).to.deep.equal(new Set([`demo-000${k}`]));
      expect(new Set(col('split')).size).to.equal(1);
      expect(new Set(col('label')).size).to.equal(1);
      expect(col('height').concat(col('width')).every((v) => v === 64)).to.equal(true);
      expect(col('pixels').every((p: Uint8Array) => p.byteLength === 64 * 64 * 2)).to.equal(true);
      const pos = col('position_mm') as number[];
      expect(pos.slice(1).every((p, i) => p < pos[i]), 'position_mm falls from head to feet').to.equal(true);
      const mm = col('pixel_mm') as number[];
      expect(mm[0]).to.be.within(300 / 64, 520 / 64);
      expect(new Set(mm).size).to.equal(1);
    });
  });

  it('is deterministic in the seed: same seed, same bytes; another seed, other images', async () => {
    const a = (await generate({ scans: 2 }, 5)).map(read);
    const b = (await generate({ scans: 2 }, 5)).map(read);
    const c = (await generate({ scans: 2 }, 6)).map(read);
    expect(b).to.deep.equal(a);
    expect(c[0].slices[0]).to.not.deep.equal(a[0].slices[0]);
  });

  it('gives scan k the same content whatever the number of scans', async () => {
    const three = (await generate({ scans: 3 }, 9)).map(read);
    const five = (await generate({ scans: 5 }, 9)).map(read);
    expect(five.slice(0, 3)).to.deep.equal(three);
  });

  it('generates lazily, one scan per pull', async () => {
    const seen: number[] = [];
    const ctx = { ...testContext({ ...defaults, scans: 1000 }), progress: (done: number) => { seen.push(done); } };
    const it = run(ctx)[Symbol.asyncIterator]();
    await it.next();
    expect(seen).to.deep.equal([1]);
    await it.next();
    expect(seen).to.deep.equal([1, 2]);
    await it.return?.(undefined);
  });

  it('pads outside the reconstruction circle with -3024 and keeps HU plausible inside', async () => {
    for (const scan of (await generate({ scans: 2, size: 128 }, 3)).map(read)) {
      const n = scan.size, h = n / 2;
      for (const px of scan.slices) {
        let lo = Infinity, hi = -Infinity;
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < n; c++) {
            const d = Math.hypot(r + 0.5 - h, c + 0.5 - h), v = px[r * n + c];
            if (d > h + 0.01) expect(v).to.equal(-3024);
            else if (d < h - 1) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
          }
        }
        expect(lo).to.be.within(-1300, -850);
        expect(hi).to.be.within(300, 1600);
      }
    }
  });

  it('assigns labels and splits close to the requested fractions, independently of each other', () => {
    const splits = { train: 0.6, validation: 0.2, test: 0.2 };
    const a = Array.from({ length: 400 }, (_, k) => assignment(11, k, 0.3, splits));
    const frac = (f: (x: (typeof a)[number]) => boolean, xs = a) => xs.filter(f).length / xs.length;
    expect(frac((x) => x.label === 1)).to.be.closeTo(0.3, 0.02);
    expect(frac((x) => x.split === 'train')).to.be.closeTo(0.6, 0.02);
    expect(frac((x) => x.split === 'test')).to.be.closeTo(0.2, 0.02);
    const train = a.filter((x) => x.split === 'train');
    expect(frac((x) => x.label === 1, train)).to.be.closeTo(0.3, 0.05);
    expect(Array.from({ length: 50 }, (_, k) => assignment(11, k, 0, splits).label)).to.not.include(1);
    expect(Array.from({ length: 50 }, (_, k) => assignment(11, k, 1, splits).label)).to.not.include(0);
    expect(a.map((x) => x.label)).to.not.deep.equal(Array.from({ length: 400 }, (_, k) => assignment(12, k, 0.3, splits).label));
  });

  it('rejects a reversed slice range and all-zero splits, naming the param (its check, which validation calls)', () => {
    const params = (p: Partial<SyntheticCtParams>) => ({ scans: 2, slices: [8, 12], size: 64, positive: 0.5, extent: 1, splits: { train: 0.7, validation: 0.15, test: 0.15 }, prefix: 'x', ...p }) as SyntheticCtParams;
    expect(kind.check!(params({ slices: [40, 10] }))).to.deep.include({ param: 'slices', hint: 'write it as [10, 40]' });
    expect(kind.check!(params({ splits: { train: 0, validation: 0, test: 0 } }))?.param).to.equal('splits');
    expect(kind.check!(params({}))).to.equal(undefined);
  });

  it('has lungs that grow from the apex, peak at 60–70% of their height and shrink toward the base, the right one first', async () => {
    // Negatives only: ground glass and consolidation lift lung pixels above -600 and dent the curve.
    const scans = (await generate({ scans: 12, slices: [60, 60], size: 128, positive: 0 }, 21)).map(read);
    const curves = scans.map(lungCurve).filter((c) => c.total[0] < 0.05 * Math.max(...c.total));
    expect(curves.length, 'scans that start above the lung apex').to.be.at.least(4);
    const rel: number[] = [];
    let rightFirst = 0;
    for (const { total, right, left } of curves) {
      const smooth = total.map((_, i) => total.slice(Math.max(0, i - 2), i + 3).reduce((a, b) => a + b, 0) / total.slice(Math.max(0, i - 2), i + 3).length);
      const peak = Math.max(...smooth), top = smooth.indexOf(peak);
      const apex = total.findIndex((v) => v >= 0.05 * peak), base = lastAbove(total, 0.05 * peak);
      rel.push((top - apex) / (base - apex));
      expect(total[apex], 'the apex grows from nothing').to.be.below(0.3 * peak);
      expect(smooth[Math.round(top + 0.8 * (base - top))], '4/5 of the way from peak to base').to.be.below(0.75 * peak);
      const rises = smooth.slice(top + 1, base + 1).filter((v, i) => v > 1.03 * smooth[top + i]).length;
      expect(rises, 'the curve falls steadily below its peak').to.equal(0);
      if (lastAbove(right, 0.5 * Math.max(...right)) < lastAbove(left, 0.5 * Math.max(...left))) rightFirst++;
    }
    expect(median(rel)).to.be.within(0.58, 0.72);
    rel.forEach((r) => expect(r).to.be.within(0.45, 0.8));
    expect(rightFirst, 'right lung shrinks before the left').to.be.at.least(curves.length - 1);
  });

  it('makes positives differ from negatives in ground glass only, not in size, slices or noise', async () => {
    const scans = (await generate({ scans: 40, slices: [10, 30], size: 128 }, 4)).map(read);
    const stats = scans.map((scan) => {
      let body = 0, ggo = 0, lungLike = 0;
      const diffs: number[] = [];
      for (const px of scan.slices) {
        const n = scan.size, { body: b, inside } = segment(px, n);
        for (let i = 0; i < n * n; i++) {
          if (b[i]) body++;
          if (inside[i] && px[i] < -600) lungLike++;
          if ((b[i] || inside[i]) && hazy(px, n, i)) ggo++;
          const air = (v: number) => v > -1150 && v < -850;
          if (!b[i] && !inside[i] && i % n < n - 1 && air(px[i]) && air(px[i + 1]) && !b[i + 1]) diffs.push(Math.abs(px[i] - px[i + 1]));
        }
      }
      return {
        label: scan.label, n: scan.n,
        bodyMm2: (body / scan.n) * scan.pixelMm ** 2,
        sigma: median(diffs) / 0.6745 / Math.SQRT2,
        ggo: ggo / Math.max(1, lungLike),
      };
    });
    const pos = stats.filter((s) => s.label === 1), neg = stats.filter((s) => s.label === 0);
    expect(pos.length).to.be.within(15, 25);
    stats.forEach((s) => expect(s.sigma).to.be.within(8, 33));
    for (const key of ['n', 'bodyMm2', 'sigma'] as const) {
      expect(auc(pos.map((s) => s[key]), neg.map((s) => s[key])), key).to.be.within(0.2, 0.8);
    }
    expect(auc(pos.map((s) => s.ggo), neg.map((s) => s.ggo)), 'ground glass separates the labels').to.be.above(0.8);
  });
  it('extent enlarges the ground glass of positive scans and leaves negatives byte-identical', async () => {
    const params = { scans: 8, slices: [12, 16] as [number, number], size: 64 as const };
    const [plain, wide] = await Promise.all([1, 3].map(async (extent) => (await generate({ ...params, extent }, 5)).map(read)));
    const hazyCount = (slices: Int16Array[]) => slices.reduce((sum, px) => sum + px.filter((_, i) => hazy(px, params.size, i)).length, 0);
    let positives = 0;
    plain.forEach((a, k) => {
      const b = wide[k];
      expect([b.id, b.label, b.n]).to.deep.equal([a.id, a.label, a.n]);
      if (a.label === 0) {
        expect(b.slices, `negative ${a.id}`).to.deep.equal(a.slices);
        return;
      }
      // Ground glass = hazy pixels beyond those of the same patient drawn as a negative.
      const s = generateScan(`5:${k}`, 0, params.slices, params.size);
      const base = hazyCount(a.slices.map((_, i) => s.pixels.subarray(i * 64 * 64, (i + 1) * 64 * 64)));
      positives++;
      expect(hazyCount(b.slices) - base, `ground-glass pixels of positive ${a.id}`).to.be.above(2 * (hazyCount(a.slices) - base));
    });
    expect(positives).to.be.at.least(2);
  });
});
