// Structural figures of the WebGPU backend over a span of work (a training step): GPU programs
// dispatched, readbacks (GPU → host copies) and their bytes, and GPU buffers newly created (the
// pool missed). Counted by wrapping the stock backend's own methods on its instance, so they hold
// on any device, lavapipe included; used by the structural test and bench/train/gpu.ts.
import type { TF } from './backend.js';

export interface WebgpuFigures {
  /** runWebGPUProgram → recordAndSubmit calls: one compute dispatch each. */
  dispatches: number;
  /** Of those, ctflow's own WGSL programs (nodes/kernels/webgpu: shader keys ctflow_…). */
  ctflowDispatches: number;
  /** getBufferData calls (each maps a staging buffer and waits for the GPU). */
  readbacks: number;
  readbackBytes: number;
  /** device.createBuffer calls made by the buffer pool (a miss: no free buffer of that size and usage). */
  buffersCreated: number;
  bytesCreated: number;
}

interface Pool { acquireBuffer(size: number, usage: number, mapped?: boolean, reuse?: boolean): unknown; numBytesAllocated: number }
interface Backend { recordAndSubmit(program: { shaderKey: string }, ...a: unknown[]): unknown; getBufferData(b: { size: number }): Promise<unknown>; bufferManager: Pool }

/** Start counting on the current backend (which must be webgpu); `stop()` returns the figures and unwraps. */
export function countWebgpu(tf: TF): { read(): WebgpuFigures; stop(): WebgpuFigures } {
  if (tf.getBackend() !== 'webgpu') throw new Error(`countWebgpu needs the webgpu backend, not ${tf.getBackend()}`);
  const b = tf.backend() as unknown as Backend;
  const pool = b.bufferManager;
  const f: WebgpuFigures = { dispatches: 0, ctflowDispatches: 0, readbacks: 0, readbackBytes: 0, buffersCreated: 0, bytesCreated: 0 };
  const record = b.recordAndSubmit, read = b.getBufferData, acquire = pool.acquireBuffer;
  b.recordAndSubmit = function (this: Backend, program: { shaderKey: string }, ...a: unknown[]) {
    f.dispatches++;
    if (program.shaderKey.startsWith('ctflow_')) f.ctflowDispatches++;
    return record.call(this, program, ...a);
  };
  b.getBufferData = function (this: Backend, buffer: { size: number }) {
    f.readbacks++;
    f.readbackBytes += buffer.size;
    return read.call(this, buffer);
  };
  pool.acquireBuffer = function (this: Pool, ...a: [number, number, boolean?, boolean?]) {
    const before = this.numBytesAllocated;
    const out = acquire.apply(this, a);
    if (this.numBytesAllocated !== before) {
      f.buffersCreated++;
      f.bytesCreated += this.numBytesAllocated - before;
    }
    return out;
  };
  return {
    read: () => ({ ...f }),
    stop: () => {
      // The wrappers are own properties shadowing the prototype's methods: deleting them unwraps.
      delete (b as Partial<Backend>).recordAndSubmit;
      delete (b as Partial<Backend>).getBufferData;
      delete (pool as Partial<Pool>).acquireBuffer;
      return { ...f };
    },
  };
}
