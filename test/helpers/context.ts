// A NodeContext for calling a node kind's run() directly in unit tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rngFrom } from '../../engine/rng.js';
import type { NodeContext } from '../../engine/types.js';

export function testContext<P>(params: P, opts: { id?: string; seed?: number; threads?: number; stored?: boolean } = {}): NodeContext<P> & { notes: Record<string, unknown>; logs: string[] } {
  const notes: Record<string, unknown> = {};
  const logs: string[] = [];
  return {
    id: opts.id ?? 'node',
    params,
    seed: opts.seed ?? 0,
    rng: rngFrom(`test:${opts.seed ?? 0}`),
    rngFor: (label) => rngFrom(`test:${opts.seed ?? 0}:${label}`),
    scratch: mkdtempSync(join(tmpdir(), 'ctflow-test-')),
    checkpoints: mkdtempSync(join(tmpdir(), 'ctflow-ckpt-')),
    artifacts: mkdtempSync(join(tmpdir(), 'ctflow-art-')),
    backend: 'auto',
    threads: opts.threads ?? 1,
    log: (m) => logs.push(m),
    progress: () => {},
    note: (k, v) => { notes[k] = v; },
    signal: new AbortController().signal,
    stored: opts.stored ?? false,
    notes,
    logs,
  };
}
