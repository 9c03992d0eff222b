// The hand-assembled WebAssembly SIMD product against a plain loop (strides, transposed operands,
// widths that are and are not multiples of 16), its softmax and softmax gradient against Math.exp, and the fused window attention on wasm against the
// TensorFlow.js-ops attention on the CPU backend at Swin-T-like sizes (49-token windows, shift mask).
import { expect } from 'chai';
import type * as TFJS from '@tensorflow/tfjs';
import { rngFrom } from '../../../engine/rng.js';
import { useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { simdKernels } from '../../../nodes/kernels/seq/simd.js';
import { windowAttention } from '../../../nodes/kernels/seq/swin-attention.js';
import { relErr } from './fixtures.js';

let tf: TF;
const rng = rngFrom('seq-kernels');
const random = (n: number) => Float32Array.from({ length: n }, () => 2 * rng() - 1);

interface Heap { makeOutput(shape: number[], dtype: 'float32'): TFJS.TensorInfo; typedArrayFromHeap(i: TFJS.TensorInfo): Float32Array; disposeData(id: object): void }

describe('sequence-model kernels', function () {
  this.timeout(60_000);
  before(async () => {
    ({ tf } = await useBackend('wasm'));
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  it('SIMD gemm: C[i, :K] = Σ_j A[i·sar + j·sac] · B[j·ldb + :K] over shapes, strides and transposed A', () => {
    const be = tf.backend() as unknown as Heap;
    const { gemm } = simdKernels(be)!;
    expect(gemm).to.be.a('function');
    for (const [M, N, K, transposed] of [[5, 7, 4, false], [49, 16, 52, false], [49, 49, 16, true], [3, 20, 36, true], [1, 100, 8, false], [4, 3, 20, false]] as const) {
      const [lda, ldb, ldc] = [(transposed ? M : N) + 3, K + 5, K + 2];
      const rowsA = transposed ? N : M;
      const [a, b, c] = [[rowsA, lda], [N, ldb], [M, ldc]].map((s) => be.makeOutput(s, 'float32'));
      const [A, B] = [random(rowsA * lda), random(N * ldb)];
      be.typedArrayFromHeap(a).set(A);
      be.typedArrayFromHeap(b).set(B);
      be.typedArrayFromHeap(c).fill(7);
      const [sar, sac] = transposed ? [1, lda] : [lda, 1];
      gemm(be.typedArrayFromHeap(a).byteOffset, sar, sac, be.typedArrayFromHeap(b).byteOffset, ldb, be.typedArrayFromHeap(c).byteOffset, ldc, M, N, K);
      const C = be.typedArrayFromHeap(c);
      const want: number[] = [], got: number[] = [];
      for (let i = 0; i < M; i++) {
        for (let k = 0; k < ldc; k++) {
          let s = 0;
          for (let j = 0; j < N; j++) s += A[i * sar + j * sac] * B[j * ldb + k];
          want.push(k < K ? s : 7);                               // past K the row is left alone
          got.push(C[i * ldc + k]);
        }
      }
      expect(relErr(got, want), `M ${M} N ${N} K ${K}${transposed ? ' Aᵀ' : ''}`).to.be.below(1e-6);
      for (const t of [a, b, c]) be.disposeData(t.dataId);
    }
  });

  it('SIMD softmax and its gradient: rows padded to a multiple of 4, scores from −120 to 40, within float32 rounding of Math.exp', () => {
    const be = tf.backend() as unknown as Heap;
    const k = simdKernels(be)!;
    const [rows, N, cols, scale] = [7, 49, 52, 0.37];
    const S = Float32Array.from({ length: rows * cols }, () => 100 * rng() - 60);
    const T = Float32Array.from({ length: rows * cols }, (_, i) => (i % cols >= N ? -1e30 : rng() < 0.2 ? -100 : rng()));
    const dP = Float32Array.from({ length: rows * cols }, (_, i) => (i % cols >= N ? 0 : 2 * rng() - 1));
    const acc0 = random(rows * cols);
    const bufs = [S, T, new Float32Array(rows * cols), dP, acc0, new Float32Array(rows * cols)].map((v) => {
      const info = be.makeOutput([v.length], 'float32');
      be.typedArrayFromHeap(info).set(v);
      return info;
    });
    const [s, t, p, dp, acc, ds] = bufs.map((b) => be.typedArrayFromHeap(b).byteOffset);
    k.softmax(s, t, scale, p, rows, cols);
    k.softmaxGrad(p, dp, acc, ds, scale, rows, cols);
    const [P, ACC, DS] = [2, 4, 5].map((i) => be.typedArrayFromHeap(bufs[i]));
    const want = { p: [] as number[], acc: [] as number[], ds: [] as number[] }, got = { p: [] as number[], acc: [] as number[], ds: [] as number[] };
    for (let r = 0; r < rows; r++) {
      const z = Array.from({ length: N }, (_, j) => scale * S[r * cols + j] + T[r * cols + j]);
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      const pr = e.map((v) => v / sum);
      const dot = pr.reduce((a, v, j) => a + v * dP[r * cols + j], 0);
      pr.forEach((v, j) => {
        const g = v * (dP[r * cols + j] - dot);
        want.p.push(v); want.acc.push(acc0[r * cols + j] + g); want.ds.push(scale * g);
        got.p.push(P[r * cols + j]); got.acc.push(ACC[r * cols + j]); got.ds.push(DS[r * cols + j]);
      });
      for (let j = N; j < cols; j++) expect(P[r * cols + j], 'padding').to.be.below(1e-30);
    }
    for (const key of ['p', 'acc', 'ds'] as const) expect(relErr(got[key], want[key]), key).to.be.below(2e-6);
    for (const b of bufs) be.disposeData(b.dataId);
  });

  it('fused window attention (wasm) equals the TensorFlow.js ops (cpu): output and gradients of qkv and bias, with and without the shift mask', async () => {
    const [images, windows, N, heads, d] = [2, 4, 49, 3, 32];
    const C = heads * d, rows = images * windows * N;
    const qkvV = random(rows * 3 * C), biasV = random(heads * N * N), r = random(rows * C);
    const maskV = Float32Array.from({ length: windows * N * N }, () => (rng() < 0.3 ? -100 : 0));
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      for (const masked of [false, true]) {
        const [qkv, bias, R] = [tf.tensor2d(qkvV, [rows, 3 * C]), tf.tensor3d(biasV, [heads, N, N]), tf.tensor2d(r, [rows, C])];
        const mask = masked ? tf.tensor4d(maskV, [windows, 1, N, N]) : null;
        const outs = tf.tidy(() => {
          const f = (q: TFJS.Tensor, b: TFJS.Tensor) => windowAttention(tf, q, b, mask, { windows, tokens: N, heads });
          const { value, grads } = tf.valueAndGrads((q: TFJS.Tensor, b: TFJS.Tensor) => tf.sum(tf.mul(f(q, b), R)))([qkv, bias]);
          return [f(qkv, bias), value, ...grads];
        });
        results[`${backend}:${masked}`] = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
        tf.dispose([...outs, qkv, bias, R, ...(mask ? [mask] : [])]);
      }
    }
    for (const masked of [false, true]) {
      const [w, c] = [results[`wasm:${masked}`], results[`cpu:${masked}`]];
      ['output', 'loss', 'grad qkv', 'grad bias'].forEach((what, i) => expect(relErr(w[i], c[i]), `${what}${masked ? ' (masked)' : ''}`).to.be.below(1e-5));
    }
  });
});
