// dicom-series cached per series (nodes/kernels/dicom/scans.ts, memo.ts): series found from the
// files' headers, each an entry of its own; adding a series, changing a file or losing a scan's
// entry computes only that series; the header memo spares planning the headers of unchanged files
// and is rebuilt when damaged; problems stay with the series that met them; two files of one series
// that disagree still fail naming the series and files. Series written by bench/engine/dicom-files.ts.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDicomSeries } from '../../../bench/engine/dicom-files.js';
import { formatRunSummary } from '../../../engine/commands/summary.js';
import { statSignature } from '../../../engine/fingerprint.js';
import type { Session } from '../../../engine/session.js';
import { dicomScans } from '../../../nodes/kernels/dicom/scans.js';
import { session, tempDir, writeGraph } from '../../helpers/engine.js';
import { toySlices } from '../../kinds/toy-scans.js';

/** Series first..first+count-1 (2.25.K, folder scan-K) of `slices` 16² slices each. */
async function addSeries(dir: string, first: number, count: number, slices = 4): Promise<void> {
  await writeDicomSeries(dir, (async function* () {
    for (let k = first; k < first + count; k++) yield toySlices(`scan-${k}`, slices, 16, `dicom-parts:${k}`);
  })(), first);
}

const graphYaml = (data: string, onError = 'fail') => `name: dicom-parts
nodes:
  scans: { kind: dicom-series, params: { path: ${JSON.stringify(data)}, onError: ${onError} } }
  mean: { kind: scan-mean, in: { slices: scans } }
  total: { kind: stats-total, in: { stats: [mean] } }
`;

async function run(s: Session, file: string) {
  const { graph, issues } = s.load(file);
  if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
  const plan = await s.plan(graph);
  const out = await s.run(graph);
  return { plan, out, reason: (id: string) => plan.nodes.get(id)!.reason, batches: (id: string) => out.record.nodes[id].batches ?? 0 };
}

/** sha256 of each stored Arrow file of a partitioned node, by scan. */
function storedFiles(s: Session, key: string): string[] {
  const found = s.store.lookup(key);
  if (!found.hit) throw new Error(found.reason);
  return found.manifest.partitions!.map((p) => `${p.scan} ${createHash('sha256').update(readFileSync(join(s.store.entryDir(p.key), 'slices.arrow'))).digest('hex')}`);
}

