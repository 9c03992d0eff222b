// The two-step Swin (paper §3.1): a Swin Transformer (Liu et al. 2021; microsoft/Swin-Transformer,
// models/swin_transformer.py) over the single-channel image whose rows are a draw's slice
// embeddings in slice order (length × embedding size; 224 × 224 in the paper). Patch embedding,
// stages of blocks with (shifted) window attention, the shift mask and relative position bias,
// patch merging, LayerNorm, mean over tokens, a linear head to one logit. Parameter names are the
// original's, in TensorFlow.js layouts (linear weights [in, out], the patch conv HWIO), so its
// state_dict loads through readSafetensors with swinTorchMap.
//
// A rectangular image (embedding size ≠ length) is handled per axis: the window along an axis is
// min(window, grid size) and shifted blocks shift by half of it only where the grid is larger than
// the window. For square images this is exactly the original rule.
import type * as TFJS from '@tensorflow/tfjs';
import type { TF } from '../tf/backend.js';
import { defaultMap, type NameMap } from '../tf/safetensors.js';
import type { ParamSpec } from './init.js';
import type { SeqNet } from './net.js';
import { windowAttention } from './swin-attention.js';
import { gelu, layerNorm, linear, permutation, permute, type Permutation } from './swin-ops.js';

type T = TFJS.Tensor;

export interface SwinArch {
  /** Side of the square patches the image is cut into (the embedding's stride). */
  patch: number;
  /** Channels of the first stage (doubled by every patch merging). */
  dim: number;
  /** Blocks per stage. */
  depths: number[];
  /** Attention heads per stage. */
  heads: number[];
  /** Side of the attention windows, in tokens. */
  window: number;
  /** MLP hidden units per channel. */
  mlpRatio: number;
}

export interface SwinConfig extends SwinArch {
  /** Image rows: slices per draw. */
  height: number;
  /** Image columns: the embedding size. */
  width: number;
}

export const SWIN_PRESETS = {
  /** Swin-T (the paper's backbone family): patch 4, C 96, depths 2-2-6-2, heads 3-6-12-24, window 7. */
  tiny: { patch: 4, dim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 7, mlpRatio: 4 },
  /** A small model for CPUs: C 32, three stages of 2 blocks (about 1/15 of Swin-T's multiply-adds per image). */
  'small-cpu': { patch: 4, dim: 32, depths: [2, 2, 2], heads: [2, 4, 8], window: 7, mlpRatio: 4 },
} satisfies Record<string, SwinArch>;
export type SwinPreset = keyof typeof SWIN_PRESETS;

export interface Stage {
  /** Token grid. */
  h: number;
  w: number;
  dim: number;
  heads: number;
  depth: number;
  /** Window per axis, and the shift of odd blocks per axis (0: no shift). */
  wh: number;
  ww: number;
  sh: number;
  sw: number;
  /** Whether a patch merging follows. */
  merge: boolean;
}

/** The stages' geometry; an error names what does not divide and how to fix it. */
export function swinStages(c: SwinConfig): Stage[] {
  if (c.depths.length !== c.heads.length || c.depths.length === 0) {
    throw new Error(`swin: depths [${c.depths}] and heads [${c.heads}] must list one value per stage`);
  }
  if (c.height % c.patch || c.width % c.patch) {
    throw new Error(`swin: the ${c.height} × ${c.width} image (length × embedding size) is not divisible into ${c.patch} × ${c.patch} patches: choose a patch that divides both`);
  }
  let h = c.height / c.patch, w = c.width / c.patch;
  return c.depths.map((depth, i) => {
    const dim = c.dim * 2 ** i, heads = c.heads[i];
    if (dim % heads) throw new Error(`swin: stage ${i} has ${dim} channels, not divisible by its ${heads} heads`);
    const wh = Math.min(c.window, h), ww = Math.min(c.window, w);
    if (h % wh || w % ww) {
      throw new Error(`swin: stage ${i} has a ${h} × ${w} token grid, which ${wh} × ${ww} windows do not tile: choose a window that divides it (length and embedding size over patch·2^stage)`);
    }
    const merge = i < c.depths.length - 1;
    if (merge && (h % 2 || w % 2)) {
      throw new Error(`swin: stage ${i} has a ${h} × ${w} token grid, which patch merging cannot halve: use fewer stages (depths/heads) or a smaller patch`);
    }
    const stage = { h, w, dim, heads, depth, wh, ww, sh: h > c.window ? wh >> 1 : 0, sw: w > c.window ? ww >> 1 : 0, merge };
    if (merge) [h, w] = [h / 2, w / 2];
    return stage;
  });
}

