// PyTorch weights from safetensors (fixture written by test/fixtures/safetensors/make-fixture.py).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type * as TFJS from '@tensorflow/tfjs';
import { useBackend } from '../../../nodes/kernels/tf/backend.js';
import { readSafetensors, type NameMap } from '../../../nodes/kernels/tf/safetensors.js';
import { entriesToBatch, loadWeightsInto, type WeightEntry } from '../../../nodes/kernels/tf/weights.js';

const dir = new URL('../../../../test/fixtures/safetensors/', import.meta.url);
const fixture = new Uint8Array(readFileSync(new URL('tiny.safetensors', dir)));
const expected = JSON.parse(readFileSync(new URL('tiny-expected.json', dir), 'utf8')) as { input_nchw: number[][][][]; conv_output_nchw: number[][][][] };

const map: NameMap = (name, shape) => {
  if (name === 'steps') return null;
  if (name.startsWith('features.0.')) return { name: `stem/${name.endsWith('weight') ? 'kernel' : 'bias'}`, layout: shape.length === 4 ? 'conv' : 'as-is' };
  if (name === 'features.1.weight') return { name: 'dw/depthwise_kernel', layout: 'depthwise' };
  return { name, layout: shape.length === 2 ? 'linear' : 'as-is' };
};

/** Element at a multi-index of a row-major entry. */
function at(e: WeightEntry, ...idx: number[]): number {
  let flat = 0;
  idx.forEach((v, d) => (flat = flat * e.shape[d] + v));
  return e.data[flat];
}

/** A safetensors file made by hand: header JSON and data bytes. */
function file(header: object, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, data]));
}

describe('safetensors import', () => {
  const entries = readSafetensors(fixture, { source: 'tiny.safetensors', map });
  const byName = new Map(entries.map((e) => [e.name, e]));

  it('renames and skips through the name map', () => {
    expect(entries.map((e) => e.name)).to.deep.equal(['stem/kernel', 'stem/bias', 'dw/depthwise_kernel', 'classifier.weight', 'classifier.bias', 'bn.num_batches_tracked']);
  });

  it('turns a conv weight OIHW [4,2,3,3] into HWIO [3,3,2,4]', () => {
    const w = byName.get('stem/kernel')!;
    expect([w.shape, w.dtype]).to.deep.equal([[3, 3, 2, 4], 'float32']);
    for (let h = 0; h < 3; h++) for (let x = 0; x < 3; x++) for (let i = 0; i < 2; i++) for (let o = 0; o < 4; o++) {
      expect(at(w, h, x, i, o)).to.equal(o * 1000 + i * 100 + h * 10 + x);
    }
    expect(Array.from(byName.get('stem/bias')!.data)).to.deep.equal([0.5, -1.5, 2.25, 3]);
  });

  it('turns a depthwise weight [4,1,3,3] into [3,3,4,1]', () => {
    const w = byName.get('dw/depthwise_kernel')!;
    expect(w.shape).to.deep.equal([3, 3, 4, 1]);
    for (let h = 0; h < 3; h++) for (let x = 0; x < 3; x++) for (let c = 0; c < 4; c++) expect(at(w, h, x, c, 0)).to.equal(c * 100 + h * 10 + x);
  });

  it('turns a half-precision Linear weight [3,4] into float32 [4,3], and reads bfloat16, int64 and int32', () => {
    const w = byName.get('classifier.weight')!;
    expect([w.shape, w.dtype]).to.deep.equal([[4, 3], 'float32']);
    for (let i = 0; i < 4; i++) for (let o = 0; o < 3; o++) expect(at(w, i, o)).to.equal((o * 4 + i) / 4 - 1);
    expect(Array.from(byName.get('classifier.bias')!.data)).to.deep.equal([1.5, -2.25, 0.09375]);
    const n = byName.get('bn.num_batches_tracked')!;
    expect([n.shape, n.dtype, Array.from(n.data)]).to.deep.equal([[], 'int32', [123456]]);
    const steps = readSafetensors(fixture).find((e) => e.name === 'steps')!;
    expect([steps.dtype, Array.from(steps.data)]).to.deep.equal(['int32', [7, -9]]);
  });

  it('loads into a tfjs Conv2D that then matches the PyTorch-semantics convolution of the fixture', async () => {
    const { tf } = await useBackend('wasm');
    const model = tf.sequential({ layers: [tf.layers.conv2d({ name: 'stem', inputShape: [5, 5, 2], filters: 4, kernelSize: 3 })] });
    await loadWeightsInto(model, entriesToBatch(entries.filter((e) => e.name.startsWith('stem/'))), 'tiny.safetensors');
    const x = tf.tensor4d(expected.input_nchw).transpose([0, 2, 3, 1]);
    const y = model.predict(x) as TFJS.Tensor;
    const want = tf.tensor4d(expected.conv_output_nchw).transpose([0, 2, 3, 1]);
    const got = await y.data();
    const ref = await want.data();
    const scale = Math.max(...Array.from(ref, Math.abs));
    expect(Math.max(...Array.from(ref, (r, i) => Math.abs(r - got[i]))) / scale).to.be.below(1e-6);
    tf.dispose([x, y, want]);
    model.dispose();
  });

  it('names the file and the tensor when the data is truncated, the header too long, a dtype unknown or an int64 too large', () => {
    expect(() => readSafetensors(fixture.subarray(0, fixture.length - 4), { source: 'cut.safetensors' }))
      .to.throw('cut.safetensors: tensor "steps" has data_offsets');
    expect(() => readSafetensors(fixture.subarray(0, 100), { source: 'head.safetensors' })).to.throw(/head.safetensors: header length \d+ exceeds/);
    expect(() => readSafetensors(file({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), { source: 'f64.safetensors' }))
      .to.throw('f64.safetensors: tensor "w" has dtype F64; supported: F32, F16, BF16, I32, I64');
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    expect(() => readSafetensors(file({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, big), { source: 'i64.safetensors' }))
      .to.throw('i64.safetensors: tensor "n" (I64) has values outside the int32 range');
  });
});
