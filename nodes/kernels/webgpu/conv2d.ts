// Conv2D (NHWC) forward and both gradients as implicit GEMM on the tiled product (gemm.ts): the
// im2col matrix is never built; the loaders compute each element from the image, the filter and
// the output gradient where they lie.
//   forward   y[(n,oy,ox), co]   = Σ_(ky,kx,ci) x[n, oy·s−pad+ky·d, ox·s−pad+kx·d, ci] · w[(ky,kx,ci), co]
//   dx        dx[(n,iy,ix), ci]  = Σ_(ky,kx,co) dy[n, (iy+pad−ky·d)/s, (ix+pad−kx·d)/s, co] · w[ky,kx,ci,co]
//             (terms whose division is not exact, or outside dy, are zero)
//   dW        dw[(ky,kx,ci), co] = Σ_(n,oy,ox) x[n, oy·s−pad+ky·d, ox·s−pad+kx·d, ci] · dy[(n,oy,ox), co]
//             (K = batch·outH·outW is long: split over workgroups and summed, gemm.ts)
// NCHW is not covered (the stock kernel runs it).
import type * as TFJS from '@tensorflow/tfjs';
import { info, sizes } from './conv-geometry.js';
import { gemm } from './gemm.js';
import type { Args, WebgpuBackend } from './program.js';

type TensorInfo = TFJS.TensorInfo;
/** WGSL: a row of the output (n, oy, ox), a filter tap (ky, kx, ci), and x under that tap (zero in the padding). */
const X_WINDOW = `
fn outPixel(i: i32) -> vec3<i32> {
  let n = i / (uniforms.outH * uniforms.outW);
  let p = i - n * uniforms.outH * uniforms.outW;
  let oy = p / uniforms.outW;
  return vec3<i32>(n, oy, p - oy * uniforms.outW);
}
fn tap(i: i32) -> vec3<i32> {
  let ky = i / (uniforms.fW * uniforms.inC);
  let q = i - ky * uniforms.fW * uniforms.inC;
  let kx = q / uniforms.inC;
  return vec3<i32>(ky, kx, q - kx * uniforms.inC);
}
fn xWindow(o: vec3<i32>, t: vec3<i32>) -> f32 {
  let iy = o.y * uniforms.sH - uniforms.padT + t.x * uniforms.dH;
  let ix = o.z * uniforms.sW - uniforms.padL + t.y * uniforms.dW;
  if (iy < 0 || iy >= uniforms.inH || ix < 0 || ix >= uniforms.inW) { return 0.0; }
  return X[((o.x * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + t.z];
}`;

export function conv2d({ inputs, backend, attrs, util }: Args): TensorInfo {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const c = info(util, x.shape, filter.shape, attrs, false);
  return gemm(backend as WebgpuBackend, {
    key: 'conv', inputs: [x, filter], names: ['X', 'W'],
    batch: 1, M: c.batchSize * c.outHeight * c.outWidth, N: c.outChannels, K: c.filterHeight * c.filterWidth * c.inChannels,
    outputShape: c.outShape, ints: sizes(c),
    loaders: `${X_WINDOW}
fn loadA(b: i32, row: i32, k: i32) -> f32 { return xWindow(outPixel(row), tap(k)); }
fn loadB(b: i32, k: i32, col: i32) -> f32 { return W[k * uniforms.outC + col]; }`,
  });
}

export function conv2dBackpropInput({ inputs, backend, attrs, util }: Args): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const c = info(util, attrs!.inputShape as number[], filter.shape, { ...attrs, dilations: 1 }, false);
  return gemm(backend as WebgpuBackend, {
    key: 'convdx', inputs: [dy, filter], names: ['DY', 'W'],
    batch: 1, M: c.batchSize * c.inHeight * c.inWidth, N: c.inChannels, K: c.filterHeight * c.filterWidth * c.outChannels,
    outputShape: c.inShape, ints: sizes(c),
    loaders: `
fn loadA(b: i32, row: i32, k: i32) -> f32 {
  let n = row / (uniforms.inH * uniforms.inW);
  let p = row - n * uniforms.inH * uniforms.inW;
  let iy = p / uniforms.inW;
  let ix = p - iy * uniforms.inW;
  let ky = k / (uniforms.fW * uniforms.outC);
  let q = k - ky * uniforms.fW * uniforms.outC;
  let kx = q / uniforms.outC;
  let yy = iy + uniforms.padT - ky * uniforms.dH;
  let xx = ix + uniforms.padL - kx * uniforms.dW;
  if (yy < 0 || xx < 0 || yy % uniforms.sH != 0 || xx % uniforms.sW != 0) { return 0.0; }
  let oy = yy / uniforms.sH;
  let ox = xx / uniforms.sW;
  if (oy >= uniforms.outH || ox >= uniforms.outW) { return 0.0; }
  return DY[((n * uniforms.outH + oy) * uniforms.outW + ox) * uniforms.outC + q - kx * uniforms.outC];
}
fn loadB(b: i32, k: i32, col: i32) -> f32 {
  let tap = k / uniforms.outC;
  return W[(tap * uniforms.inC + col) * uniforms.outC + k - tap * uniforms.outC];
}`,
  });
}

export function conv2dBackpropFilter({ inputs, backend, attrs, util }: Args): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const c = info(util, x.shape, attrs!.filterShape as number[], { ...attrs, dilations: 1 }, false);
  return gemm(backend as WebgpuBackend, {
    key: 'convdw', inputs: [x, dy], names: ['X', 'DY'],
    batch: 1, M: c.filterHeight * c.filterWidth * c.inChannels, N: c.outChannels, K: c.batchSize * c.outHeight * c.outWidth,
    outputShape: attrs!.filterShape as number[], ints: sizes(c),
    loaders: `${X_WINDOW}
fn loadA(b: i32, row: i32, k: i32) -> f32 { return xWindow(outPixel(k), tap(row)); }
fn loadB(b: i32, k: i32, col: i32) -> f32 { return DY[k * uniforms.outC + col]; }`,
  });
}