describe('dicom-series per series', function () {
  this.timeout(300_000);

  it('computes only the series added, changed or lost; a barrier sees the set change; equals the whole-node cache', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    await addSeries(data, 1, 3);
    const file = writeGraph(root, 'g.yaml', graphYaml(data));
    const s = session(join(root, 'runs'));

    const first = await run(s, file);
    expect(first.reason('scans')).to.equal('3 of 3 scans to compute, 0 cached');
    expect(first.batches('scans')).to.equal(3);

    await addSeries(data, 4, 1);
    const added = await run(s, file);
    expect(added.reason('scans')).to.equal('1 of 4 scans new (2.25.4), 3 cached');
    expect(added.reason('mean')).to.equal('1 of 4 scans new (2.25.4), 3 cached');
    expect(added.reason('total')).to.match(/^set of scans changed: \+1 −0 ~0/);
    expect([added.batches('scans'), added.batches('mean')]).to.deep.equal([1, 1]);

    // one file of series 2 rewritten with other pixels
    const changedFile = join(data, 'scan-2', '1.dcm');
    const bytes = readFileSync(changedFile);
    bytes[bytes.length - 1] ^= 0x01;
    writeFileSync(changedFile, bytes);
    const changed = await run(s, file);
    expect(changed.reason('scans')).to.equal('1 changed (2.25.2: 1.dcm), 3 cached');
    expect(changed.batches('scans')).to.equal(1);

    // a scan's Arrow file deleted by hand: that scan alone is recomputed, and says why
    const lost = s.store.lookup(changed.out.record.nodes.scans.key);
    const part = lost.hit ? lost.manifest.partitions![2] : undefined;
    rmSync(join(s.store.entryDir(part!.key), 'slices.arrow'));
    const redo = await run(s, file);
    expect(redo.reason('scans')).to.equal(`1 recomputed (${part!.scan}: output "slices" file is missing), 3 cached`);
    expect(redo.batches('scans')).to.equal(1);
    expect(redo.out.record.nodes.mean.status).to.equal('cached');

    const noop = await run(s, file);
    expect(Object.values(noop.out.record.nodes).map((n) => n.status)).to.deep.equal(['cached', 'cached', 'cached']);

    // the same folder cached whole, from scratch: the same bytes, scan by scan
    const whole = session(join(root, 'runs-whole'), { perScan: false });
    const w = await run(whole, file);
    const perScanBytes = storedFiles(s, noop.out.record.nodes.scans.key);
    expect(perScanBytes.map((l) => l.split(' ')[0])).to.deep.equal(['2.25.1', '2.25.2', '2.25.3', '2.25.4']);
    const wholeEntry = whole.store.lookup(w.out.record.nodes.scans.key);
    expect(wholeEntry.hit && wholeEntry.manifest.outputs.slices.rows).to.equal(16);
    const table = async (sess: Session, key: string) => {
      const found = sess.store.lookup(key);
      if (!found.hit) throw new Error(found.reason);
      const rows: string[] = [];
      if (found.manifest.partitions) {
        for (const p of found.manifest.partitions) rows.push(...await table(sess, p.key));
        return rows;
      }
      const reader = await sess.store.reader(sess.store.entryDir(key), found.manifest, 'slices');
      try {
        for await (const b of reader) for (const r of b.toArray()) rows.push(`${r.scan_id} ${r.slice_index} ${r.position_mm} ${createHash('sha256').update(r.pixels as Uint8Array).digest('hex')}`);
      } finally {
        await reader.close();
      }
      return rows;
    };
    const a = await table(s, noop.out.record.nodes.scans.key);
    expect(a).to.have.length(16);
    expect(a).to.deep.equal(await table(whole, w.out.record.nodes.scans.key));
  });

  it('memoises headers by the engine\'s file rule: a rerun reads no unchanged header, a same-size edit with its mtime set back is read again; a damaged memo is rebuilt', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    await addSeries(data, 1, 2, 3);
    const f = join(data, 'scan-2', '1.dcm');
    const mtime = 1_700_000_000; // whole seconds, so that setting it back restores it exactly
    utimesSync(f, mtime, mtime);
    const memo = { dir: join(root, 'memo'), signature: statSignature };
    const scansNow = async () => (await dicomScans({ path: data, recursive: true }, memo)).map((s) => `${s.id}: ${s.files.map((f) => f.slice(data.length + 1)).join(' ')}`);
    const expected = ['2.25.1: scan-1/0.dcm scan-1/1.dcm scan-1/2.dcm', '2.25.2: scan-2/0.dcm scan-2/1.dcm scan-2/2.dcm'];
    expect(await scansNow()).to.deep.equal(expected);
    const memoDir = join(memo.dir, 'dicom-headers');
    expect(readdirSync(memoDir).filter((f) => f.endsWith('.json')), 'one memo a folder, no temporary file left').to.have.length(2);
    type MemoFile = { version: number; folder: string; files: Record<string, [string, unknown]> };
    const memoOf = (folder: string): [string, MemoFile] => {
      for (const m of readdirSync(memoDir)) {
        const parsed = JSON.parse(readFileSync(join(memoDir, m), 'utf8')) as MemoFile;
        if (parsed.folder === join(data, folder)) return [join(memoDir, m), parsed];
      }
      throw new Error(`no memo of ${folder}`);
    };

    // An unchanged file's header is not read again: a summary planted in the memo under the
    // file's current signature is what planning uses (scan-2/1.dcm moves to a series of its own).
    const [m2, memo2] = memoOf('scan-2');
    expect(memo2.files['1.dcm'], 'the entry is [the engine\'s signature, the summary]').to.deep.equal([statSignature(statSync(f)), ['slice', '2.25.2']]);
    memo2.files['1.dcm'][1] = ['slice', '2.25.9'];
    writeFileSync(m2, JSON.stringify(memo2));
    expect(await scansNow()).to.deep.equal(['2.25.1: scan-1/0.dcm scan-1/1.dcm scan-1/2.dcm', '2.25.2: scan-2/0.dcm scan-2/2.dcm', '2.25.9: scan-2/1.dcm']);

    // Garbage of the slice's size, its mtime set back: size, mtime and inode are as remembered but
    // the ctime moved, so the header is read again (as the engine's fingerprint hashes the file
    // again): the planted summary is gone and the memo holds what the header says now.
    const st = statSync(f);
    writeFileSync(f, Buffer.alloc(st.size, 7));
    utimesSync(f, mtime, mtime);
    const now = statSync(f);
    expect([now.size, now.mtimeMs, now.ino]).to.deep.equal([st.size, st.mtimeMs, st.ino]);
    expect(await scansNow(), 'the unreadable file joins the series of its folder').to.deep.equal(expected);
    const notDicom = ['error', 'not a DICOM file (no "DICM" marker at byte 128; files without the Part 10 header are not read)'];
    expect(memoOf('scan-2')[1].files['1.dcm']).to.deep.equal([statSignature(now), notDicom]);

    // A damaged memo is ignored: the headers are read again and the memo is rewritten.
    for (const m of readdirSync(memoDir)) writeFileSync(join(memoDir, m), '{"version": 2, "folder": ');
    expect(await scansNow()).to.deep.equal(expected);
    expect(memoOf('scan-2')[1].files['1.dcm'], 'the rebuilt memo holds what the header now says').to.deep.equal([statSignature(now), notDicom]);
    expect(memoOf('scan-1')[1].files['0.dcm'][1]).to.deep.equal(['slice', '2.25.1']);
  });

  it('keeps a problem with the series that met it, and repeats it on a run that reuses the series', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    await addSeries(data, 1, 2);
    const junk = join(data, 'scan-1', 'notes.txt');
    writeFileSync(junk, 'not DICOM');
    const file = writeGraph(root, 'g.yaml', graphYaml(data, 'skip'));
    const s = session(join(root, 'runs'));
    const first = await run(s, file);
    expect((first.out.record.nodes.scans.notes?.skipped as { file: string }[]).map((x) => x.file)).to.deep.equal([junk]);
    await addSeries(data, 3, 1);
    const added = await run(s, file);
    expect(added.batches('scans')).to.equal(1);
    expect((added.out.record.nodes.scans.notes?.skipped as { file: string }[]).map((x) => x.file), 'kept with the series that met it').to.deep.equal([junk]);
    const again = await run(s, file);
    expect(again.out.record.nodes.scans.status).to.equal('cached');
    const summary = formatRunSummary({ ...again.out, recordDir: 'r' }, 1);
    expect(summary.split('\n').filter((l) => l.includes('noted when computed'))).to.have.length(1);
    expect(summary).to.match(/scans .*noted when computed: .*skipped 1/);

    // under onError: fail the same file stops its series (only), naming the file
    const failing = writeGraph(root, 'f.yaml', graphYaml(data).replace('dicom-parts', 'dicom-fail'));
    const { graph } = s.load(failing);
    const out = await s.run(graph!);
    expect(out.record.nodes.scans.status).to.equal('failed');
    expect(out.record.nodes.scans.error).to.include(`scan 2.25.1: dicom-series node "scans": file ${junk}: not a DICOM file`);
  });

  it('two files that claim one series but differ in size fail naming the series and both files', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    await addSeries(data, 1, 1, 3);
    await writeDicomSeries(join(data, 'odd'), (async function* () { yield toySlices('x', 1, 8, 'odd'); })(), 1); // series 2.25.1 again, 8×8
    const file = writeGraph(root, 'g.yaml', graphYaml(data));
    const s = session(join(root, 'runs'));
    const { graph } = s.load(file);
    const out = await s.run(graph!);
    expect(out.record.nodes.scans.status).to.equal('failed');
    expect(out.record.nodes.scans.error).to.match(/series 2\.25\.1: slices differ in size: .*\/odd\/x\/0\.dcm is 8×8, .*\/scan-1\/0\.dcm is 16×16/);
  });
});
