// Composing wasm kernels from other wasm kernels: every step runs a registered kernel function of
// the WebAssembly backend on TensorInfos (no Tensor objects, no tape, no data through JS), and the
// intermediates are released when the composed kernel returns.
import type * as TFJS from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TF = typeof TFJS;
export type Info = TFJS.TensorInfo;
export type Attrs = Record<string, unknown>;
export type KernelArgs = { inputs: Record<string, Info>; backend: BackendWasm; attrs: Attrs };
export type Kernel = (args: KernelArgs) => Info;

export class Steps {
  private readonly made: Info[] = [];
  constructor(private readonly tf: TF, readonly backend: BackendWasm) {}

  /** Run the wasm kernel registered as `name` (or `kernel` itself) and keep its output for release. */
  run(name: string | Kernel, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
    const kernel = typeof name === 'string' ? (this.tf.getKernel(name, 'wasm').kernelFunc as unknown as Kernel) : name;
    return this.track(kernel({ inputs, backend: this.backend, attrs }));
  }

  /** Keep a TensorInfo made outside run() (makeOutput) for release. */
  track(info: Info): Info {
    this.made.push(info);
    return info;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }

  /**
   * Apply per-axis (before, after) padding amounts to a convolution input: negative amounts crop
   * `x` here, the rest is returned as the kernel's explicit `pad` attribute (no padded copy).
   */
  padding(x: Info, pads: [number, number][]): { x: Info; pad: number[][] } {
    let out = x;
    if (pads.some(([a, b]) => a < 0 || b < 0)) {
      const begin = pads.map(([a]) => Math.max(0, -a));
      const size = out.shape.map((d, i) => d - begin[i] - Math.max(0, -pads[i][1]));
      out = this.run('Slice', { x: out }, { begin, size });
    }
    return { x: out, pad: pads.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]) };
  }

  /** Release every intermediate except `out` (shared data survives through its reference count). */
  finish(out: Info | null): void {
    for (const info of this.made) if (info !== out) this.backend.disposeData(info.dataId);
  }
}

/** Wrap a composed kernel so that its intermediates are released even when a step throws. */
export function composed(tf: TF, body: (s: Steps, args: KernelArgs) => Info): Kernel {
  return (args) => {
    const s = new Steps(tf, args.backend);
    let out: Info | null = null;
    try {
      out = body(s, args);
      return out;
    } finally {
      s.finish(out);
    }
  };
}
