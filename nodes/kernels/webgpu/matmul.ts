// BatchMatMul and _FusedMatMul on the tiled product (gemm.ts): a and b as [batch, rows, cols]
// (either transposed, either batch broadcast when it is 1), bias and activation fused into the
// write. Broadcasting between two batch shapes that are neither equal nor all ones, and prelu,
// are not covered (the stock kernel runs them).
import type * as TFJS from '@tensorflow/tfjs';
import { biasActivation } from './epilogue.js';
import { gemm } from './gemm.js';
import { NotCovered, type Args, type WebgpuBackend } from './program.js';

type TensorInfo = TFJS.TensorInfo;
const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

function product(backend: WebgpuBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, epilogue?: ReturnType<typeof biasActivation>): TensorInfo {
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const [batchA, batchB] = [prod(outerA), prod(outerB)];
  if (batchA !== 1 && batchB !== 1 && outerA.join() !== outerB.join()) throw new NotCovered(`batch shapes [${outerA}] and [${outerB}]`);
  const [M, K] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const [K2, N] = transposeB ? [b.shape.at(-1)!, b.shape.at(-2)!] : [b.shape.at(-2)!, b.shape.at(-1)!];
  if (K !== K2) throw new Error(`BatchMatMul: inner dimensions ${K} and ${K2} of [${a.shape}] and [${b.shape}] differ`);
  const outer = batchA >= batchB ? outerA : outerB;
  return gemm(backend, {
    key: 'mm',
    inputs: [a, b], names: ['A', 'B'],
    batch: Math.max(batchA, batchB), M, N, K,
    outputShape: [...outer, M, N],
    // Transposes and batch broadcast as strides: one compiled shader for every case.
    ints: {
      aBatch: batchA === 1 ? 0 : M * K, aRow: transposeA ? 1 : K, aK: transposeA ? M : 1,
      bBatch: batchB === 1 ? 0 : K * N, bK: transposeB ? 1 : N, bCol: transposeB ? K : 1,
    },
    loaders: `
fn loadA(b: i32, row: i32, k: i32) -> f32 { return A[b * uniforms.aBatch + row * uniforms.aRow + k * uniforms.aK]; }
fn loadB(b: i32, k: i32, col: i32) -> f32 { return B[b * uniforms.bBatch + k * uniforms.bK + col * uniforms.bCol]; }`,
    epilogue,
  });
}

export function batchMatMul({ inputs, backend, attrs }: Args): TensorInfo {
  return product(backend as WebgpuBackend, inputs.a!, inputs.b!, Boolean(attrs?.transposeA), Boolean(attrs?.transposeB));
}

export function fusedMatMul({ inputs, backend, attrs }: Args): TensorInfo {
  if (inputs.preluActivationWeights) throw new NotCovered('prelu');
  const b = inputs.b!;
  const N = attrs?.transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const epi = biasActivation(inputs.bias, N, (attrs?.activation as string) ?? 'linear', (attrs?.leakyreluAlpha as number) ?? 0.2);
  return product(backend as WebgpuBackend, inputs.a!, b, Boolean(attrs?.transposeA), Boolean(attrs?.transposeB), epi);
}
