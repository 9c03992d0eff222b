// Adam as torch.optim.Adam computes it, weight decay included in its coupled (L2) form: the decay
// term wd·θ is added to the gradient before the moments, as in PyTorch's Adam(weight_decay=…) that
// the paper's setting names, not decoupled as in AdamW. Applied to every trainable tensor
// (BatchNorm scales and biases too), as torch does for model.parameters().
// Two forms of one formula: per tensor (moments in maps by name), and flat (all tensors end to end:
// one update is a dozen operations on long vectors instead of a dozen per tensor; the CNN has
// hundreds of small tensors and every operation costs a kernel call). Both forms checkpoint their
// moments as weight entries 'adam.m/<tensor>' and 'adam.v/<tensor>' (fit.ts writes them beside the
// parameters and hands them back on resume).
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { adamOnDevice, keepsOnDevice, splitOnDevice } from '../tf/on-device.js';
import { tensorEntries, type WeightEntry } from '../tf/weights.js';

type T = TFJS.Tensor;

export interface AdamOptions { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

/**
 * One step at step count `t` (1-based), elementwise: g ← g + wd·θ; m ← β1·m + (1−β1)·g;
 * v ← β2·v + (1−β2)·g²; θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). Null moments are zeros.
 */
function adamMath(tf: TF, o: AdamOptions, t: number, theta: T, g0: T, m0: T | null, v0: T | null): [T, T, T] {
  if (keepsOnDevice(tf)) return adamOnDevice(tf, o, t, theta, g0, m0, v0);
  return tf.tidy(() => {
    const g = o.weightDecay ? tf.add(g0, tf.mul(theta, o.weightDecay)) : g0;
    const m = m0 ? tf.add(tf.mul(m0, o.beta1), tf.mul(g, 1 - o.beta1)) : tf.mul(g, 1 - o.beta1);
    const v = v0 ? tf.add(tf.mul(v0, o.beta2), tf.mul(tf.square(g), 1 - o.beta2)) : tf.mul(tf.square(g), 1 - o.beta2);
    const update = tf.div(m, tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - o.beta2 ** t)), o.eps));
    return [tf.sub(theta, tf.mul(update, o.lr / (1 - o.beta1 ** t))), m, v];
  });
}

export interface AdamState {
  /** Steps taken so far. */
  step: number;
  m: Map<string, T>;
  v: Map<string, T>;
}

export function adamState(): AdamState {
  return { step: 0, m: new Map(), v: new Map() };
}

/** One update of `params` (replaced in the map; old tensors disposed) from `grads`, per tensor. */
export function adamUpdate(tf: TF, o: AdamOptions, s: AdamState, params: Map<string, T>, grads: ReadonlyMap<string, T>): void {
  s.step += 1;
  for (const [name, g] of grads) {
    const out = adamMath(tf, o, s.step, params.get(name)!, g, s.m.get(name) ?? null, s.v.get(name) ?? null);
    for (const [map, t] of [[params, out[0]], [s.m, out[1]], [s.v, out[2]]] as const) {
      map.get(name)?.dispose();
      map.set(name, t);
    }
  }
}

/** Whether a checkpoint entry is an Adam moment rather than a parameter. */
export const isAdamEntry = (name: string) => name.startsWith('adam.m/') || name.startsWith('adam.v/');

/** The per-tensor moments as weight entries (checkpoints). */
export async function adamEntries(s: AdamState): Promise<WeightEntry[]> {
  return [...(await tensorEntries(s.m, 'adam.m/')), ...(await tensorEntries(s.v, 'adam.v/'))];
}

/** Restore per-tensor moments saved by adamEntries after `step` steps (entries that are not moments are skipped). */
export function restoreAdam(tf: TF, s: AdamState, entries: WeightEntry[], step: number): void {
  for (const e of entries) {
    if (!isAdamEntry(e.name)) continue;
    const map = e.name.startsWith('adam.m/') ? s.m : s.v;
    const name = e.name.slice('adam.m/'.length);
    map.get(name)?.dispose();
    map.set(name, tf.tensor(e.data, e.shape, 'float32'));
  }
  s.step = step;
}

export interface FlatAdamState {
  /** Steps taken so far. */
  step: number;
  /** The tensors the moments cover, in order, with their shapes. */
  layout: { name: string; shape: number[] }[];
  /** First and second moments, flat (null before the first step). */
  m: TFJS.Tensor1D | null;
  v: TFJS.Tensor1D | null;
}

export function flatAdamState(): FlatAdamState {
  return { step: 0, layout: [], m: null, v: null };
}

