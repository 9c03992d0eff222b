// `ctflow export` through the exporter a port type declares (slices: JPEG folders; a test type:
// CSV), with Arrow IPC as the fallback any port has, and the usage errors that name the way out.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from '../../engine/arrow.js';
import { exportOutput } from '../../engine/commands/export.js';
import { UsageError } from '../../engine/errors.js';
import { Session } from '../../engine/session.js';
import { runFile, tempDir, testRegistry, writeGraph } from '../helpers/engine.js';
import { countsKind } from './export-csv.js';

const GRAPH = `name: export
seed: 1
nodes:
  scans:  { kind: synthetic-ct, params: { scans: 2, slices: [3, 4], size: 64 } }
  counts: { kind: toy-counts, params: { n: 3 } }
  stats:  { kind: scan-mean, in: { slices: scans } }
`;

async function rejects(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);
}

describe('export', () => {
  const dir = tempDir('ctflow-export-');
  const session = new Session({ runsDir: join(dir, 'runs'), registry: testRegistry.with([countsKind]) });
  const file = writeGraph(dir, 'export.yaml', GRAPH);
  const graph = () => session.load(file, []).graph!;
  const options = { overwrite: false };

  it('says an output is not cached before the graph ran', async () => {
    expect(await exportOutput(session, graph(), 'scans', join(dir, 'early'), options)).to.have.property('missing').that.is.a('string');
  });

  it("writes slices through the Slices port type's exporter: one JPEG per slice, per scan folder", async () => {
    await runFile(session, file);
    const to = join(dir, 'jpeg');
    expect(await exportOutput(session, graph(), 'scans', to, options)).to.deep.equal({ wrote: `wrote 2 scans to ${to}` });
    const scans = ['train', 'validation', 'test'].flatMap((split) => {
      try {
        return readdirSync(join(to, split), { recursive: true, withFileTypes: true }).filter((e) => e.isDirectory() && e.name.startsWith('ct_scan_')).map((e) => join(e.parentPath, e.name));
      } catch {
        return [];
      }
    });
    expect(scans).to.have.length(2);
    for (const s of scans) expect(readdirSync(s).filter((f) => f.endsWith('.jpg')).length).to.be.within(3, 4);
  });

  it("finds a test port type's own exporter (CSV), whatever the type is called", async () => {
    const to = join(dir, 'counts.csv');
    expect(await exportOutput(session, graph(), 'counts', to, options)).to.deep.equal({ wrote: `wrote 3 counts to ${to}` });
    expect(readFileSync(to, 'utf8')).to.equal('name,count\nc0,0\nc1,1\nc2,2\n');
  });

  it('writes any port as Arrow IPC, and refuses a folder for a type without an exporter', async () => {
    const e = await rejects(exportOutput(session, graph(), 'stats', join(dir, 'stats'), options));
    expect(e).to.be.instanceOf(UsageError);
    expect(e.message).to.match(/no output of "stats" has an exporter .*--to stats-stats\.arrow/);
    expect((await rejects(exportOutput(session, graph(), 'stats.stats', join(dir, 'stats'), options))).message).to.match(/"stats\.stats" is a scan-stats table, which has no exporter/);
    const to = join(dir, 'stats.arrow');
    expect(await exportOutput(session, graph(), 'stats', to, options)).to.deep.equal({ wrote: `wrote 2 rows of stats.stats (scan-stats) to ${to}` });
    const table = tableFromIPC(readFileSync(to));
    expect([table.numRows, table.schema.fields.map((f) => f.name)]).to.deep.equal([2, ['scan_id', 'split', 'label', 'n_slices', 'mean']]);
  });
});
