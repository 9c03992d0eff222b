// Barrier: the trained 2D CNN's embedding and probability for every slice of every scan (not only
// the window), the two-step models' input (paper section 3.1). The model table carries its own
// config (network, resolution, HU window), so this kind has no params that must match the trainer's.
import { makeBatch } from '../engine/ports.js';
import { defineNode } from '../engine/types.js';
import { Embeddings, Slices, Weights } from './tables.js';

export interface EmbedderParams {
  /** Slices per forward pass (memory, not results: inference BatchNorm uses the running statistics). */
  batch: number;
}

export default defineNode<EmbedderParams>(import.meta.url, {
  kind: 'embedder',
  version: 1,
  description: 'Embed every slice of every scan with a trained cnn-trainer model: the embedding vector and the slice probability, one batch per scan.',
  mode: 'barrier',
  heavy: true,
  threads: true,
  params: {
    batch: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'slices per forward pass' },
  },
  example: { batch: 4 },
  inputs: { slices: Slices, model: Weights },
  outputs: { embeddings: Embeddings },
  async *run(ctx, { slices, model: table }) {
    const who = `embedder node "${ctx.id}"`;
    const { readModel } = await import('./kernels/cnn/model-table.js');
    const { cfg, entries } = await readModel(table, who);
    const { useBackend } = await import('./kernels/tf/backend.js');
    const { tf, backend } = await useBackend(ctx.backend);
    ctx.note('backend', backend);
    const { createModel, disposeModel, predict } = await import('./kernels/cnn/model.js');
    const { int16Pixels, preprocessSlice } = await import('./kernels/cnn/preprocess.js');
    const model = createModel(tf, cfg, entries, `${who}: model table`);
    const r2 = cfg.resolution ** 2;
    // forward passes on worker replicas where the backend computes in this thread (wasm, cpu): same bytes on any count
    const { HOST_BACKENDS } = await import('./kernels/seq/host.js');
    const threads = (HOST_BACKENDS as readonly string[]).includes(backend) ? Math.min(ctx.threads, slices.numBatches) : 1;
    ctx.note('threads', threads);
    const { EmbedPool } = await import('./kernels/cnn/embed-pool.js');
    const pool = threads > 1 ? await EmbedPool.start(backend, cfg, entries, threads) : null;
    const forward = (x: Float32Array, k: number) => (pool ? pool.predict(x, k) : predict(tf, model, x, k));

    /** Scan batch i's Embeddings batch. */
    const embedScan = async (i: number) => {
      const b = await slices.batch(i);
      const col = (name: string) => {
        const c = b.getChild(name);
        if (!c) throw new Error(`${who}: slices batch ${i} has no column "${name}"; connect a Slices table`);
        return c;
      };
      const [ids, heights, widths, pixels] = ['scan_id', 'height', 'width', 'pixels'].map(col);
      const n = b.numRows;
      const passes: Promise<{ embedding: Float32Array; prob: Float32Array }>[] = [];
      for (let start = 0; start < n; start += ctx.params.batch) {
        const k = Math.min(ctx.params.batch, n - start);
        const x = new Float32Array(k * r2);
        for (let j = 0; j < k; j++) {
          const row = start + j, h = heights.get(row) as number, w = widths.get(row) as number;
          const bytes = pixels.get(row) as Uint8Array;
          if (bytes.byteLength !== h * w * 2 || h < 1 || w < 1) {
            throw new Error(`${who}: scan "${ids.get(row)}" row ${row} has ${bytes.byteLength} bytes of pixels for ${h}×${w} int16 values; rerun the node that wrote the slices`);
          }
          preprocessSlice(int16Pixels(bytes), h, w, cfg, x, j * r2);
        }
        passes.push(forward(x, k));
      }
      const embedding: Float32Array[] = [];
      const prob = new Float32Array(n);
      for (const [p, out] of (await Promise.all(passes)).entries()) {
        const k = out.prob.length;
        for (let j = 0; j < k; j++) embedding.push(out.embedding.slice(j * cfg.embedding, (j + 1) * cfg.embedding));
        prob.set(out.prob, p * ctx.params.batch);
      }
      const keep = (name: string) => Array.from(col(name) as Iterable<unknown>);
      return makeBatch(Embeddings, {
        scan_id: keep('scan_id'), split: keep('split'), label: keep('label'), slice_index: keep('slice_index'), embedding, prob,
      });
    };

    // up to `threads` scans in flight, written in input order
    const inFlight: Promise<Awaited<ReturnType<typeof embedScan>>>[] = [];
    try {
      for (let i = 0, next = 0; i < slices.numBatches; i++) {
        if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
        while (next < slices.numBatches && next < i + threads) {
          const p = embedScan(next++);
          p.catch(() => {}); // awaited in order below; a later scan's failure is reported when its turn comes
          inFlight.push(p);
        }
        const embeddings = await inFlight.shift()!;
        ctx.progress(i + 1, slices.numBatches);
        yield { embeddings };
      }
    } finally {
      await Promise.allSettled(inFlight);
      await pool?.close();
      disposeModel(model);
    }
  },
});
