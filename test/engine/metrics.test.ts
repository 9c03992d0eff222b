// Run records take their metrics from the cache entries' manifests (rows written when the entry is
// sealed), so a no-op rerun reads no table; entries sealed before manifests held their metrics
// are read from their Arrow file instead, with the same rows.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256 } from '../../engine/canonical.js';
import { makeBatch, portType } from '../../engine/ports.js';
import { Store, type Manifest } from '../../engine/store.js';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = `name: met
seed: 5
nodes:
  scans: { kind: toy-scans, params: { scans: 3 } }
  mean: { kind: scan-mean, in: { slices: scans } }
  score: { kind: toy-metrics, in: { stats: mean }, params: { scale: 2 } }
`;

describe('metrics in manifests', () => {
  it('a rerun takes the same rows from the manifest, or from the file for an older entry', async () => {
    const dir = tempDir();
    const file = writeGraph(dir, 'g.yaml', GRAPH);
    const s = session(join(dir, 'runs'));
    const first = await runFile(s, file);
    expect(first.record.metrics.map((m) => m.metric)).to.deep.equal(['mean', 'loss']);
    expect(first.record.metrics[1].value).to.equal(0.5);

    const key = first.record.nodes.score.key;
    const mf = join(dir, 'runs', 'cache', key.slice(0, 2), key, 'manifest.json');
    const manifest = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
    const rows = first.record.metrics.map(({ node, ...value }) => value);
    expect(manifest.summaries).to.deep.equal({ metrics: rows });

    const cached = await runFile(s, file);
    expect(byStatus(cached, 'ran')).to.deep.equal([]);
    expect(cached.record.metrics).to.deep.equal(first.record.metrics);

    // An entry as sealed when manifests named the rows `metrics`: still read from the manifest,
    // not the table (the rows there are changed here, so only the manifest can have given them).
    const { check, summaries, ...body } = manifest;
    const edited = { metrics: (summaries!.metrics as { metric: string; value: number }[]).map((r) => (r.metric === 'loss' ? { ...r, value: 0.25 } : r)) };
    const legacy = { ...body, metrics: edited };
    writeFileSync(mf, JSON.stringify({ ...legacy, check: sha256(canonicalJson(legacy)) }));
    const named = await runFile(s, file);
    expect(byStatus(named, 'ran')).to.deep.equal([]);
    expect(named.record.metrics.map((m) => m.value)).to.deep.equal([first.record.metrics[0].value, 0.25]);

    // An entry as sealed before manifests carried metrics: a valid manifest without them.
    writeFileSync(mf, JSON.stringify({ ...body, check: sha256(canonicalJson(body)) }));
    const older = await runFile(s, file);
    expect(byStatus(older, 'ran'), 'the older entry is still a hit').to.deep.equal([]);
    expect(older.record.metrics).to.deep.equal(first.record.metrics);
  });
});

describe('entry summaries', () => {
  it('the store keeps what a summarizer makes of a port in the manifest, knowing no port type', async () => {
    const store = new Store(join(tempDir(), 'runs'));
    const entry = await store.begin('ab'.repeat(32), 'toy', { stats: async (reader) => ({ rows: reader.numRows, batches: reader.numBatches }) });
    const counts = portType('counts', { n: 'Int32' }, 'a test table');
    const w = await entry.port('stats', counts.schema);
    w.write(makeBatch(counts, { n: [3, 4] }));
    const manifest = await entry.commit();
    expect(manifest.summaries).to.deep.equal({ stats: { rows: 2, batches: 1 } });
    const found = store.lookup('ab'.repeat(32));
    expect(found.hit && found.manifest.summaries).to.deep.equal({ stats: { rows: 2, batches: 1 } });
  });
});
