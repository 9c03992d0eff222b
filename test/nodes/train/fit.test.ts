// The training loop on its own (nodes/kernels/train/fit.ts), with a one-tensor trainee whose
// validation scores are scripted per epoch: early stopping and ties, the best epoch's parameters,
// training without validation, resume after a kill, checkpoints for other settings, bad checkpoints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { liveTensors, useBackend, type TF } from '../../../nodes/kernels/tf/backend.js';
import { adamEntries, adamState, adamUpdate, restoreAdam } from '../../../nodes/kernels/train/adam.js';
import { saveCheckpoint } from '../../../nodes/kernels/train/checkpoint.js';
import { fit, type FitHooks, type FitResult, type Trainee, type Validation } from '../../../nodes/kernels/train/fit.js';
import { tensorEntries } from '../../../nodes/kernels/tf/weights.js';

const opt = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** w ← Adam on (w − 3)², two steps an epoch weighted 1 and 2; validation `script[epoch − 1]` (null: none); each step's loss into `losses`. */
async function train(tf: TF, script: Validation[] | null, epochs: number, patience: number, hooks: Partial<FitHooks> = {}, losses: number[] = []): Promise<FitResult> {
  const params = new Map([['w', tf.tensor1d([0])]]);
  const adam = adamState();
  const trainee: Trainee = {
    params,
    optimizer: { step: () => adam.step, entries: () => adamEntries(adam), restore: (entries, step) => restoreAdam(tf, adam, entries, step) },
    *steps() {
      for (let i = 0; i < 2; i++) {
        yield async () => {
          const g = tf.tidy(() => tf.mul(tf.sub(params.get('w')!, 3), 2));
          const loss = ((await params.get('w')!.data())[0] - 3) ** 2;
          losses.push(loss);
          adamUpdate(tf, opt, adam, params, new Map([['w', g]]));
          g.dispose();
          return { loss, weight: i + 1 };
        };
      }
    },
    validate: script && (async () => script[adam.step / 2 - 1]),
  };
  try {
    return await fit(tf, trainee, { epochs, patience }, { checkpoints: null, signal: new AbortController().signal, progress: () => {}, log: () => {}, ...hooks });
  } finally {
    tf.dispose([...params.values(), ...adam.m.values(), ...adam.v.values()]);
  }
}

const v = (f1: number, loss = 1): Validation => ({ f1, loss, accuracy: f1 });
const noSeconds = (r: FitResult) => r.history.map(({ seconds: _s, ...rest }) => rest);
const errorOf = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);

describe('fit: the training loop', () => {
  let tf: TF;
  before(async () => ({ tf } = await useBackend('wasm')));

  it('keeps the best epoch (ties: lower validation loss) and stops after `patience` epochs without a better one', async () => {
    const before = liveTensors(tf);
    const script = [v(0.5), v(0.7, 0.8), v(0.7, 0.6), v(0.6), v(0.7, 0.6), v(0.9)];
    const losses: number[] = [];
    const r = await train(tf, script, 6, 2, {}, losses);
    expect([r.bestEpoch, r.history.length, r.stoppedEarly, r.resumed]).to.deep.equal([3, 5, true, 0]);
    const upTo = await train(tf, script, 3, 2);
    expect(r.best).to.deep.equal(upTo.best);
    expect(r.history.map((h) => h.val_f1)).to.deep.equal([0.5, 0.7, 0.7, 0.6, 0.7]);
    expect(r.history[0].train_loss, "the steps' losses weighted 1 and 2").to.equal((losses[0] + losses[1] * 2) / 3);
    expect(liveTensors(tf)).to.equal(before);
  });

  it('without validation, runs every epoch and outputs the last', async () => {
    const r = await train(tf, null, 3, 1);
    expect([r.bestEpoch, r.history.length, r.stoppedEarly]).to.deep.equal([3, 3, false]);
    expect(r.history.every((h) => h.val_f1 === null && h.val_loss === null)).to.equal(true);
  });

  it('resumes a killed training from its checkpoint to the same result, and ignores or refuses checkpoints it cannot use', async () => {
    const script = [v(0.5), v(0.7), v(0.6), v(0.8), v(0.8, 2)];
    const whole = await train(tf, script, 5, 3);
    const dir = mkdtempSync(join(tmpdir(), 'ctflow-fit-'));
    const abort = new AbortController();
    const killed = await errorOf(train(tf, script, 5, 3, {
      checkpoints: { dir, fingerprint: 'a' }, signal: abort.signal, progress: (epoch) => { if (epoch === 2) abort.abort(new Error('killed')); },
    }));
    expect(killed).to.equal('killed');
    const logs: string[] = [];
    const resumed = await train(tf, script, 5, 3, { checkpoints: { dir, fingerprint: 'a' }, log: (m) => logs.push(m) });
    expect(resumed.resumed).to.equal(2);
    expect(logs[0]).to.equal(`resuming after epoch 2 from ${dir}`);
    expect(noSeconds(resumed)).to.deep.equal(noSeconds(whole));
    expect(resumed.best).to.deep.equal(whole.best);

    const other: string[] = [];
    expect((await train(tf, script, 1, 3, { checkpoints: { dir, fingerprint: 'b' }, log: (m) => other.push(m) })).resumed).to.equal(0);
    expect(other[0]).to.equal(`checkpoint in ${dir} is for other settings or data; starting from epoch 1`);

    const v1 = tf.scalar(1);
    const alien = await tensorEntries(new Map([['v', v1]]));
    v1.dispose();
    await saveCheckpoint(dir, { fingerprint: 'd', epoch: 1, history: [], bestEpoch: 0, since: 0, adamStep: 0 }, alien, alien, null);
    expect(await errorOf(train(tf, script, 1, 3, { checkpoints: { dir, fingerprint: 'd' } }))).to.equal(`checkpoint tensor "v" is not in the model; delete ${dir} and rerun`);
    rmSync(dir, { recursive: true, force: true });
  });
});
