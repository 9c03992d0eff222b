// Initial weights from a timm EfficientNet checkpoint saved as safetensors (e.g. the paper's
// efficientnet_b3a: safetensors.torch.save_file(timm.create_model('efficientnet_b3a',
// pretrained=True).state_dict(), 'b3a.safetensors')). The parameter names here are timm's, so the
// mapping hook `timmMap` only picks layouts and drops what this network has no place for; the
// 3-channel stem is summed over its input channels for 1-channel CT (timm's adapt_input_conv).
import { readFile } from 'node:fs/promises';
import type { NameMap } from '../tf/safetensors.js';
import type { WeightEntry } from '../tf/weights.js';
import type { ParamSpec } from './architecture.js';

/** timm name → this network's name and layout; classifier and BatchNorm step counters are skipped. */
export const timmMap: NameMap = (name, shape) => {
  if (name.startsWith('classifier.') || name.endsWith('num_batches_tracked')) return null;
  if (shape.length === 4) return { name, layout: name.includes('conv_dw') ? 'depthwise' : 'conv' };
  return { name, layout: shape.length === 2 ? 'linear' : 'as-is' };
};

/**
 * Replace `initial` tensors by the file's where names match. Shapes must match (the stem may have 3
 * input channels); the layers the file lacks must be only the new embedding and head.
 */
export async function warmStart(path: string, specs: ParamSpec[], initial: WeightEntry[], who: string): Promise<{ entries: WeightEntry[]; loaded: number }> {
  const { readSafetensors } = await import('../tf/safetensors.js');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${who}: params.warmStart "${path}" cannot be read (${(e as Error).message}); give the path of a safetensors file or null`);
  }
  const file = new Map(readSafetensors(bytes, { source: path, map: timmMap }).map((e) => [e.name, e]));
  const want = new Map(specs.map((s) => [s.name, s]));
  const mismatched: string[] = [];
  const entries = initial.map((init) => {
    const got = file.get(init.name);
    if (!got) return init;
    const stem = init.name === 'conv_stem.weight' && got.shape.length === 4 && got.shape[2] !== init.shape[2] ? sumInputChannels(got) : got;
    if (stem.shape.join() !== init.shape.join()) {
      mismatched.push(`${init.name} is [${got.shape}] in the file, [${init.shape}] here`);
      return init;
    }
    return { ...stem, dtype: 'float32' as const, data: Float32Array.from(stem.data) };
  });
  const missing = specs.filter((s) => !file.has(s.name) && !/^(embedding|head)\./.test(s.name)).map((s) => s.name);
  const unused = [...file.keys()].filter((n) => !want.has(n));
  if (mismatched.length || missing.length) {
    const parts = [
      mismatched.length ? `mismatched: ${mismatched.slice(0, 5).join('; ')}${mismatched.length > 5 ? ` and ${mismatched.length - 5} more` : ''}` : '',
      missing.length ? `missing from the file: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` : '',
      unused.length ? `not used: ${unused.slice(0, 5).join(', ')}` : '',
    ].filter(Boolean);
    throw new Error(`${who}: params.warmStart "${path}" does not fit the network (${parts.join('; ')}); choose the backbone (and width/depth) the file was trained with, e.g. backbone b3 for efficientnet_b3a`);
  }
  return { entries, loaded: entries.filter((e, i) => e !== initial[i]).length };
}

/** A [kh, kw, c, out] stem summed over its c input channels → [kh, kw, 1, out]. */
function sumInputChannels(e: WeightEntry): WeightEntry {
  const [kh, kw, c, out] = e.shape;
  const data = new Float32Array(kh * kw * out);
  for (let p = 0; p < kh * kw; p++) for (let i = 0; i < c; i++) for (let o = 0; o < out; o++) data[p * out + o] += e.data[(p * c + i) * out + o];
  return { name: e.name, shape: [kh, kw, 1, out], dtype: 'float32', data };
}
