// An inference replica of the CNN in a worker thread (embed-pool.ts starts it): its own TensorFlow.js
// and WebAssembly instance, the network rebuilt from the model table's config and tensors, and one
// job at a time: the embeddings and probabilities of k preprocessed slices, computed by the same
// predict() as the calling thread's, so with the same bytes.
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../tf/backend.js';
import type { WeightEntry } from '../tf/weights.js';
import type { CnnConfig } from './architecture.js';
import { createModel, predict } from './model.js';

const { backend, cfg, entries } = workerData as { backend: string; cfg: CnnConfig; entries: WeightEntry[] };
const { tf } = await useBackend(backend);
const model = createModel(tf, cfg, entries, 'embedding replica');

parentPort!.on('message', async ({ x, k }: { x: Float32Array; k: number }) => {
  try {
    parentPort!.postMessage(await predict(tf, model, x, k));
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
parentPort!.postMessage({ ready: true });
