// Depthwise convolution (NHWC, filter [fH, fW, C, mult], output channel c·mult + q) forward and both
// gradients: memory-bound, so one thread per output value with the taps in a loop, rather than a
// matrix product. The filter gradient is a long reduction (over batch·outH·outW): split into
// chunks, one thread per filter value and chunk, summed by reduce.ts.
import type * as TFJS from '@tensorflow/tfjs';
import { info, sizes } from './conv-geometry.js';
import { IDENTITY } from './epilogue.js';
import { FLAT_INDEX, flatDispatch, run, type Args, type WebgpuBackend } from './program.js';
import { reducePartials } from './reduce.js';

type TensorInfo = TFJS.TensorInfo;
const SIZE = 64;
const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** WGSL: the input pixel a tap reads for output (oy, ox), or −1 where it falls in the padding. */
const SOURCE = `
fn source(oy: i32, ox: i32, ky: i32, kx: i32) -> vec2<i32> {
  let iy = oy * uniforms.sH - uniforms.padT + ky * uniforms.dH;
  let ix = ox * uniforms.sW - uniforms.padL + kx * uniforms.dW;
  if (iy < 0 || iy >= uniforms.inH || ix < 0 || ix >= uniforms.inW) { return vec2<i32>(-1, -1); }
  return vec2<i32>(iy, ix);
}`;

export function depthwise({ inputs, backend, attrs, util }: Args): TensorInfo {
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const c = info(util, x.shape, filter.shape, attrs, true);
  const n = prod(c.outShape);
  return run(backend as WebgpuBackend, {
    key: 'dw', inputs: [x, filter], names: ['X', 'W'], outputShape: c.outShape,
    dispatch: flatDispatch(n, SIZE), workgroupSize: [SIZE, 1, 1],
    ints: { total: n, mult: c.outChannels / c.inChannels, ...sizes(c) },
    code: `${SOURCE}
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  if (i >= uniforms.total) { return; }
  let oc = i % uniforms.outC;
  let pixel = i / uniforms.outC;
  let ox = pixel % uniforms.outW;
  let oy = (pixel / uniforms.outW) % uniforms.outH;
  let nb = pixel / (uniforms.outW * uniforms.outH);
  let ci = oc / uniforms.mult;
  var s = 0.0;
  for (var ky = 0; ky < uniforms.fH; ky++) {
    for (var kx = 0; kx < uniforms.fW; kx++) {
      let at = source(oy, ox, ky, kx);
      if (at.x >= 0) {
        s = fma(X[((nb * uniforms.inH + at.x) * uniforms.inW + at.y) * uniforms.inC + ci], W[(ky * uniforms.fW + kx) * uniforms.outC + oc], s);
      }
    }
  }
  result[i] = s;
}`,
  });
}

export function depthwiseBackpropInput({ inputs, backend, attrs, util }: Args): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const c = info(util, attrs!.inputShape as number[], filter.shape, attrs, true);
  const n = prod(c.inShape);
  return run(backend as WebgpuBackend, {
    key: 'dwdx', inputs: [dy, filter], names: ['DY', 'W'], outputShape: c.inShape,
    dispatch: flatDispatch(n, SIZE), workgroupSize: [SIZE, 1, 1],
    ints: { total: n, mult: c.outChannels / c.inChannels, ...sizes(c) },
    code: `
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  if (i >= uniforms.total) { return; }
  let ci = i % uniforms.inC;
  let pixel = i / uniforms.inC;
  let ix = pixel % uniforms.inW;
  let iy = (pixel / uniforms.inW) % uniforms.inH;
  let nb = pixel / (uniforms.inW * uniforms.inH);
  var s = 0.0;
  for (var ky = 0; ky < uniforms.fH; ky++) {
    let yy = iy + uniforms.padT - ky * uniforms.dH;
    if (yy < 0 || yy % uniforms.sH != 0 || yy / uniforms.sH >= uniforms.outH) { continue; }
    for (var kx = 0; kx < uniforms.fW; kx++) {
      let xx = ix + uniforms.padL - kx * uniforms.dW;
      if (xx < 0 || xx % uniforms.sW != 0 || xx / uniforms.sW >= uniforms.outW) { continue; }
      let row = ((nb * uniforms.outH + yy / uniforms.sH) * uniforms.outW + xx / uniforms.sW) * uniforms.outC + ci * uniforms.mult;
      let tap = (ky * uniforms.fW + kx) * uniforms.outC + ci * uniforms.mult;
      for (var q = 0; q < uniforms.mult; q++) { s = fma(DY[row + q], W[tap + q], s); }
    }
  }
  result[i] = s;
}`,
  });
}

export function depthwiseBackpropFilter({ inputs, backend, attrs, util }: Args): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const shape = attrs!.filterShape as number[];
  const c = info(util, x.shape, shape, attrs, true);
  const size = prod(shape), K = c.batchSize * c.outHeight * c.outWidth;
  // Chunks of at least 64 output pixels, enough of them to give a GPU ~16k threads.
  const splits = Math.max(1, Math.min(Math.ceil(K / 64), Math.ceil(16384 / size)));
  const chunk = Math.ceil(K / splits);
  const partial = run(backend as WebgpuBackend, {
    key: 'dwdw', inputs: [x, dy], names: ['X', 'DY'], outputShape: [splits, size],
    dispatch: flatDispatch(size * splits, SIZE), workgroupSize: [SIZE, 1, 1],
    ints: { size, K, chunk, ...sizes(c) },
    code: `${SOURCE}
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  if (i >= uniforms.size * ((uniforms.K + uniforms.chunk - 1) / uniforms.chunk)) { return; }
  let split = i / uniforms.size;
  let e = i - split * uniforms.size;
  let oc = e % uniforms.outC;
  let tap = e / uniforms.outC;
  let ky = tap / uniforms.fW;
  let kx = tap - ky * uniforms.fW;
  let ci = oc / (uniforms.outC / uniforms.inC);
  var s = 0.0;
  let end = min(uniforms.K, (split + 1) * uniforms.chunk);
  for (var k = split * uniforms.chunk; k < end; k++) {
    let ox = k % uniforms.outW;
    let oy = (k / uniforms.outW) % uniforms.outH;
    let nb = k / (uniforms.outW * uniforms.outH);
    let at = source(oy, ox, ky, kx);
    if (at.x >= 0) {
      s = fma(X[((nb * uniforms.inH + at.x) * uniforms.inW + at.y) * uniforms.inC + ci], DY[k * uniforms.outC + oc], s);
    }
  }
  result[i] = s;
}`,
  });
  try {
    return reducePartials(backend as WebgpuBackend, partial, shape, 1, IDENTITY);
  } finally {
    (backend as WebgpuBackend).disposeData(partial.dataId);
  }
}
