// Test-only model node that trains on several threads (heavy, `threads`): it appends
// `start ID THREADS MS` and `end ID MS` (MS: Date.now()) to the trace file around a sleep of `ms`,
// so a test can check what the core budget gave each node and that running nodes never held more
// cores together than the budget has; `most` caps the cores it asks for (`threads` as a function of
// the params). Passes its input through.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineNode } from '../../engine/types.js';
import { ScanStats } from '../../nodes/tables.js';

export default defineNode<{ ms: number; trace: string | null; most: number | null }>(import.meta.url, {
  kind: 'core-probe',
  version: 1,
  description: 'heavy barrier on ctx.threads threads that traces the cores it got',
  mode: 'barrier',
  heavy: true,
  threads: (p) => p.most ?? Number.MAX_SAFE_INTEGER,
  params: {
    ms: { type: 'integer', minimum: 0, default: 0, description: 'sleep while holding the cores' },
    trace: { type: ['string', 'null'], default: null, description: 'append start and end events here' },
    most: { type: ['integer', 'null'], minimum: 1, default: null, description: 'most cores to ask for (null: all)' },
  },
  example: {},
  inputs: { stats: ScanStats },
  outputs: { stats: ScanStats },
  async *run(ctx, { stats }) {
    const { ms, trace } = ctx.params;
    if (trace) appendFileSync(trace, `start ${ctx.id} ${ctx.threads} ${Date.now()}\n`);
    ctx.note('threads', ctx.threads);
    await sleep(ms);
    if (trace) appendFileSync(trace, `end ${ctx.id} ${Date.now()}\n`);
    for await (const b of stats) yield { stats: b };
  },
});
