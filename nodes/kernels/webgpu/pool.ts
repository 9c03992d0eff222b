// A buffer pool that creates no GPU buffer in a training step's steady state. The stock backend
// already keeps freed buffers by size and usage (its BufferManager), but two things in it create
// buffers every step: (1) every tensor with host values (a batch, a constant) is uploaded through a
// fresh staging buffer made and destroyed per upload (or a fresh buffer mapped at creation), and
// (2) freed buffers return to the pool only when the queued work is submitted, every
// WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, a phase that shifts from one step to the next, so
// the pool's high-water mark keeps moving. Here: uploads write into a pooled buffer through
// queue.writeBuffer (Dawn copies the values at once; nothing is created), and `endStep` submits the
// queued work at a step's end so every step starts with an empty encoder and frees its buffers at
// the same points, and after the first steps every request finds a free buffer of its size.
// Installed on the backend instance (own properties over the prototype's methods); idempotent.

interface TensorData { dtype: string; shape: number[]; values: ArrayLike<number> | null; resource: unknown }
interface Pool { acquireBuffer(size: number, usage: number, mapped?: boolean, reuse?: boolean): GPUBufferLike }
interface GPUBufferLike { size: number }
interface Backend {
  tensorMap: { get(id: object): TensorData };
  bufferManager: Pool;
  queue: { writeBuffer(b: GPUBufferLike, offset: number, data: ArrayBufferView): void };
  commandEncoder: object | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
}

/** GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST: a tensor's buffer (as the stock uploadToGPU asks for it). */
const TENSOR_USAGE = 0x80 | 0x04 | 0x08;

const installed = new WeakSet<object>();

/** Make uploads on `backend` (TensorFlow.js's webgpu backend instance) write into pooled buffers. */
export function installPool(backend: object): void {
  if (installed.has(backend)) return;
  const b = backend as Backend;
  b.uploadToGPU = function (this: Backend, dataId: object) {
    const t = this.tensorMap.get(dataId);
    if (t.resource != null) return;
    const n = t.shape.reduce((x, y) => x * y, 1);
    const buffer = this.bufferManager.acquireBuffer(4 * n, TENSOR_USAGE);
    if (t.values) {
      // int32 and bool live as 32-bit integers on the GPU, everything else as float32
      const typed = t.dtype === 'int32' || t.dtype === 'bool' ? Int32Array.from(t.values) : t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
      if (n) this.queue.writeBuffer(buffer, 0, typed);
      t.values = null;
    }
    t.resource = buffer;
  };
  installed.add(backend);
}

/**
 * A training step's end on the webgpu backend: submit what is queued (the step's work starts on the
 * GPU now; nothing waits for it) and release the buffers it freed into the pool.
 */
export function endStep(backend: object): void {
  const b = backend as Backend;
  if (!b.commandEncoder) return;
  b.endComputePassEncoder();
  b.submitQueue();
}
