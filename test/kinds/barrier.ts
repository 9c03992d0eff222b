// Test-only stream node: passes slices through, but first announces itself in a barrier folder
// (a file `entered-<pid>`) and waits until a file `open` appears there. Tests use it to hold a run
// inside a node, e.g. to force two processes to overlap on one key.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineNode } from '../../engine/types.js';
import { Slices } from '../../nodes/tables.js';

export default defineNode<{ dir: string | null }>(import.meta.url, {
  kind: 'barrier',
  version: 1,
  description: 'pass-through that waits at a barrier file',
  mode: 'stream',
  params: { dir: { type: ['string', 'null'], default: null, description: 'barrier folder (null: no waiting)' } },
  example: {},
  inputs: { slices: Slices },
  outputs: { slices: Slices },
  run: async (ctx, { slices }) => {
    const dir = ctx.params.dir;
    if (dir) {
      writeFileSync(join(dir, `entered-${process.pid}`), '');
      while (!existsSync(join(dir, 'open'))) await sleep(20);
    }
    return { slices };
  },
});