export function swinSpecs(c: SwinConfig): ParamSpec[] {
  const p = c.patch, specs: ParamSpec[] = [];
  const tn = { normal: 0.02 }, zero = { constant: 0 }, one = { constant: 1 };
  const norm = (name: string, n: number) => specs.push({ name: `${name}.weight`, shape: [n], init: one }, { name: `${name}.bias`, shape: [n], init: zero });
  const lin = (name: string, i: number, o: number, bias = true) => {
    specs.push({ name: `${name}.weight`, shape: [i, o], init: tn });
    if (bias) specs.push({ name: `${name}.bias`, shape: [o], init: zero });
  };
  specs.push({ name: 'patch_embed.proj.weight', shape: [p, p, 1, c.dim], init: { uniform: 1 / p } }, { name: 'patch_embed.proj.bias', shape: [c.dim], init: { uniform: 1 / p } });
  norm('patch_embed.norm', c.dim);
  swinStages(c).forEach((s, i) => {
    for (let j = 0; j < s.depth; j++) {
      const b = `layers.${i}.blocks.${j}`;
      norm(`${b}.norm1`, s.dim);
      specs.push({ name: `${b}.attn.relative_position_bias_table`, shape: [(2 * s.wh - 1) * (2 * s.ww - 1), s.heads], init: tn });
      lin(`${b}.attn.qkv`, s.dim, 3 * s.dim);
      lin(`${b}.attn.proj`, s.dim, s.dim);
      norm(`${b}.norm2`, s.dim);
      lin(`${b}.mlp.fc1`, s.dim, Math.floor(s.dim * c.mlpRatio));
      lin(`${b}.mlp.fc2`, Math.floor(s.dim * c.mlpRatio), s.dim);
    }
    if (s.merge) {
      norm(`layers.${i}.downsample.norm`, 4 * s.dim);
      lin(`layers.${i}.downsample.reduction`, 4 * s.dim, 2 * s.dim, false);
    }
  });
  const last = c.dim * 2 ** (c.depths.length - 1);
  norm('norm', last);
  lin('head', last, 1);
  return specs;
}

/** Names and layouts of an original Swin state_dict: the bias tables stay as they are, index and mask buffers are skipped. */
export const swinTorchMap: NameMap = (name, shape) => {
  if (name.endsWith('relative_position_index') || name.endsWith('attn_mask')) return null;
  return name.endsWith('relative_position_bias_table') ? { name, layout: 'as-is' } : defaultMap(name, shape);
};

// ---------------------------------------------------------------------------------------- index tables

/** Token order after the cyclic shift by (−sh, −sw) and the window partition (torch.roll + window_partition). */
function windowOrder(s: Stage, sh: number, sw: number): Int32Array {
  const order = new Int32Array(s.h * s.w);
  let k = 0;
  for (let a = 0; a < s.h / s.wh; a++) for (let c = 0; c < s.w / s.ww; c++) {
    for (let i = 0; i < s.wh; i++) for (let j = 0; j < s.ww; j++) order[k++] = ((a * s.wh + i + sh) % s.h) * s.w + ((c * s.ww + j + sw) % s.w);
  }
  return order;
}

/** relative_position_index: row of the bias table for each (query, key) pair of a window. */
function relativeIndex(wh: number, ww: number): Int32Array {
  const n = wh * ww, out = new Int32Array(n * n);
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) {
    out[p * n + q] = (Math.floor(p / ww) - Math.floor(q / ww) + wh - 1) * (2 * ww - 1) + ((p % ww) - (q % ww) + ww - 1);
  }
  return out;
}

