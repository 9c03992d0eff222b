// Assembling small WebAssembly SIMD modules from their instructions in TypeScript, and
// instantiating them on the WebAssembly backend's own memory so that they read and write tensors in
// place (addresses: a heap view's byteOffset). Nothing is compiled at install time. Used by the
// sequence models' kernels (nodes/kernels/seq/simd.ts) and the depthwise filter gradient
// (wasm-grad-kernels/depthwise-simd.ts).

// ---------------------------------------------------------------------------------------- encoding

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => vec([...s].map((ch) => [ch.charCodeAt(0)]));
const f32bytes = (v: number) => [...new Uint8Array(Float32Array.of(v).buffer)];

export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
export const get = (l: number) => [0x20, ...uleb(l)];
export const set = (l: number) => [0x21, ...uleb(l)];
export const tee = (l: number) => [0x22, ...uleb(l)];
export const i32 = (v: number) => [0x41, ...sleb(v)];
export const f32 = (v: number) => [0x43, ...f32bytes(v)];
export const [ADD, SUB, MUL, SHL, GE_S, GT_S] = [0x6a, 0x6b, 0x6c, 0x74, 0x4e, 0x4a];
export const [F32_ADD, F32_MUL, F32_DIV, F32_MAX] = [0x92, 0x94, 0x95, 0x97];
export const F32_LOAD = [0x2a, 2, 0];
export const F32_STORE = [0x38, 2, 0];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
export const LOAD = (offset = 0) => simd(0x00, 4, ...uleb(offset));
export const STORE = (offset = 0) => simd(0x0b, 4, ...uleb(offset));
export const [V_ADD, V_SUB, V_MUL, V_DIV, V_MIN, V_MAX, V_NEAREST] = [simd(0xe4), simd(0xe5), simd(0xe6), simd(0xe7), simd(0xe8), simd(0xe9), simd(0x6a)];
export const [SPLAT, I_SPLAT, I_ADD, I_SHL, TRUNC_SAT] = [simd(0x13), simd(0x11), simd(0xae), simd(0xab), simd(0xf8)];
export const LANE = (k: number) => simd(0x1f, k);
export const ZERO = simd(0x0c, ...new Array(16).fill(0));
export const splatF = (v: number) => [...f32(v), ...SPLAT];

/** `while (!exit) body` as block/loop. */
export const loop = (exit: number[], body: number[]) => [0x02, 0x40, 0x03, 0x40, ...exit, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
export const inc = (l: number, by: number[]) => [...get(l), ...by, ADD, ...set(l)];
export const toBytes = (l: number) => [...get(l), ...i32(2), SHL, ...set(l)];
/** for (l = 0; l < limit; l += step) body */
export const forUp = (l: number, limit: number[], step: number[], body: number[]) => [...i32(0), ...set(l), ...loop([...get(l), ...limit, GE_S], [...body, ...inc(l, step)])];
/** The four lanes of the v128 on the stack combined with `op` (f32.add or f32.max). */
export const reduce = (tmp: number, op: number) => [...set(tmp), ...get(tmp), ...LANE(0), ...get(tmp), ...LANE(1), op, ...get(tmp), ...LANE(2), op, ...get(tmp), ...LANE(3), op];

/** A function: parameter types, extra locals as [count, type] groups, body. */
export interface Fn { name: string; params: number[]; locals: [number, number][]; body: number[] }

// ---------------------------------------------------------------------------------------- module

/** A module of `fns` (exported by name) importing its memory as env.memory. */
export function assemble(fns: Fn[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]))),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 1]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => {
      const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }))),
  ]);
}

/** The memory of the WebAssembly backend (Emscripten's exported memory). */
interface WasmBackend { wasm: { asm?: { memory?: WebAssembly.Memory } } }

/**
 * `instance(backend)`: the exports of module `bytes` instantiated on the memory of this WebAssembly
 * backend (once per memory), or null where they cannot run (no SIMD, memory not exported).
 */
export function onBackendMemory<T>(bytes: Uint8Array<ArrayBuffer>): (backend: unknown) => T | null {
  const instances = new WeakMap<WebAssembly.Memory, T>();
  let module: WebAssembly.Module | null = null;
  return (backend) => {
    const memory = (backend as WasmBackend).wasm?.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory)) return null;
    let k = instances.get(memory);
    if (!k) {
      try {
        module ??= new WebAssembly.Module(bytes);
        k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T;
      } catch {
        return null;
      }
      instances.set(memory, k);
    }
    return k;
  };
}
