// One Adam step of one tensor on WebGPU (train/adam.ts's formula, coupled weight decay) as three
// programs, one per output (θ, m, v: a program writes one buffer), each recomputing the few
// elementwise terms it needs, instead of ~15 TensorFlow.js ops. Kernel CtflowAdam: inputs theta,
// g, m, v (m and v ignored on the first step, attrs.first), attrs lr, beta1, beta2, eps,
// weightDecay and the bias corrections c1 = lr/(1−β1ᵗ), c2 = √(1−β2ᵗ).
import type * as TFJS from '@tensorflow/tfjs';
import { FLAT_INDEX, flatDispatch, run, type Args, type WebgpuBackend } from './program.js';

const SIZE = 256;
const OUTPUTS = ['theta', 'm', 'v'];

export function adamStep({ inputs, backend, attrs }: Args): TFJS.TensorInfo[] {
  const { theta, g, m, v } = inputs as Record<string, TFJS.TensorInfo>;
  const n = theta.shape.reduce((a, b) => a * b, 1);
  const a = attrs as Record<string, number>;
  return OUTPUTS.map((_, which) => run(backend as WebgpuBackend, {
    key: 'adam', inputs: [theta, g, m, v], names: ['TH', 'G', 'M', 'V'], outputShape: theta.shape,
    dispatch: flatDispatch(n, SIZE), workgroupSize: [SIZE, 1, 1],
    ints: { n, which, first: a.first },
    floats: { lr: a.lr, beta1: a.beta1, beta2: a.beta2, eps: a.eps, wd: a.weightDecay, c1: a.c1, c2: a.c2 },
    code: `
fn main() {
  let i = ${FLAT_INDEX(SIZE)};
  if (i >= uniforms.n) { return; }
  let grad = G[i] + uniforms.wd * TH[i];
  var m = (1.0 - uniforms.beta1) * grad;
  var v = (1.0 - uniforms.beta2) * grad * grad;
  if (uniforms.first == 0) { m += uniforms.beta1 * M[i]; v += uniforms.beta2 * V[i]; }
  if (uniforms.which == 1) { result[i] = m; return; }
  if (uniforms.which == 2) { result[i] = v; return; }
  result[i] = TH[i] - m / (sqrt(v) / uniforms.c2 + uniforms.eps) * uniforms.c1;
}`,
  }));
}
