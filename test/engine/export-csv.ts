// Test-only kind whose output port type declares its own exporter (a CSV file), to show that
// `ctflow export` finds exporters on port types, whatever they are called.
import { writeFile } from 'node:fs/promises';
import { lazyExport } from '../../engine/lazy.js';
import { makeBatch, portType, type ExportTables } from '../../engine/ports.js';
import { defineNode } from '../../engine/types.js';

export const Counts = portType('counts', { name: 'Utf8', count: 'Int32' }, 'a count per name', {
  exporter: lazyExport(import.meta.url, './export-csv.js', 'exportCsv'),
});

/** Counts' exporter: `name,count` lines. */
export const exportCsv: ExportTables = async (to, batches) => {
  const lines = ['name,count'];
  for await (const b of batches) for (let i = 0; i < b.numRows; i++) lines.push(`${b.getChild('name')!.get(i)},${b.getChild('count')!.get(i)}`);
  await writeFile(to, lines.join('\n') + '\n');
  return `wrote ${lines.length - 1} counts to ${to}`;
};

export const countsKind = defineNode<{ n: number }>(import.meta.url, {
  kind: 'toy-counts',
  version: 1,
  description: 'n names with their index as count',
  mode: 'source',
  params: { n: { type: 'integer', minimum: 1, default: 3 } },
  example: {},
  outputs: { counts: Counts },
  async *run(ctx) {
    const names = Array.from({ length: ctx.params.n }, (_, i) => `c${i}`);
    yield { counts: makeBatch(Counts, { name: names, count: names.map((_, i) => i) }) };
  },
});
