// A training replica of a sequence model in a worker thread (replicas.ts starts it): its own
// TensorFlow.js and WebAssembly instance, the network rebuilt from its kind and config, and one job
// at a time: the gradients of one pass (a contiguous part of the batch) at the parameters it is
// sent, computed exactly as trainStep's local passes compute theirs (pass.ts), sent back in spec order.
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../tf/backend.js';
import { lstmNet } from './lstm-model.js';
import type { SeqNet } from './net.js';
import { passGrads, type PassJob } from './pass.js';
import { swinNet } from './swin-model.js';

const { backend, kind, config, length } = workerData as { backend: string; kind: 'lstm' | 'swin'; config: never; length: number };
const { tf } = await useBackend(backend);
const net: SeqNet = kind === 'lstm' ? lstmNet(config, length) : swinNet(tf, config);

async function answer(job: PassJob & { params: Float32Array[] }): Promise<void> {
  const params = new Map(net.specs.map((s, i) => [s.name, tf.tensor(job.params[i], s.shape, 'float32')]));
  try {
    const pass = passGrads(tf, net, params, job);
    const loss = (await pass.value.data())[0];
    const grads = await Promise.all(pass.grads.map(async (g) => (await g.data()) as Float32Array));
    tf.dispose([pass.value, ...pass.grads]);
    parentPort!.postMessage({ loss, grads }, grads.map((g) => g.buffer as ArrayBuffer));
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  } finally {
    tf.dispose([...params.values()]);
  }
}
// One job at a time, answered in the order sent (the pool matches replies to jobs by order): a job
// that arrives while another waits on a read starts after it.
let queue = Promise.resolve();
parentPort!.on('message', (job: PassJob & { params: Float32Array[] }) => { queue = queue.then(() => answer(job)); });
parentPort!.postMessage({ ready: true });
