// The context a node kind's run() receives: params, seeded rng, scratch dir, log, progress, notes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupMember } from './group.js';
import { rngFrom } from './rng.js';
import type { NodeContext } from './types.js';

export interface NodeEvents {
  log(node: string, message: string): void;
  progress(node: string, done: number, total: number, info?: string): void;
}

export interface ContextOptions {
  member: GroupMember;
  /** The group's scratch directory; the node gets `<scratchRoot>/<id>`. */
  scratchRoot: string;
  /** Root of per-key checkpoint directories; the node gets `<checkpointRoot>/<key>`. */
  checkpointRoot: string;
  /** Where the node writes files for people (inside its entry when it has one). */
  artifacts: string;
  /** The run's backend, used when the node's own is 'auto'. */
  backend: string;
  /** Cores the node may use (ctx.threads). */
  threads: number;
  events: NodeEvents;
  /** What ctx.note records (the run record's notes of this node). */
  notes: Record<string, unknown>;
  signal: AbortSignal;
  /** Whether the node's outputs are written to an entry (ctx.stored). */
  stored: boolean;
}

export function makeContext(o: ContextOptions): NodeContext {
  const { node, key, seedKey } = o.member;
  const id = node.id;
  const scratch = join(o.scratchRoot, id);
  mkdirSync(scratch, { recursive: true });
  return {
    id,
    params: node.params,
    seed: node.seed,
    rng: rngFrom(seedKey),
    rngFor: (label) => rngFrom(`${seedKey}:${label}`),
    scratch,
    checkpoints: join(o.checkpointRoot, key),
    artifacts: o.artifacts,
    backend: node.backend === 'auto' ? o.backend : node.backend,
    threads: o.threads,
    log: (m) => o.events.log(id, m),
    progress: (done, total, info) => o.events.progress(id, done, total, info),
    note: (k, v) => { o.notes[k] = v; },
    signal: o.signal,
    stored: o.stored,
  };
}
