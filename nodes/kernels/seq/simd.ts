// Small kernels in WebAssembly SIMD, instantiated on the WebAssembly backend's own memory so that
// they read and write tensors in place (addresses: a heap view's byteOffset). The window attention
// (swin-attention.ts) is thousands of 49 × 16 · 16 × 49 products and 49-wide softmaxes per batch:
// the backend's BatchMatMul runs such a batch as a scalar loop (about 0.4 GFLOP/s), XNNPACK called
// per product costs more in setup than in arithmetic, and Math.exp costs 5–10 ns, which also made
// the LSTM cell (lstm-kernel.ts) the slowest part of a recurrent step. The module is assembled
// below from its instructions (about 4 kB; ../tf/wasm-asm.ts), so nothing is compiled at install time.
//
//   gemm(a, sar, sac, b, ldb, c, ldc, M, N, K):  C[i, 0:K] = Σ_{j<N} A[i·sar + j·sac] · B[j·ldb + 0:K]
//     for i < M; strides count float32 values; K a multiple of 4 (rows are written 16, then 4 at a
//     time, nothing past K). Aᵀ·B is the same call with the strides swapped.
//   softmax(s, t, scale, p, rows, cols):  P[i, :] = softmax(scale·S[i, :] + T[i, :]) per row, S
//     overwritten; cols a multiple of 4, padding columns carry −1e30 in T (they get probability 0).
//   softmaxGrad(p, dp, acc, ds, scale, rows, cols):  dS = P ⊙ (dP − Σ_j P ⊙ dP) per row;
//     acc += dS; DS = scale·dS.
//   lstmForward(z, p, bias, cprev, saved, y, H):  one LSTM cell row (lstm-kernel.ts's layout): gates
//     i, f, g, o of z + p + bias, c = f·cprev + i·g, h = o·tanh c; saved ← i, f, g, o, c, tanh c.
//   lstmBackward(dy, carryH, carryC, saved, cprev, dz, dp, dza, dbias, H):  its gradient: the four
//     gate gradients into dz, dp and dza, added to dbias; carryC ← dc·f, carryH ← 0.
//     (H a multiple of 4.)
// exp is 2^n · p(f) with t = x·log2 e = n + f, |f| ≤ ½, p of degree 7 (relative error < 1e-8 in
// exact arithmetic, float32 rounding above that), x clamped to [−87, 88]; σ(x) = 1 / (1 + e^−x),
// tanh x = 2σ(2x) − 1 (absolute error about 1e−7).

import {
  ADD, F32, F32_ADD, F32_DIV, F32_LOAD, F32_MAX, GE_S, GT_S, I32, I_ADD, I_SHL, I_SPLAT, LOAD, MUL, SHL, SPLAT, STORE, TRUNC_SAT, V128,
  V_ADD, V_DIV, V_MAX, V_MIN, V_MUL, V_NEAREST, V_SUB, ZERO, assemble, forUp, get, i32, inc, loop, onBackendMemory, reduce, set, splatF, tee, toBytes, f32, type Fn,
} from '../tf/wasm-asm.js';

export interface Simd {
  lstmForward(z: number, p: number, bias: number, cprev: number, saved: number, y: number, H: number): void;
  lstmBackward(dy: number, carryH: number, carryC: number, saved: number, cprev: number, dz: number, dp: number, dza: number, dbias: number, H: number): void;
  gemm(a: number, sar: number, sac: number, b: number, ldb: number, c: number, ldc: number, M: number, N: number, K: number): void;
  softmax(s: number, t: number, scale: number, p: number, rows: number, cols: number): void;
  softmaxGrad(p: number, dp: number, acc: number, ds: number, scale: number, rows: number, cols: number): void;
}

// ---------------------------------------------------------------------------------------- gemm

