// Running a ctflow WGSL program on TensorFlow.js's WebGPU backend: the backend's program interface
// (tfjs-backend-webgpu 4.22: runWebGPUProgram compiles a program once per shader key, prepends
// the bindings — output `result`, then one storage array per name in variableNames — and a uniform
// struct `uniforms` that ends with the fields the program declares). Our programs index the arrays
// themselves and take every size as an i32 uniform, so one compiled shader serves all shapes.
import type * as TFJS from '@tensorflow/tfjs';

type TensorInfo = TFJS.TensorInfo;

/** The fields runWebGPUProgram reads from a program object. */
export interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y: number[]; z: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

/** A kernel's arguments, with TensorFlow.js's backend_util passed in: nothing here imports TensorFlow.js. */
export interface Args { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: Record<string, unknown>; util: typeof TFJS.backend_util }

/** What our kernels use of the WebGPU backend instance. */
export interface WebgpuBackend {
  runWebGPUProgram(p: Program, inputs: TensorInfo[], dtype: 'float32', uniforms?: { type: 'int32' | 'float32'; data: number[] }[], output?: TensorInfo): TensorInfo;
  makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): TensorInfo;
  disposeData(dataId: object): void;
  device: { limits: { maxComputeWorkgroupsPerDimension: number } };
}

/** Thrown where a kernel of ours does not cover a case: the kernel falls back to the stock one. */
export class NotCovered extends Error {}

export interface Run {
  /** Part of the shader cache key: everything compiled into the WGSL (not the sizes). */
  key: string;
  inputs: TensorInfo[];
  names: string[];
  outputShape: number[];
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** i32 uniforms by name (declaration order). */
  ints: Record<string, number>;
  /** f32 uniforms by name, after the ints. */
  floats?: Record<string, number>;
  code: string;
  /** Write into this tensor (read_write: the program may read what earlier dispatches wrote) instead of a new one. */
  output?: TensorInfo;
}

/** Dispatch `r` on `backend`; a dispatch beyond the device's per-dimension limit is not covered. */
export function run(backend: WebgpuBackend, r: Run): TensorInfo {
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (r.dispatch.some((d) => d > limit)) throw new NotCovered(`dispatch ${r.dispatch} exceeds ${limit}`);
  for (const t of r.inputs) if (t.dtype !== 'float32') throw new NotCovered(`${t.dtype} input`);
  const floats = r.floats ?? {};
  const program: Program = {
    outputShape: r.outputShape,
    shaderKey: `ctflow_${r.key}`,
    // Three dimensions that are not the output's rank: the backend then generates no
    // getOutputCoords for us to conflict with, and calls main() without an index.
    dispatchLayout: { x: [0], y: [1], z: [2] },
    dispatch: r.dispatch,
    variableNames: r.names,
    uniforms: [...Object.keys(r.ints).map((n) => `${n} : i32,`), ...Object.keys(floats).map((n) => `${n} : f32,`)].join(' '),
    workgroupSize: r.workgroupSize,
    size: false,
    getUserCode: () => r.code,
  };
  const uniforms = [
    ...Object.values(r.ints).map((v) => ({ type: 'int32' as const, data: [v] })),
    ...Object.values(floats).map((v) => ({ type: 'float32' as const, data: [v] })),
  ];
  return backend.runWebGPUProgram(program, r.inputs, 'float32', uniforms, r.output);
}

/** Workgroups of `size` threads covering `n` items, as x × y within the per-dimension limit (index = (y·X + x)·size + local). */
export function flatDispatch(n: number, size: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  const x = Math.min(groups, 32768);
  return [x, Math.ceil(groups / x), 1];
}

/** The flat index of this thread under flatDispatch (WGSL; uses the backend's private builtins). */
export const FLAT_INDEX = (size: number) => `(i32(workgroupId.y * numWorkgroups.x + workgroupId.x) * ${size} + i32(localIndex))`;
