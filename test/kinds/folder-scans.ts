// Test-only partitioned source: each sub-folder of `path` is a scan (its id the folder's name,
// lower-cased when `lowerIds`, so two folders can map to one id), one slice per scan seeded from
// its files' bytes. `touch`: the name of a file it appends a byte to after reading it, as a
// writer changing the data while a run reads it would.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sha256 } from '../../engine/canonical.js';
import { defineNode, type ScanFiles } from '../../engine/types.js';
import { Slices } from '../../nodes/tables.js';
import { toySlices } from './toy-scans.js';

interface P { path: string; lowerIds: boolean; touch: string }

async function scans(params: P): Promise<ScanFiles[]> {
  const root = resolve(params.path);
  return readdirSync(root).sort().map((name) => ({
    id: params.lowerIds ? name.toLowerCase() : name,
    files: readdirSync(join(root, name)).sort().map((f) => join(root, name, f)),
  }));
}

export default defineNode<P>(import.meta.url, {
  kind: 'folder-scans',
  version: 1,
  description: 'one tiny scan per sub-folder (engine tests of per-scan partitions)',
  mode: 'source',
  params: {
    path: { type: 'string' },
    lowerIds: { type: 'boolean', default: false },
    touch: { type: 'string', default: '' },
  },
  required: ['path'],
  example: { path: 'test/fixtures/image-folder/tiny/train/covid' },
  outputs: { slices: Slices },
  scans,
  async *run(ctx) {
    for (const scan of await scans(ctx.params)) {
      if (ctx.scans && !ctx.scans.includes(scan.id)) continue;
      const bytes = scan.files.map((f) => readFileSync(f));
      for (const f of scan.files) if (f.endsWith(`/${ctx.params.touch}`)) appendFileSync(f, 'x');
      yield { slices: toySlices(scan.id, 1, 2, sha256(Buffer.concat(bytes))) };
    }
  },
});