function gemm(): Fn {
  const [A, SAR, SAC, B, LDB, C, LDC, M, N, K] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [I, KC, J, AP, BP, S, ACC] = [10, 11, 12, 13, 14, 15, 16];
  /** acc_q += A[i, j] · B[j, kc + 4q] over j < N, then stored at C[i, kc]. */
  const chunk = (width: number) => {
    const accs = Array.from({ length: width / 4 }, (_, q) => q);
    return [
      ...accs.flatMap((q) => [...ZERO, ...set(ACC + q)]),
      ...get(A), ...get(I), ...get(SAR), MUL, ADD, ...set(AP),
      ...get(B), ...get(KC), ...i32(2), SHL, ADD, ...set(BP),
      ...forUp(J, get(N), i32(1), [
        ...get(AP), ...F32_LOAD, ...SPLAT, ...set(S),
        ...accs.flatMap((q) => [...get(ACC + q), ...get(S), ...get(BP), ...LOAD(16 * q), ...V_MUL, ...V_ADD, ...set(ACC + q)]),
        ...inc(AP, get(SAC)), ...inc(BP, get(LDB)),
      ]),
      ...accs.flatMap((q) => [...get(C), ...get(I), ...get(LDC), MUL, ADD, ...get(KC), ...i32(2), SHL, ADD, ...get(ACC + q), ...STORE(16 * q)]),
      ...inc(KC, i32(width)),
    ];
  };
  return {
    name: 'gemm', params: new Array(10).fill(I32), locals: [[5, I32], [5, V128]],
    body: [
      ...toBytes(SAR), ...toBytes(SAC), ...toBytes(LDB), ...toBytes(LDC),
      ...forUp(I, get(M), i32(1), [
        ...i32(0), ...set(KC),
        ...loop([...get(KC), ...i32(16), ADD, ...get(K), GT_S], chunk(16)),
        ...loop([...get(KC), ...get(K), GE_S], chunk(4)),
      ]),
    ],
  };
}

// ---------------------------------------------------------------------------------------- softmax

/** exp of the f32x4 in local `x`, left on the stack; `t` and `n` are v128 scratch locals. */
function exp(x: number, t: number, n: number): number[] {
  const coef = [1, 0.6931471805599453, 0.2402265069591007, 0.05550410866482158, 0.009618129107628477, 0.0013333558146428443, 0.00015403530393381606, 1.525273380405984e-5];
  return [
    ...get(x), ...splatF(-87), ...V_MAX, ...splatF(88), ...V_MIN, ...splatF(Math.LOG2E), ...V_MUL, ...tee(t), ...V_NEAREST, ...set(n),
    ...get(t), ...get(n), ...V_SUB, ...set(t),                       // t ← f ∈ [−½, ½]
    ...splatF(coef[7]),
    ...coef.slice(0, 7).reverse().flatMap((c) => [...get(t), ...V_MUL, ...splatF(c), ...V_ADD]),
    ...get(n), ...TRUNC_SAT, ...i32(127), ...I_SPLAT, ...I_ADD, ...i32(23), ...I_SHL,   // 2^n as float bits
    ...V_MUL,
  ];
}

function softmax(): Fn {
  const [S, T, SCALE, P, ROWS, COLS] = [0, 1, 2, 3, 4, 5];
  const [I, J, ROW, X, MAX, E1, E2, ACC] = [6, 7, 8, 9, 10, 11, 12, 13];
  const at = (base: number) => [...get(base), ...get(ROW), ADD, ...get(J), ADD];
  return {
    name: 'softmax', params: [I32, I32, F32, I32, I32, I32], locals: [[3, I32], [5, V128]],
    body: [
      ...toBytes(COLS),
      ...forUp(I, get(ROWS), i32(1), [
        ...get(I), ...get(COLS), MUL, ...set(ROW),
        ...splatF(-3.4e38), ...set(ACC),
        ...forUp(J, get(COLS), i32(16), [                                // S ← scale·S + T; running max
          ...at(S), ...at(S), ...LOAD(), ...get(SCALE), ...SPLAT, ...V_MUL, ...at(T), ...LOAD(), ...V_ADD, ...tee(X), ...STORE(),
          ...get(ACC), ...get(X), ...V_MAX, ...set(ACC),
        ]),
        ...get(ACC), ...reduce(X, F32_MAX), ...SPLAT, ...set(MAX),
        ...ZERO, ...set(ACC),
        ...forUp(J, get(COLS), i32(16), [                                // S ← exp(S − max); running sum
          ...at(S), ...LOAD(), ...get(MAX), ...V_SUB, ...set(X),
          ...at(S), ...exp(X, E1, E2), ...tee(X), ...STORE(),
          ...get(ACC), ...get(X), ...V_ADD, ...set(ACC),
        ]),
        ...f32(1), ...get(ACC), ...reduce(X, F32_ADD), F32_DIV, ...SPLAT, ...set(MAX),
        ...forUp(J, get(COLS), i32(16), [...at(P), ...at(S), ...LOAD(), ...get(MAX), ...V_MUL, ...STORE()]),
      ]),
    ],
  };
}

