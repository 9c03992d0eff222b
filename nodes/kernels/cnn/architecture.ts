// EfficientNet b0–b3 and a small CPU preset as a list of layers with timm's parameter names
// (timm/models/efficientnet.py, `efficientnet_b*`: symmetric padding, BatchNorm eps 1e-5), so that
// timm's safetensors map onto it by name. No TensorFlow.js here: the layer list, the parameter
// shapes and the seeded initial values are plain data (the conformance samples build weights from it).
import { gaussian, type Rng } from '../../../engine/rng.js';
import type { WeightEntry } from '../tf/weights.js';

export const BACKBONES = ['b0', 'b1', 'b2', 'b3', 'small'] as const;
export type Backbone = (typeof BACKBONES)[number];

/** Width multiplier, depth multiplier and input resolution of each backbone (the EfficientNet paper's b0–b3). */
export const PRESETS: Record<Backbone, { width: number; depth: number; resolution: number }> = {
  b0: { width: 1.0, depth: 1.0, resolution: 224 },
  b1: { width: 1.0, depth: 1.1, resolution: 240 },
  b2: { width: 1.1, depth: 1.2, resolution: 260 },
  b3: { width: 1.2, depth: 1.4, resolution: 300 },
  small: { width: 0.5, depth: 0.5, resolution: 128 },
};

/** Everything that fixes the network's shape and its input; stored with the weights (model-table.ts). */
export interface CnnConfig {
  backbone: Backbone;
  width: number;
  depth: number;
  resolution: number;
  /** Units of the fully connected embedding layer before the sigmoid head. */
  embedding: number;
  /** HU window mapped to [0, 1]. */
  hu: [number, number];
  /** 'stretch': resize the cropped slice to a square; 'pad': pad it to a square with air first. */
  fit: 'stretch' | 'pad';
}

/** b0's stages: expansion, kernel, stride, output channels, repeats (timm 'ds_r1_k3_s1_e1_c16_se0.25', 'ir_r2_k3_s2_e6_c24_se0.25', …). */
const STAGES: [number, number, number, number, number][] = [
  [1, 3, 1, 16, 1], [6, 3, 2, 24, 2], [6, 5, 2, 40, 2], [6, 3, 2, 80, 3], [6, 5, 1, 112, 3], [6, 5, 2, 192, 4], [6, 3, 1, 320, 1],
];
const SE_RATIO = 0.25;
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface Block {
  /** timm prefix, e.g. 'blocks.1.0'. */
  name: string;
  inC: number;
  /** Channels after expansion (= inC for the depthwise-separable first stage). */
  midC: number;
  outC: number;
  kernel: number;
  stride: number;
  /** Squeeze-excitation bottleneck channels. */
  seC: number;
  residual: boolean;
  /** False for the first stage (timm DepthwiseSeparableConv: no expansion conv, pointwise projection named conv_pw). */
  expand: boolean;
}

export interface Architecture { stem: number; blocks: Block[]; features: number; embedding: number }

/** timm make_divisible(v, 8): nearest multiple of 8, at least 8, never more than 10% below v. */
const divisible = (v: number) => {
  const r = Math.max(8, Math.floor((v + 4) / 8) * 8);
  return r < 0.9 * v ? r + 8 : r;
};
/** Python's round(): halves go to the even neighbour. */
const pyRound = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

export function architecture(cfg: Pick<CnnConfig, 'width' | 'depth' | 'embedding'>): Architecture {
  const ch = (c: number) => divisible(c * cfg.width);
  const stem = ch(32);
  const blocks: Block[] = [];
  let inC = stem;
  STAGES.forEach(([e, k, s, c, r], stage) => {
    const outC = ch(c);
    for (let i = 0; i < Math.ceil(cfg.depth * r); i++) {
      const stride = i === 0 ? s : 1;
      const midC = e === 1 ? inC : divisible(inC * e);
      blocks.push({
        name: `blocks.${stage}.${i}`, inC, midC, outC, kernel: k, stride, expand: e !== 1,
        seC: Math.max(1, pyRound((midC * SE_RATIO) / e)), residual: stride === 1 && inC === outC,
      });
      inC = outC;
    }
  });
  return { stem, blocks, features: ch(1280), embedding: cfg.embedding };
}

