// Structural figures of the WebGPU backend over a span of work (a training step): GPU programs
// dispatched, readbacks (GPU → host copies) and their bytes, and GPU buffers newly created (the
// pool missed, or a staging buffer). Counted by wrapping the backend's and its device's methods on
// the instances, so they hold
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
  /** device.createBuffer calls (a pool miss, a staging buffer: anything the backend creates). */
  buffersCreated: number;
  bytesCreated: number;
}

interface Device { createBuffer(d: { size: number }): unknown }
interface Backend { recordAndSubmit(program: { shaderKey: string }, ...a: unknown[]): unknown; getBufferData(b: { size: number }): Promise<unknown>; device: Device }

/** Start counting on the current backend (which must be webgpu); `stop()` returns the figures and unwraps. */
export function countWebgpu(tf: TF): { read(): WebgpuFigures; stop(): WebgpuFigures } {
  if (tf.getBackend() !== 'webgpu') throw new Error(`countWebgpu needs the webgpu backend, not ${tf.getBackend()}`);
  const b = tf.backend() as unknown as Backend;
  const device = b.device;
  const f: WebgpuFigures = { dispatches: 0, ctflowDispatches: 0, readbacks: 0, readbackBytes: 0, buffersCreated: 0, bytesCreated: 0 };
  const record = b.recordAndSubmit, read = b.getBufferData, create = device.createBuffer;
  // what each instance held as its own property before (the pool's uploadToGPU-style overrides, a native method): put back at stop
  const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const restore: [object, string, boolean, unknown][] = [[b, 'recordAndSubmit', own(b, 'recordAndSubmit'), record], [b, 'getBufferData', own(b, 'getBufferData'), read], [device, 'createBuffer', own(device, 'createBuffer'), create]];
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
  device.createBuffer = function (this: Device, d: { size: number }) {
    f.buffersCreated++;
    f.bytesCreated += d.size;
    return create.call(this, d);
  };
  return {
    read: () => ({ ...f }),
    stop: () => {
      // The wrappers are own properties: deleting them unwraps to the prototype's method, unless the method was the instance's own
      for (const [o, k, wasOwn, f0] of restore) {
        if (wasOwn) (o as Record<string, unknown>)[k] = f0;
        else delete (o as Record<string, unknown>)[k];
      }
      return { ...f };
    },
  };
}
