// BatchMatMul routing for the WebAssembly backend. Its XNNPACK path only covers one untransposed
// [1,M,K]×[1,K,N] product; everything else (transposed operands — every matmul gradient — and
// batches) falls to a blocked scalar C loop, 10–30× slower. Here transposes are done explicitly
// (a memory pass, on the smaller side: a·b = (bᵀ·aᵀ)ᵀ where that moves fewer floats), broadcast
// batches are folded into one XNNPACK product, and large equal batches run one product per batch.
import type { Info, KernelArgs, Kernel, Steps, TF } from './compose.js';
import { composed } from './compose.js';

/** Below this many multiply-adds per batch the scalar loop beats one XNNPACK call per batch (measured, docs/backends.md). */
const MIN_MACS_PER_BATCH = 64 * 64 * 64;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Copy `length` floats of `src` from `offset` into a new tensor of `shape` (a memcpy on the wasm heap). */
function copyOf(s: Steps, src: Info, offset: number, shape: number[]): Info {
  const out = s.backend.makeOutput(shape, 'float32');
  s.backend.typedArrayFromHeap(out).set(s.backend.typedArrayFromHeap(src).subarray(offset, offset + size(shape)));
  return out;
}

/** One XNNPACK product per batch, each operand pair copied out and released at once. */
function perBatch(s: Steps, shipped: Kernel, a: Info, b: Info, batch: number, m: number, k: number, n: number): Info {
  const out = s.track(s.backend.makeOutput([batch, m, n], 'float32'));
  for (let i = 0; i < batch; i++) {
    const ai = copyOf(s, a, i * m * k, [1, m, k]);
    const bi = copyOf(s, b, i * k * n, [1, k, n]);
    const r = shipped({ inputs: { a: ai, b: bi }, backend: s.backend, attrs: { transposeA: false, transposeB: false } });
    s.backend.typedArrayFromHeap(out).set(s.backend.typedArrayFromHeap(r), i * m * n);
    for (const t of [ai, bi, r]) s.backend.disposeData(t.dataId);
  }
  return out;
}

export function batchMatMul(tf: TF, shipped: Kernel): Kernel {
  return composed(tf, (s, { inputs, attrs }: KernelArgs) => {
    const { a, b } = inputs;
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    const [m, k] = tA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
    const n = tB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const fastAlready = !tA && !tB && batchA === 1 && batchB === 1;
    const loopSlower = batchA > 1 && batchB > 1 && (batchA !== batchB || m * n * k < MIN_MACS_PER_BATCH);
    if (fastAlready || loopSlower || a.dtype !== 'float32' || b.dtype !== 'float32' || k !== (tB ? b.shape.at(-1) : b.shape.at(-2))) {
      return s.run(shipped, inputs, attrs);
    }
    const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    const product = (x: Info, y: Info) => s.track(shipped({ inputs: { a: x, b: y }, backend: s.backend, attrs: { transposeA: false, transposeB: false } }));
    const t = (x: Info) => s.transpose(x, [0, 2, 1]);
    const a3 = s.reshape(a, tA ? [batchA, k, m] : [batchA, m, k]);
    const b3 = s.reshape(b, tB ? [batchB, n, k] : [batchB, k, n]);
    let out: Info;
    if (batchA === 1 && batchB === 1 && (tA ? 0 : m * k) + (tB ? 0 : k * n) + m * n < (tA ? m * k : 0) + (tB ? k * n : 0)) {
      // a·b = (bᵀ·aᵀ)ᵀ moves fewer floats: e.g. a dense layer's dx = dy·Wᵀ transposes dy and dx, not W.
      out = t(product(tB ? b3 : t(b3), tA ? a3 : t(a3)));
    } else {
      const aN = tA ? t(a3) : a3;
      const bN = tB ? t(b3) : b3;
      if (batchB === 1) {
        out = product(s.reshape(aN, [1, batchA * m, k]), bN);
      } else if (batchA === 1) {
        const wide = s.reshape(s.transpose(bN, [1, 0, 2]), [1, k, batchB * n]);
        out = s.transpose(s.reshape(product(aN, wide), [m, batchB, n]), [1, 0, 2]);
      } else {
        out = perBatch(s, shipped, aN, bN, batchA, m, k, n);
      }
    }
    return s.reshape(out, outShape);
  });
}