function softmaxGrad(): Fn {
  const [P, DP, ACCB, DS, SCALE, ROWS, COLS] = [0, 1, 2, 3, 4, 5, 6];
  const [I, J, ROW, X, DOT] = [7, 8, 9, 10, 11];
  const at = (base: number) => [...get(base), ...get(ROW), ADD, ...get(J), ADD];
  return {
    name: 'softmaxGrad', params: [I32, I32, I32, I32, F32, I32, I32], locals: [[3, I32], [2, V128]],
    body: [
      ...toBytes(COLS),
      ...forUp(I, get(ROWS), i32(1), [
        ...get(I), ...get(COLS), MUL, ...set(ROW),
        ...ZERO, ...set(DOT),
        ...forUp(J, get(COLS), i32(16), [...get(DOT), ...at(P), ...LOAD(), ...at(DP), ...LOAD(), ...V_MUL, ...V_ADD, ...set(DOT)]),
        ...get(DOT), ...reduce(X, F32_ADD), ...SPLAT, ...set(DOT),
        ...forUp(J, get(COLS), i32(16), [
          ...at(P), ...LOAD(), ...at(DP), ...LOAD(), ...get(DOT), ...V_SUB, ...V_MUL, ...set(X),
          ...at(ACCB), ...at(ACCB), ...LOAD(), ...get(X), ...V_ADD, ...STORE(),
          ...at(DS), ...get(X), ...get(SCALE), ...SPLAT, ...V_MUL, ...STORE(),
        ]),
      ]),
    ],
  };
}

// ---------------------------------------------------------------------------------------- LSTM cell

/** σ(scale·x) of local `x`, left on the stack (x itself kept); `a`, `t`, `n` v128 scratch. */
const sigmoidOf = (x: number, scale: number, a: number, t: number, n: number) => [
  ...splatF(1), ...get(x), ...splatF(-scale), ...V_MUL, ...set(a), ...exp(a, t, n), ...splatF(1), ...V_ADD, ...V_DIV,
];
/** tanh of local `x` = 2σ(2x) − 1, left on the stack. */
const tanhOf = (x: number, a: number, t: number, n: number) => [...sigmoidOf(x, 2, a, t, n), ...splatF(2), ...V_MUL, ...splatF(1), ...V_SUB];

