// What a matrix product does to each value it writes (gemm.ts, reduce.ts): nothing, or
// _FusedMatMul's bias and activation. `fn epilogue(v: f32, col: i32) -> f32`, col the output column.
import type * as TFJS from '@tensorflow/tfjs';
import { NotCovered } from './program.js';

export interface Epilogue { key: string; code: string; inputs: TFJS.TensorInfo[]; names: string[]; ints?: Record<string, number>; floats?: Record<string, number> }

export const IDENTITY: Epilogue = { key: 'id', code: 'fn epilogue(v: f32, col: i32) -> f32 { return v; }', inputs: [], names: [] };

const ACTIVATIONS: Record<string, string> = {
  linear: 'x',
  relu: 'max(x, 0.0)',
  relu6: 'clamp(x, 0.0, 6.0)',
  sigmoid: '1.0 / (1.0 + exp(-x))',
  elu: 'select(exp(x) - 1.0, x, x >= 0.0)',
  leakyrelu: 'select(uniforms.alpha * x, x, x >= 0.0)',
};

/** Bias (one per output column, or a scalar) then activation; prelu is not covered. */
export function biasActivation(bias: TFJS.TensorInfo | undefined, cols: number, activation = 'linear', alpha = 0.2): Epilogue {
  const act = ACTIVATIONS[activation];
  if (!act) throw new NotCovered(`activation ${activation}`);
  const size = bias ? bias.shape.reduce((a, b) => a * b, 1) : 0;
  if (bias && size !== 1 && !(size === cols && bias.shape.at(-1) === cols)) throw new NotCovered(`bias of shape [${bias.shape}]`);
  return {
    key: `${bias ? (size === 1 ? 'b1' : 'bc') : 'nb'}_${activation}`,
    code: `fn epilogue(v: f32, col: i32) -> f32 { let x = v${bias ? ` + Bias[${size === 1 ? '0' : 'col'}]` : ''}; return ${act}; }`,
    inputs: bias ? [bias] : [],
    names: bias ? ['Bias'] : [],
    floats: activation === 'leakyrelu' ? { alpha } : undefined,
  };
}