/** The shifted blocks' attention mask [nW, N, N]: −100 between tokens from different regions of the shifted grid. */
function shiftMask(s: Stage): Float32Array {
  const region = (y: number, size: number, win: number, shift: number) => (!shift ? 0 : y < size - win ? 0 : y < size - shift ? 1 : 2);
  const n = s.wh * s.ww, nW = (s.h / s.wh) * (s.w / s.ww);
  const out = new Float32Array(nW * n * n);
  let win = 0;
  for (let a = 0; a < s.h / s.wh; a++) for (let c = 0; c < s.w / s.ww; c++, win++) {
    const ids = Array.from({ length: n }, (_, p) => 3 * region(a * s.wh + Math.floor(p / s.ww), s.h, s.wh, s.sh) + region(c * s.ww + (p % s.ww), s.w, s.ww, s.sw));
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) out[(win * n + p) * n + q] = ids[p] === ids[q] ? 0 : -100;
  }
  return out;
}

/** Patch merging's order: for each output token, its 2×2 neighbours x0 (0,0), x1 (1,0), x2 (0,1), x3 (1,1). */
function mergeOrder(s: Stage): Int32Array {
  const order = new Int32Array(s.h * s.w);
  let k = 0;
  for (let r = 0; r < s.h / 2; r++) for (let c = 0; c < s.w / 2; c++) {
    for (const [dr, dc] of [[0, 0], [1, 0], [0, 1], [1, 1]]) order[k++] = (2 * r + dr) * s.w + 2 * c + dc;
  }
  return order;
}

/** Pixels in patch order: per token (row-major over the patch grid) its p × p pixels row-major. */
function patchOrder(c: SwinConfig): Int32Array {
  const p = c.patch, gw = c.width / p, order = new Int32Array(c.height * c.width);
  let k = 0;
  for (let r = 0; r < c.height / p; r++) for (let q = 0; q < gw; q++) {
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) order[k++] = (r * p + i) * c.width + q * p + j;
  }
  return order;
}

// ---------------------------------------------------------------------------------------- model

interface StagePlan {
  stage: Stage;
  /** Window order without and with the shift (the latter when the stage shifts). */
  plain: Permutation;
  shifted: Permutation | null;
  relIndex: TFJS.Tensor1D;
  /** [nW, 1, N, N], for the shifted blocks (a constant: its broadcast needs no gradient). */
  mask: TFJS.Tensor4D | null;
  merge: Permutation | null;
}

/** The index tables of a configuration (the tensors among them are disposed with the plan). */
export interface SwinPlan { config: SwinConfig; patches: Permutation; stages: StagePlan[]; dispose(): void }

export function swinPlan(tf: TF, config: SwinConfig): SwinPlan {
  const tensors: T[] = [];
  const keep = <X extends T>(t: X) => (tensors.push(t), t);
  const stages = swinStages(config).map((s): StagePlan => {
    const shifts = s.sh || s.sw;
    const n = s.wh * s.ww;
    return {
      stage: s,
      plain: permutation(windowOrder(s, 0, 0)),
      shifted: shifts ? permutation(windowOrder(s, s.sh, s.sw)) : null,
      relIndex: keep(tf.tensor1d(relativeIndex(s.wh, s.ww), 'int32')),
      mask: shifts ? keep(tf.tensor4d(shiftMask(s), [(s.h / s.wh) * (s.w / s.ww), 1, n, n])) : null,
      merge: s.merge ? permutation(mergeOrder(s)) : null,
    };
  });
  return { config, patches: permutation(patchOrder(config)), stages, dispose: () => tf.dispose(tensors) };
}

