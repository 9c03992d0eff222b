// The context a node kind's run() receives: params, seeded rng, scratch dir, log, progress, notes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedNode } from './plan.js';
import { rngFrom } from './rng.js';
import type { NodeContext } from './types.js';

export interface NodeEvents {
  log(node: string, message: string): void;
  progress(node: string, done: number, total: number, info?: string): void;
}

export function makeContext(p: PlannedNode, seed: number, scratchRoot: string, checkpointRoot: string, artifacts: string, backend: string, events: NodeEvents, notes: Record<string, unknown>, signal: AbortSignal): NodeContext {
  const id = p.node.id;
  const scratch = join(scratchRoot, id);
  mkdirSync(scratch, { recursive: true });
  return {
    id,
    params: p.node.params,
    seed,
    rng: rngFrom(p.seedKey),
    rngFor: (label) => rngFrom(`${p.seedKey}:${label}`),
    scratch,
    checkpoints: join(checkpointRoot, p.key),
    artifacts,
    backend: p.node.backend === 'auto' ? backend : p.node.backend,
    log: (m) => events.log(id, m),
    progress: (done, total, info) => events.progress(id, done, total, info),
    note: (k, v) => { notes[k] = v; },
    signal,
  };
}