export type ParamRole = 'conv' | 'depthwise' | 'bias' | 'gamma' | 'beta' | 'running_mean' | 'running_var' | 'linear';

export interface ParamSpec {
  name: string;
  /** TensorFlow.js layout: conv HWIO [kh, kw, in, out], depthwise [kh, kw, c, 1], linear [in, out]. */
  shape: number[];
  role: ParamRole;
}

/** Every tensor of the network, in a fixed order (weights tables list them in this order). */
export function paramSpecs(arch: Architecture, inChannels = 1): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const conv = (name: string, k: number, i: number, o: number) => specs.push({ name: `${name}.weight`, shape: [k, k, i, o], role: 'conv' });
  const bn = (name: string, c: number) => {
    for (const [suffix, role] of [['weight', 'gamma'], ['bias', 'beta'], ['running_mean', 'running_mean'], ['running_var', 'running_var']] as const) {
      specs.push({ name: `${name}.${suffix}`, shape: [c], role });
    }
  };
  conv('conv_stem', 3, inChannels, arch.stem);
  bn('bn1', arch.stem);
  for (const b of arch.blocks) {
    const p = b.name;
    let n = 1;
    if (b.expand) {
      conv(`${p}.conv_pw`, 1, b.inC, b.midC);
      bn(`${p}.bn${n++}`, b.midC);
    }
    specs.push({ name: `${p}.conv_dw.weight`, shape: [b.kernel, b.kernel, b.midC, 1], role: 'depthwise' });
    bn(`${p}.bn${n++}`, b.midC);
    conv(`${p}.se.conv_reduce`, 1, b.midC, b.seC);
    specs.push({ name: `${p}.se.conv_reduce.bias`, shape: [b.seC], role: 'bias' });
    conv(`${p}.se.conv_expand`, 1, b.seC, b.midC);
    specs.push({ name: `${p}.se.conv_expand.bias`, shape: [b.midC], role: 'bias' });
    conv(`${p}.${b.expand ? 'conv_pwl' : 'conv_pw'}`, 1, b.midC, b.outC);
    bn(`${p}.bn${n}`, b.outC);
  }
  const last = arch.blocks.at(-1)?.outC ?? arch.stem;
  conv('conv_head', 1, last, arch.features);
  bn('bn2', arch.features);
  for (const [name, i, o] of [['embedding', arch.features, arch.embedding], ['head', arch.embedding, 1]] as const) {
    specs.push({ name: `${name}.weight`, shape: [i, o], role: 'linear' }, { name: `${name}.bias`, shape: [o], role: 'bias' });
  }
  return specs;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Seeded initial values as timm initialises EfficientNet (_init_weight_goog): convolutions
 * N(0, 2/fan_out) with fan_out = kh·kw·out (per group for depthwise), linear layers
 * U(±1/√(fan_in + fan_out)), BatchNorm γ 1, β 0, running mean 0, running variance 1, biases 0.
 */
export function initialWeights(specs: ParamSpec[], rng: Rng): WeightEntry[] {
  return specs.map(({ name, shape, role }) => {
    const data = new Float32Array(numel(shape));
    if (role === 'conv' || role === 'depthwise') {
      const std = Math.sqrt(2 / (shape[0] * shape[1] * (role === 'conv' ? shape[3] : 1)));
      for (let i = 0; i < data.length; i++) data[i] = std * gaussian(rng);
    } else if (role === 'linear') {
      const r = 1 / Math.sqrt(shape[0] + shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng() - 1) * r;
    } else if (role === 'gamma' || role === 'running_var') {
      data.fill(1);
    }
    return { name, shape: [...shape], dtype: 'float32', data };
  });
}
