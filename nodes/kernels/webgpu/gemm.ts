// One tiled matrix product for matmul and the implicit-GEMM convolutions: C[b] = A[b]·B[b] with
// A = M×K and B = K×N read through WGSL loaders (loadA, loadB) that compute each element from the
// operands' own layout (a transpose, an im2col window of an NHWC image, …), so nothing is
// materialised. Each workgroup of 8×8 threads computes a 32×32 tile of C, 4×4 per thread, staging
// 32×16 of A and 16×32 of B in workgroup memory. Where the tiles of C are few and K is long (weight
// gradients: K = batch·height·width) K is split over the z dimension into partial products, summed
// by a second program (reduce.ts); the epilogue (bias, activation) runs wherever the final value
// is written. Row tiles beyond the device's per-dimension workgroup limit continue in z. C is
// written row-major [batch, M, N].
import type * as TFJS from '@tensorflow/tfjs';
import { IDENTITY, type Epilogue } from './epilogue.js';
import { run, type WebgpuBackend } from './program.js';
import { reducePartials } from './reduce.js';

type TensorInfo = TFJS.TensorInfo;

export interface Gemm {
  /** The loaders' name (compiled into the shader key). */
  key: string;
  inputs: TensorInfo[];
  names: string[];
  batch: number; M: number; N: number; K: number;
  outputShape: number[];
  /** The loaders' sizes (i32 uniforms). */
  ints: Record<string, number>;
  /** WGSL: fn loadA(b: i32, row: i32, k: i32) -> f32 and fn loadB(b: i32, k: i32, col: i32) -> f32, called in bounds only. */
  loaders: string;
  epilogue?: Epilogue;
}

const TILE = 32, TK = 16;

/** Partial products along K: enough workgroups to fill a GPU where C alone has few tiles. */
function splitK(tiles: number, K: number): { splits: number; kChunk: number } {
  const want = tiles >= 256 || K <= 512 ? 1 : Math.min(64, Math.ceil(256 / tiles), Math.ceil(K / 256));
  const kChunk = Math.ceil(Math.ceil(K / want) / TK) * TK;
  return { splits: Math.ceil(K / kChunk), kChunk };
}

const core = (epilogue: string) => `
var<workgroup> tileA : array<array<f32, ${TK}>, ${TILE}>;
var<workgroup> tileB : array<array<f32, ${TILE}>, ${TK}>;

fn main() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let lid = ty * 8 + tx;
  let mPart = i32(workgroupId.z) % uniforms.mParts;
  let z = i32(workgroupId.z) / uniforms.mParts;
  let row0 = (mPart * i32(numWorkgroups.x) + i32(workgroupId.x)) * ${TILE};
  let col0 = i32(workgroupId.y) * ${TILE};
  let b = z / uniforms.splits;
  let split = z - b * uniforms.splits;
  let kBegin = split * uniforms.kChunk;
  let kEnd = min(uniforms.K, kBegin + uniforms.kChunk);
  var acc : array<array<f32, 4>, 4>;
  let tiles = (uniforms.kChunk + ${TK - 1}) / ${TK};
  for (var t = 0; t < tiles; t++) {
    let k0 = kBegin + t * ${TK};
    for (var i = 0; i < 8; i++) {
      let e = lid + i * 64;
      let ar = e / ${TK};
      let ak = e % ${TK};
      var va = 0.0;
      if (row0 + ar < uniforms.M && k0 + ak < kEnd) { va = loadA(b, row0 + ar, k0 + ak); }
      tileA[ar][ak] = va;
      let bk = e / ${TILE};
      let bc = e % ${TILE};
      var vb = 0.0;
      if (k0 + bk < kEnd && col0 + bc < uniforms.N) { vb = loadB(b, k0 + bk, col0 + bc); }
      tileB[bk][bc] = vb;
    }
    workgroupBarrier();
    for (var k = 0; k < ${TK}; k++) {
      var bv : array<f32, 4>;
      for (var j = 0; j < 4; j++) { bv[j] = tileB[k][tx + 8 * j]; }
      for (var i = 0; i < 4; i++) {
        let av = tileA[ty + 8 * i][k];
        for (var j = 0; j < 4; j++) { acc[i][j] = fma(av, bv[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i++) {
    let r = row0 + ty + 8 * i;
    for (var j = 0; j < 4; j++) {
      let c = col0 + tx + 8 * j;
      if (r < uniforms.M && c < uniforms.N) {
        result[((split * uniforms.batches + b) * uniforms.M + r) * uniforms.N + c] = ${epilogue};
      }
    }
  }
}`;

/** C of `g` (shape g.outputShape), on the GPU. */
export function gemm(backend: WebgpuBackend, g: Gemm): TensorInfo {
  const { M, N, K, batch } = g;
  const { splits, kChunk } = splitK(Math.ceil(M / TILE) * Math.ceil(N / TILE) * batch, K);
  const epi = g.epilogue ?? IDENTITY;
  const fused = splits === 1;
  // Row tiles beyond the per-dimension limit (products of more than ~2.1 M rows) go on in z.
  const tilesM = Math.ceil(M / TILE), mParts = Math.ceil(tilesM / backend.device.limits.maxComputeWorkgroupsPerDimension);
  const out = run(backend, {
    key: `gemm_${g.key}_${fused ? epi.key : 'partial'}`,
    inputs: fused ? [...g.inputs, ...epi.inputs] : g.inputs,
    names: fused ? [...g.names, ...epi.names] : g.names,
    outputShape: fused ? g.outputShape : [splits, batch * M * N],
    dispatch: [Math.ceil(tilesM / mParts), Math.ceil(N / TILE), batch * splits * mParts],
    workgroupSize: [8, 8, 1],
    ints: { M, N, K, kChunk, splits, mParts, batches: batch, ...g.ints, ...(fused ? epi.ints : {}) },
    floats: fused ? epi.floats : undefined,
    code: `${g.loaders}\n${fused ? epi.code : IDENTITY.code}\n${core('epilogue(acc[i][j], c)')}`,
  });
  if (fused) return out;
  try {
    return reducePartials(backend, out, g.outputShape, N, epi);
  } finally {
    backend.disposeData(out.dataId);
  }
}
