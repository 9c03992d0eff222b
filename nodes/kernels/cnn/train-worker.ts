// A CNN training replica in a worker thread (train-replicas.ts starts it): its own TensorFlow.js and
// WebAssembly instance and one job at a time: a training pass (model.ts passGrads, the code the
// calling thread runs for its own passes) at the parameters in the shared buffer it is sent,
// answered as arrays, the gradients as one vector (adam.ts's flat layout).
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../tf/backend.js';
import { flatGrads, gradNames } from '../train/adam.js';
import { architecture, paramSpecs, type CnnConfig } from './architecture.js';
import { createModel, disposeModel, disposePass, passGrads } from './model.js';
import type { PassJob, RemotePass } from './train-replicas.js';

const { backend, cfg } = workerData as { backend: string; cfg: CnnConfig };
const { tf } = await useBackend(backend);
const specs = paramSpecs(architecture(cfg));
const offsets = specs.reduce((acc: number[], s) => [...acc, acc[acc.length - 1] + s.shape.reduce((a, b) => a * b, 1)], [0]);

async function answer(job: PassJob & { params: Float32Array }): Promise<void> {
  // views of the shared buffer: tensors are built from them here and disposed before the next step writes it
  const model = createModel(tf, cfg, specs.map((s, i) => ({ name: s.name, shape: s.shape, dtype: 'float32', data: job.params.subarray(offsets[i], offsets[i + 1]) })), 'CNN training replica');
  try {
    const pass = passGrads(tf, model, job.x, job.y, job.batch);
    try {
      const names = gradNames(model.params, pass.grads);
      const grads = flatGrads(tf, names, pass.grads);
      try {
        const reply: RemotePass = {
          loss: (await pass.loss.data())[0],
          names,
          grads: (await grads.data()) as Float32Array,
          stats: await Promise.all(pass.stats.map(async (s) => ({ name: s.name, mean: (await s.mean.data()) as Float32Array, variance: (await s.variance.data()) as Float32Array, count: s.count }))),
        };
        parentPort!.postMessage(reply, [...new Set([reply.grads, ...reply.stats.flatMap((s) => [s.mean, s.variance])].map((a) => a.buffer as ArrayBuffer))]);
      } finally {
        grads.dispose();
      }
    } finally {
      disposePass(tf, pass);
    }
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  } finally {
    disposeModel(model);
  }
}
// One job at a time, answered in the order sent (the pool matches replies to jobs by order): a job
// that arrives while another waits on a read starts after it.
let queue = Promise.resolve();
parentPort!.on('message', (job: PassJob & { params: Float32Array }) => { queue = queue.then(() => answer(job)); });
parentPort!.postMessage({ ready: true });