function lstmForward(): Fn {
  const [Z, PP, BI, CP, SV, Y, H] = [0, 1, 2, 3, 4, 5, 6];
  const [J, HB, GI, GF, GG, GO, C, A, T, N] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  /** base + k·H floats + j */
  const at = (base: number, k: number) => [...get(base), ...get(HB), ...i32(k), MUL, ADD, ...get(J), ADD];
  const gate = (k: number, local: number) => [...at(Z, k), ...LOAD(), ...at(PP, k), ...LOAD(), ...V_ADD, ...at(BI, k), ...LOAD(), ...V_ADD, ...set(local)];
  return {
    name: 'lstmForward', params: new Array(7).fill(I32), locals: [[2, I32], [8, V128]],
    body: [
      ...get(H), ...i32(2), SHL, ...set(HB),
      ...forUp(J, get(HB), i32(16), [
        ...gate(0, GI), ...gate(1, GF), ...gate(2, GG), ...gate(3, GO),
        ...sigmoidOf(GI, 1, A, T, N), ...set(GI), ...sigmoidOf(GF, 1, A, T, N), ...set(GF),
        ...tanhOf(GG, A, T, N), ...set(GG), ...sigmoidOf(GO, 1, A, T, N), ...set(GO),
        ...get(GF), ...at(CP, 0), ...LOAD(), ...V_MUL, ...get(GI), ...get(GG), ...V_MUL, ...V_ADD, ...set(C),
        ...[GI, GF, GG, GO, C].flatMap((l, k) => [...at(SV, k), ...get(l), ...STORE()]),
        ...at(SV, 5), ...tanhOf(C, A, T, N), ...tee(A), ...STORE(),
        ...at(Y, 0), ...get(GO), ...get(A), ...V_MUL, ...STORE(),
      ]),
    ],
  };
}

function lstmBackward(): Fn {
  const [DY, CH, CC, SV, CP, DZ, DPP, DZA, DB, H] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [J, HB, DH, DC, GI, GF, GG, GO, TC, V] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const at = (base: number, k: number) => [...get(base), ...get(HB), ...i32(k), MUL, ADD, ...get(J), ADD];
  const one = splatF(1);
  /** V ← value; stored into dz, dp, dza at gate k, added to dbias. */
  const put = (k: number, value: number[]) => [
    ...value, ...set(V),
    ...[DZ, DPP, DZA].flatMap((base) => [...at(base, k), ...get(V), ...STORE()]),
    ...at(DB, k), ...at(DB, k), ...LOAD(), ...get(V), ...V_ADD, ...STORE(),
  ];
  return {
    name: 'lstmBackward', params: new Array(10).fill(I32), locals: [[2, I32], [8, V128]],
    body: [
      ...get(H), ...i32(2), SHL, ...set(HB),
      ...forUp(J, get(HB), i32(16), [
        ...at(DY, 0), ...LOAD(), ...at(CH, 0), ...LOAD(), ...V_ADD, ...set(DH),
        ...[GI, GF, GG, GO].flatMap((l, k) => [...at(SV, k), ...LOAD(), ...set(l)]), ...at(SV, 5), ...LOAD(), ...set(TC),
        // dc = carryC + dh·o·(1 − tanh²c)
        ...at(CC, 0), ...LOAD(), ...get(DH), ...get(GO), ...V_MUL, ...one, ...get(TC), ...get(TC), ...V_MUL, ...V_SUB, ...V_MUL, ...V_ADD, ...set(DC),
        ...put(0, [...get(DC), ...get(GG), ...V_MUL, ...get(GI), ...V_MUL, ...one, ...get(GI), ...V_SUB, ...V_MUL]),
        ...put(1, [...get(DC), ...at(CP, 0), ...LOAD(), ...V_MUL, ...get(GF), ...V_MUL, ...one, ...get(GF), ...V_SUB, ...V_MUL]),
        ...put(2, [...get(DC), ...get(GI), ...V_MUL, ...one, ...get(GG), ...get(GG), ...V_MUL, ...V_SUB, ...V_MUL]),
        ...put(3, [...get(DH), ...get(TC), ...V_MUL, ...get(GO), ...V_MUL, ...one, ...get(GO), ...V_SUB, ...V_MUL]),
        ...at(CC, 0), ...get(DC), ...get(GF), ...V_MUL, ...STORE(),
        ...at(CH, 0), ...ZERO, ...STORE(),
      ]),
    ],
  };
}

// ---------------------------------------------------------------------------------------- module

/** The kernels on the memory of this WebAssembly backend, or null where they cannot run (no SIMD, memory not exported). */
export const simdKernels = onBackendMemory<Simd>(assemble([gemm(), softmax(), softmaxGrad(), lstmForward(), lstmBackward()]));