/** One block on x [B·L, C] in raster order. */
function block(tf: TF, sp: StagePlan, prm: (n: string) => T, name: string, shifted: boolean, x: T, B: number): T {
  const s = sp.stage;
  const N = s.wh * s.ww, nW = (s.h / s.wh) * (s.w / s.ww), L = s.h * s.w;
  const order = shifted ? sp.shifted! : sp.plain;
  const u = permute(tf, tf.reshape(layerNorm(tf, x, prm(`${name}.norm1.weight`), prm(`${name}.norm1.bias`)), [B, L, s.dim]), order);
  const qkv = linear(tf, tf.reshape(u, [B * L, s.dim]), prm(`${name}.attn.qkv.weight`), prm(`${name}.attn.qkv.bias`));
  const table = prm(`${name}.attn.relative_position_bias_table`);
  const bias = tf.transpose(tf.reshape(tf.gather(table, sp.relIndex), [N, N, s.heads]), [2, 0, 1]);   // [heads, N, N]
  const heads = windowAttention(tf, qkv, bias, shifted ? sp.mask : null, { windows: nW, tokens: N, heads: s.heads });
  const out = permute(tf, tf.reshape(linear(tf, heads, prm(`${name}.attn.proj.weight`), prm(`${name}.attn.proj.bias`)), [B, L, s.dim]), { order: order.inverse, inverse: order.order });
  const y = tf.add(x, tf.reshape(out, [B * L, s.dim]));
  const hidden = gelu(tf, linear(tf, layerNorm(tf, y, prm(`${name}.norm2.weight`), prm(`${name}.norm2.bias`)), prm(`${name}.mlp.fc1.weight`), prm(`${name}.mlp.fc1.bias`)));
  return tf.add(y, linear(tf, hidden, prm(`${name}.mlp.fc2.weight`), prm(`${name}.mlp.fc2.bias`)));
}

/** The tokens [B, L, C] after the patch embedding, each stage and each merging (keys as in the parity fixture), and the logits [B]. */
export function swinForward(tf: TF, plan: SwinPlan, params: Map<string, T>, image: T): { parts: Record<string, T>; logits: TFJS.Tensor1D } {
  const c = plan.config, B = image.shape[0], p = c.patch;
  const prm = (n: string) => {
    const t = params.get(n);
    if (!t) throw new Error(`swin: no parameter "${n}"`);
    return t;
  };
  const parts: Record<string, T> = {};
  const pixels = permute(tf, tf.reshape(image, [B, c.height * c.width, 1]), plan.patches);
  let L = (c.height / p) * (c.width / p);
  const embedded = linear(tf, tf.reshape(pixels, [B * L, p * p]), tf.reshape(prm('patch_embed.proj.weight'), [p * p, c.dim]), prm('patch_embed.proj.bias'));
  let x: T = layerNorm(tf, embedded, prm('patch_embed.norm.weight'), prm('patch_embed.norm.bias'));
  parts['out.embed'] = tf.reshape(x, [B, L, c.dim]);
  plan.stages.forEach((sp, i) => {
    const s = sp.stage;
    for (let j = 0; j < s.depth; j++) x = block(tf, sp, prm, `layers.${i}.blocks.${j}`, j % 2 === 1 && sp.shifted !== null, x, B);
    parts[`out.stage${i}`] = tf.reshape(x, [B, L, s.dim]);
    if (sp.merge) {
      const grouped = tf.reshape(permute(tf, tf.reshape(x, [B, L, s.dim]), sp.merge), [B * (L / 4), 4 * s.dim]);
      const n = `layers.${i}.downsample`;
      x = linear(tf, layerNorm(tf, grouped, prm(`${n}.norm.weight`), prm(`${n}.norm.bias`)), prm(`${n}.reduction.weight`));
      L /= 4;
      parts[`out.merge${i}`] = tf.reshape(x, [B, L, 2 * s.dim]);
    }
  });
  const C = x.shape[1]!;
  const pooled = tf.mean(tf.reshape(layerNorm(tf, x, prm('norm.weight'), prm('norm.bias')), [B, L, C]), 1);
  return { parts, logits: tf.reshape(linear(tf, pooled, prm('head.weight'), prm('head.bias')), [B]) };
}

/** The Swin for the training loop: the image is a draw of exactly `height` slices × the embedding size. */
export function swinNet(tf: TF, c: SwinConfig): SeqNet {
  const plan = swinPlan(tf, c);
  return {
    kind: 'swin', length: c.height, fixed: true, specs: swinSpecs(c), config: c,
    logits: (tf2, params, x) => swinForward(tf2, plan, params, x).logits,
    dispose: () => plan.dispose(),
  };
}
