// The epoch's mean training loss from steps that leave their loss on the device: read N at a time,
// summed on the host in step order, so the mean has the same bytes as reading every step (what
// wasm and cpu do, and what the README's quick.yaml table was made with).
import { expect } from 'chai';
import { rngFrom } from '../../../engine/rng.js';
import { useBackend } from '../../../nodes/kernels/tf/backend.js';
import { EpochLoss } from '../../../nodes/kernels/train/epoch-loss.js';

describe('EpochLoss: the mean training loss of losses read every N steps', () => {
  it('gives the bytes of a per-step read for every N, with numbers and tensors mixed, and leaves no tensor', async () => {
    const { tf } = await useBackend('cpu');
    const rng = rngFrom('epoch-loss');
    const steps = Array.from({ length: 11 }, (_, i) => ({ value: Math.fround(0.3 + rng()), weight: 1 + (i % 3), tensor: i % 4 !== 1 }));
    let sum = 0, weight = 0;
    for (const s of steps) {
      sum += s.value * s.weight;
      weight += s.weight;
    }
    const before = tf.memory().numTensors;
    for (const every of [1, 3, 4, 16]) {
      const reads: number[] = [];
      const losses = new EpochLoss(tf, every);
      const read = (losses as unknown as { reader: { flush(): Promise<number[]> } }).reader;
      const flush = read.flush.bind(read);
      read.flush = async () => { const v = await flush(); if (v.length) reads.push(v.length); return v; };
      for (const s of steps) await losses.add({ loss: s.tensor ? tf.scalar(s.value) : s.value, weight: s.weight });
      expect(await losses.mean(), `every ${every}`).to.equal(sum / weight);
      losses.dispose();
      // 8 of the 11 losses are tensors: read in ceil(8 / every) readbacks of at most `every`
      expect(reads.length, `readbacks, every ${every}`).to.equal(Math.ceil(8 / every));
      expect(Math.max(...reads)).to.be.at.most(every);
    }
    expect(tf.memory().numTensors).to.equal(before);
  });
});
