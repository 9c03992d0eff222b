// The sum of partial results [S, n] over S (split-K products, split weight-gradient reductions),
// with an epilogue applied to each sum (`col` = index mod `cols`). One thread per output value.
import type * as TFJS from '@tensorflow/tfjs';
import type { Epilogue } from './epilogue.js';
import { FLAT_INDEX, flatDispatch, run, type WebgpuBackend } from './program.js';

const SIZE = 256;

/** Σ_s partials[s, i] → a tensor of `shape`, through `epi`. */
export function reducePartials(backend: WebgpuBackend, partials: TFJS.TensorInfo, shape: number[], cols: number, epi: Epilogue): TFJS.TensorInfo {
  const [splits, n] = partials.shape;
  return run(backend, {
    key: `reduce_${epi.key}`,
    inputs: [partials, ...epi.inputs],
    names: ['P', ...epi.names],
    outputShape: shape,
    dispatch: flatDispatch(n, SIZE),
    workgroupSize: [SIZE, 1, 1],
    ints: { n, splits, cols, ...epi.ints },
    floats: epi.floats,
    code: `${epi.code}
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  if (i >= uniforms.n) { return; }
  var s = 0.0;
  for (var k = 0; k < uniforms.splits; k++) { s += P[k * uniforms.n + i]; }
  result[i] = epilogue(s, i % uniforms.cols);
}`,
  });
}
