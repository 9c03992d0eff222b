// EfficientNet scaling, timm's names and shapes, and the seeded initial weights.
import { expect } from 'chai';
import { rngFrom } from '../../../engine/rng.js';
import { architecture, initialWeights, paramSpecs, PRESETS } from '../../../nodes/kernels/cnn/architecture.js';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe('cnn: EfficientNet architecture', () => {
  it("has timm's / torchvision's parameter counts for b0–b3 (3 input channels, a 1000-unit layer for the embedding, no head)", () => {
    const published = { b0: 5_288_548, b1: 7_794_184, b2: 9_109_994, b3: 12_233_232 };
    for (const [name, want] of Object.entries(published)) {
      const specs = paramSpecs(architecture({ ...PRESETS[name as keyof typeof published], embedding: 1000 }), 3);
      const trainable = specs.filter((s) => !s.name.includes('running') && !s.name.startsWith('head.'));
      expect(trainable.reduce((a, s) => a + count(s.shape), 0), name).to.equal(want);
    }
  });

  it("scales width and depth as timm does (b3: stem 40, 26 blocks, 1536 features) and names tensors with timm's keys", () => {
    const b3 = architecture({ ...PRESETS.b3, embedding: 224 });
    expect([b3.stem, b3.blocks.length, b3.features]).to.deep.equal([40, 26, 1536]);
    const b0 = new Map(paramSpecs(architecture({ ...PRESETS.b0, embedding: 224 })).map((s) => [s.name, s.shape]));
    expect(b0.get('conv_stem.weight')).to.deep.equal([3, 3, 1, 32]);
    expect(b0.get('blocks.0.0.conv_pw.weight'), 'first stage: depthwise-separable, pointwise projection').to.deep.equal([1, 1, 32, 16]);
    expect(b0.has('blocks.0.0.conv_pwl.weight')).to.equal(false);
    expect(b0.get('blocks.1.0.conv_dw.weight')).to.deep.equal([3, 3, 96, 1]);
    expect(b0.get('blocks.1.0.se.conv_reduce.weight'), 'squeeze to a quarter of the block input').to.deep.equal([1, 1, 96, 4]);
    expect(b0.get('blocks.5.3.bn3.running_var')).to.deep.equal([192]);
    expect(b0.get('embedding.weight')).to.deep.equal([1280, 224]);
    expect(b0.get('head.weight')).to.deep.equal([224, 1]);
    const small = architecture({ ...PRESETS.small, embedding: 224 });
    expect([small.stem, small.blocks.length, small.features]).to.deep.equal([16, 10, 640]);
  });

  it('initialises from the given generator: same seed same values, BatchNorm at identity, convolutions at He scale', () => {
    const specs = paramSpecs(architecture({ ...PRESETS.small, embedding: 8 }));
    const a = initialWeights(specs, rngFrom('s1')), b = initialWeights(specs, rngFrom('s1')), c = initialWeights(specs, rngFrom('s2'));
    expect(a.map((e) => Array.from(e.data))).to.deep.equal(b.map((e) => Array.from(e.data)));
    expect(Array.from(a[0].data)).to.not.deep.equal(Array.from(c[0].data));
    const get = (n: string) => a.find((e) => e.name === n)!;
    expect(new Set(get('bn1.weight').data)).to.deep.equal(new Set([1]));
    expect(new Set(get('bn1.running_mean').data)).to.deep.equal(new Set([0]));
    const w = Array.from(get('conv_head.weight').data);                 // 1×1, fan_out 640: std √(2/640)
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).to.be.closeTo(Math.sqrt(2 / 640), 0.005);
  });
});