const flat = (tf: TF, ts: T[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1]))) as TFJS.Tensor1D;
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The names of `params` that have `grads`, in `params`' order: the flat layout of flatAdamUpdate. */
export const gradNames = (params: ReadonlyMap<string, T>, grads: ReadonlyMap<string, unknown>) => [...params.keys()].filter((n) => grads.has(n));

/** The gradients of `names` end to end, in that order (the flat gradient of flatAdamGradUpdate). */
export const flatGrads = (tf: TF, names: string[], grads: ReadonlyMap<string, T>) => tf.tidy(() => flat(tf, names.map((n) => grads.get(n)!)));

/** One update of the tensors of `params` that have `grads` (replaced in the map; old ones disposed), flat. */
export async function flatAdamUpdate(tf: TF, o: AdamOptions, s: FlatAdamState, params: Map<string, T>, grads: ReadonlyMap<string, T>): Promise<void> {
  const names = gradNames(params, grads);
  const g = flatGrads(tf, names, grads);
  try {
    await flatAdamGradUpdate(tf, o, s, params, names, g);
  } finally {
    g.dispose();
  }
}

/**
 * flatAdamUpdate with the gradient already flat: `grad` holds the gradients of `names` (params'
 * names that have one, in params' order) end to end; the caller keeps and disposes it.
 */
export async function flatAdamGradUpdate(tf: TF, o: AdamOptions, s: FlatAdamState, params: Map<string, T>, names: string[], grad: TFJS.Tensor1D): Promise<void> {
  if (s.step === 0) s.layout = names.map((name) => ({ name, shape: params.get(name)!.shape }));
  else if (names.join() !== s.layout.map((l) => l.name).join()) throw new Error('Adam: the gradients are not for the tensors of the earlier steps');
  s.step += 1;
  const [theta, m, v] = tf.tidy(() => adamMath(tf, o, s.step, flat(tf, names.map((n) => params.get(n)!)), grad, s.m, s.v));
  const parts = keepsOnDevice(tf) ? splitOnDevice(tf, theta as TFJS.Tensor1D, s.layout.map((l) => l.shape)) : await unflatten(tf, theta as TFJS.Tensor1D, s.layout);
  theta.dispose();
  s.layout.forEach(({ name }, i) => {
    params.get(name)!.dispose();
    params.set(name, parts[i]);
  });
  tf.dispose([s.m, s.v].filter((t): t is TFJS.Tensor1D => t !== null));
  [s.m, s.v] = [m as TFJS.Tensor1D, v as TFJS.Tensor1D];
}

/**
 * The flat vector cut back into tensors, through one read: on the WebAssembly backend each Slice
 * costs ~10 ms whatever its size and SplitV more (measured: 137 pieces of an 800k vector take
 * ~480 ms that way, ~9 ms this way).
 */
async function unflatten(tf: TF, x: TFJS.Tensor1D, layout: FlatAdamState['layout']): Promise<T[]> {
  const values = (await x.data()) as Float32Array;
  let at = 0;
  return layout.map(({ shape }) => {
    at += numel(shape);
    return tf.tensor(values.subarray(at - numel(shape), at), shape, 'float32');
  });
}

/** The moments as weight entries 'adam.m/<tensor>' and 'adam.v/<tensor>' (checkpoints). */
export async function flatAdamEntries(s: FlatAdamState): Promise<WeightEntry[]> {
  const out: WeightEntry[] = [];
  for (const [prefix, moment] of [['adam.m/', s.m], ['adam.v/', s.v]] as const) {
    if (!moment) continue;
    const values = (await moment.data()) as Float32Array;
    let at = 0;
    for (const { name, shape } of s.layout) {
      out.push({ name: prefix + name, shape, dtype: 'float32', data: values.slice(at, at + numel(shape)) });
      at += numel(shape);
    }
  }
  return out;
}

/** Restore moments saved by flatAdamEntries after `step` steps, for the tensors of `params` (in its order). */
export function restoreFlatAdam(tf: TF, s: FlatAdamState, params: ReadonlyMap<string, T>, entries: WeightEntry[], step: number): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  s.layout = [...params.keys()].filter((n) => byName.has(`adam.m/${n}`)).map((name) => ({ name, shape: params.get(name)!.shape }));
  tf.dispose([s.m, s.v].filter((t): t is TFJS.Tensor1D => t !== null));
  [s.m, s.v] = (['adam.m/', 'adam.v/'] as const).map((prefix) => (s.layout.length
    ? tf.tidy(() => flat(tf, s.layout.map(({ name, shape }) => tf.tensor(byName.get(prefix + name)!.data, shape))))
    : null));
  s.step = step;
}
