// Per-scan cache partitions (engine/partitions.ts, engine/partition-group.ts) on the paper's lung
// window chain over a copy of the tiny JPEG folder: every scan is an entry of its own, adding,
// changing or removing a scan computes only that scan in every stream node, a param change
// computes all, the outputs equal those of the whole-node cache, a barrier reads the scans as one
// table, gc keeps the scans kept runs use, and a scan entry removed or altered by hand is
// recomputed alone with the reason said.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { formatRunSummary } from '../../engine/commands/summary.js';
import { applyGc, planGc } from '../../engine/gc.js';
import type { Session } from '../../engine/session.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';

const TINY = 'test/fixtures/image-folder/tiny';

const graphYaml = (data: string, extra = '') => `name: parts
seed: 3
nodes:
  scans: { kind: image-folder, params: { path: ${JSON.stringify(data)} } }
  crop: { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: false }
  mask: { kind: threshold, in: { slices: median }, params: { t: -400 }, cache: false }
  lung: { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: 0.5 } }
${extra}`;

/** Every batch of a node's stored output: its scan and a digest of its rows. */
async function table(s: Session, key: string, port: string): Promise<string[]> {
  const found = s.store.lookup(key);
  if (!found.hit) throw new Error(`no entry ${key}: ${found.reason}`);
  const reader = await s.store.reader(s.store.entryDir(key), found.manifest, port);
  const out: string[] = [];
  try {
    for await (const b of reader) {
      const h = createHash('sha256');
      for (const row of b.toArray()) h.update(JSON.stringify(row.toJSON(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : typeof v === 'bigint' ? String(v) : v)));
      out.push(`${String(b.getChild('scan_id')!.get(0))} ${b.numRows} ${h.digest('hex').slice(0, 16)}`);
    }
  } finally {
    await reader.close();
  }
  return out;
}

async function run(s: Session, file: string) {
  const { graph, issues } = s.load(file);
  if (!graph) throw new Error(issues.map((i) => i.message).join('\n'));
  const plan = await s.plan(graph);
  const out = await s.run(graph);
  const failed = Object.entries(out.record.nodes).filter(([, n]) => n.status === 'failed');
  expect(failed.map(([id, n]) => `${id}: ${n.error}`)).to.deep.equal([]);
  return { plan, out, key: (id: string) => out.record.nodes[id].key, batches: (id: string) => out.record.nodes[id].batches ?? 0 };
}

describe('per-scan cache partitions', function () {
  this.timeout(300_000);

  it('computes only added, changed and removed scans; equals the whole-node cache; gc keeps what kept runs use', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    cpSync(TINY, data, { recursive: true });
    const file = writeGraph(root, 'g.yaml', graphYaml(data, '  mean: { kind: scan-mean, in: { slices: scans } }\n  total: { kind: stats-total, in: { stats: [mean] } }\n'));
    const s = session(join(root, 'runs'));

    const first = await run(s, file);
    expect(first.batches('crop'), 'every scan computed').to.equal(4);
    expect(first.plan.nodes.get('crop')!.reason).to.equal('4 of 4 scans to compute, 0 cached');
    const crop = s.store.lookup(first.key('crop'));
    expect(crop.hit && crop.manifest.partitions!.map((p) => p.scan)).to.deep.equal(['train/covid/ct_scan_0', 'train/non-covid/ct_scan_0', 'validation/covid/ct_scan_0', 'test/ct_scan_0']);

    // A scan added: only it runs, in every stream node (the unstored ones included).
    cpSync(join(data, 'train/covid/ct_scan_0'), join(data, 'train/covid/ct_scan_7'), { recursive: true });
    const added = await run(s, file);
    expect(added.plan.nodes.get('scans')!.reason).to.equal('1 of 5 scans new (train/covid/ct_scan_7), 4 cached');
    for (const id of ['scans', 'crop', 'median', 'mask', 'lung', 'window', 'mean']) expect(added.batches(id), id).to.equal(1);
    // A barrier reruns on the new set of scans and reads them all, in scan order, as one table.
    expect(added.plan.nodes.get('total')!.reason).to.match(/^set of scans changed: \+1 −0 ~0 \(input "stats#0"/);
    expect((await table(s, added.key('total'), 'stats')).map((r) => r.split(' ')[0])).to.deep.equal([
      'train/covid/ct_scan_0', 'train/covid/ct_scan_7', 'train/non-covid/ct_scan_0', 'validation/covid/ct_scan_0', 'test/ct_scan_0']);

    // The same outputs as the whole-node cache over the same folder.
    const whole = session(join(root, 'runs-whole'), { perScan: false });
    const ref = await run(whole, file);
    expect(ref.plan.nodes.get('crop')!.parts).to.equal(undefined);
    for (const [id, port] of [['scans', 'slices'], ['crop', 'slices'], ['lung', 'areas'], ['window', 'windows'], ['total', 'stats']] as const) {
      expect(await table(s, added.key(id), port), id).to.deep.equal(await table(whole, ref.key(id), port));
    }

    // One file of a scan changed: that scan reruns, and the reason names the file.
    cpSync(join(data, 'train/covid/ct_scan_0/0.jpg'), join(data, 'validation/covid/ct_scan_0/1.jpg'));
    const changed = await run(s, file);
    expect(changed.plan.nodes.get('scans')!.reason).to.equal('1 changed (validation/covid/ct_scan_0: 1.jpg), 4 cached');
    expect(changed.batches('window')).to.equal(1);

    // A scan removed: nothing is computed, each node's list of scans is stored anew.
    rmSync(join(data, 'train/covid/ct_scan_7'), { recursive: true });
    const removed = await run(s, file);
    expect(removed.plan.nodes.get('crop')!.reason).to.equal('1 removed (train/covid/ct_scan_7), 4 cached');
    expect(removed.batches('crop')).to.equal(0);
    expect(removed.out.record.nodes.crop.status).to.equal('ran');

    // A param changes every scan's key: all recompute, and the reason is the param.
    const param = writeGraph(root, 'g.yaml', graphYaml(data).replace('fraction: 0.5', 'fraction: 0.4'));
    const refit = await run(s, param);
    expect(refit.plan.nodes.get('window')!.reason).to.match(/^param fraction changed 0.5 → 0.4/);
    expect(refit.batches('window')).to.equal(4);
    expect(refit.out.record.nodes.crop.status).to.equal('cached');

    // gc keeping the last run keeps its scans and removes the scans only older runs used.
    const gc = planGc(s.store, join(root, 'runs'), { keepLast: 1 });
    const removedKeys = new Set(gc.remove.map((e) => e.key));
    for (const id of ['scans', 'crop', 'lung', 'window']) {
      const found = s.store.lookup(refit.key(id));
      expect(found.hit, id).to.equal(true);
      for (const p of found.hit ? found.manifest.partitions! : []) expect(removedKeys.has(p.key), `${id} ${p.scan} kept`).to.equal(false);
    }
    const ct7 = s.store.lookup(added.key('crop'));
    const gone = ct7.hit ? ct7.manifest.partitions!.find((p) => p.scan === 'train/covid/ct_scan_7')! : undefined;
    expect(gone && removedKeys.has(gone.key), 'a scan no kept run uses is collected').to.equal(true);
    await applyGc(s.store, join(root, 'runs'), gc);
    const again = await run(s, param);
    expect(Object.values(again.out.record.nodes).map((n) => n.status)).to.deep.equal(['cached', 'cached', 'not-needed', 'not-needed', 'cached', 'cached']);
  });

  it('recomputes alone, saying why, a scan entry deleted or altered by hand', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    cpSync(TINY, data, { recursive: true });
    const file = writeGraph(root, 'g.yaml', graphYaml(data));
    const s = session(join(root, 'runs'));
    const first = await run(s, file);

    // The leaf node's scan: a flipped byte is found by the leaf check, that scan alone recomputed.
    const windows = s.store.lookup(first.key('window'));
    const victim = windows.hit ? windows.manifest.partitions![2] : undefined;
    const leafFile = join(s.store.entryDir(victim!.key), 'windows.arrow');
    const bytes = readFileSync(leafFile);
    const pm = s.store.lookup(victim!.key);
    const at = pm.hit ? pm.manifest.outputs.windows.batches[0].offset + 8 : 0;
    bytes[at] ^= 0xff;
    writeFileSync(leafFile, bytes);
    const leaf = await run(s, file);
    expect(leaf.out.record.nodes.window.reason).to.match(new RegExp(`^cache entry corrupt: the entry of scan ${victim!.scan}: .*does not match its checksum`));
    expect(leaf.batches('window')).to.equal(1);
    expect(leaf.batches('crop')).to.equal(0);
    expect(await table(s, leaf.key('window'), 'windows')).to.have.length(4);

    // A scan's file of a node read downstream deleted: only that scan of that node is recomputed.
    const crop = s.store.lookup(first.key('crop'));
    const lost = crop.hit ? crop.manifest.partitions![1] : undefined;
    rmSync(join(s.store.entryDir(lost!.key), 'slices.arrow'));
    const redo = await run(s, file);
    expect(redo.plan.nodes.get('crop')!.reason).to.equal(`1 recomputed (${lost!.scan}: output "slices" file is missing), 3 cached`);
    expect(redo.batches('crop')).to.equal(1);
    expect(redo.out.record.nodes.lung.status).to.equal('cached');
    expect(await table(s, redo.key('crop'), 'slices')).to.have.length(4);
  });

  it('repeats, on a run that reuses them, the problems a source met in its scans', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    cpSync(TINY, data, { recursive: true });
    const jpeg = join(data, 'train/covid/ct_scan_0/1.jpg');
    writeFileSync(jpeg, readFileSync(jpeg).subarray(0, 40)); // truncated: the slice is skipped
    const file = writeGraph(root, 'g.yaml', graphYaml(data));
    const s = session(join(root, 'runs'));
    const first = await run(s, file);
    expect((first.out.record.nodes.scans.notes?.skippedSlices as { file: string }[]).map((x) => x.file)).to.deep.equal([jpeg]);
    cpSync(join(data, 'test/ct_scan_0'), join(data, 'test/ct_scan_1'), { recursive: true });
    const added = await run(s, file);
    expect(added.batches('scans')).to.equal(1);
    expect((added.out.record.nodes.scans.notes?.skippedSlices as { file: string }[]).map((x) => x.file), 'kept with the scan that met it').to.deep.equal([jpeg]);
    const again = await run(s, file);
    expect(again.out.record.nodes.scans.status).to.equal('cached');
    const summary = formatRunSummary({ ...again.out, recordDir: 'r' }, 1);
    expect(summary.split('\n').filter((l) => l.includes('noted when computed'))).to.deep.equal([`${''.padEnd(10)} scans  ${''.padStart(8)}  noted when computed: skippedSlices 1`]);
  });

  it('refuses two scan folders with one id, naming both', async () => {
    const root = tempDir();
    cpSync(join(TINY, 'train/covid/ct_scan_0'), join(root, 'data/Scan_1'), { recursive: true });
    cpSync(join(TINY, 'train/covid/ct_scan_0'), join(root, 'data/scan_1'), { recursive: true });
    const file = writeGraph(root, 'g.yaml', `name: twins\nnodes:\n  scans: { kind: folder-scans, params: { path: ${JSON.stringify(join(root, 'data'))}, lowerIds: true } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n`);
    const s = session(join(root, 'runs'));
    const { graph } = s.load(file);
    let err: Error | undefined;
    await s.plan(graph!).catch((e: Error) => { err = e; });
    expect(err?.message).to.include(`two scans have the id "scan_1": ${join(root, 'data/Scan_1')} and ${join(root, 'data/scan_1')}`);
    expect(err?.message).to.include('[duplicate-scan]');
  });

  it('does not store a scan whose files change while they are read, and computes it on the rerun', async () => {
    const root = tempDir();
    for (const k of [0, 1, 2]) cpSync(join(TINY, 'train/covid/ct_scan_0'), join(root, `data/s${k}`), { recursive: true });
    const graphOf = (touch: string) => writeGraph(root, 'g.yaml', `name: moving\nnodes:\n  scans: { kind: folder-scans, params: { path: ${JSON.stringify(join(root, 'data'))}, touch: ${JSON.stringify(touch)} } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n`);
    const s = session(join(root, 'runs'));
    const { graph } = s.load(graphOf('2.jpg'));
    const plan = await s.plan(graph!);
    const out = await s.run(graph!);
    expect(out.record.nodes.scans.status).to.equal('failed');
    // Scans run two at a time: whichever failed first is the one named.
    expect(out.record.nodes.scans.error).to.match(/scan (s\d): its files changed while they were read \(2\.jpg under .*\/data\/\1\), so it is not stored/);
    for (const p of plan.nodes.get('scans')!.parts!) expect(s.store.lookup(p.key).hit, `${p.scan} not stored under its old key`).to.equal(false);
    expect(out.record.nodes.mean.status).to.equal('skipped');
    // Once the data is stable the rerun computes every scan from what the files hold now.
    const { graph: stable } = s.load(graphOf(''));
    const rerun = await s.run(stable!);
    expect(rerun.record.status).to.equal('ok');
    expect(rerun.record.nodes.scans.batches).to.equal(3);
  });

  it('caches synthetic-ct per generated scan: more scans compute only the new ones', async () => {
    const root = tempDir();
    const graphOf = (n: number) => writeGraph(root, 'g.yaml', `name: syn\nseed: 5\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: ${n}, slices: [4, 6], size: 64 } }\n  crop: { kind: cropper, in: { slices: scans } }\n`);
    const s = session(join(root, 'runs'));
    const three = await run(s, graphOf(3));
    expect(three.batches('crop')).to.equal(3);
    const four = await run(s, graphOf(4));
    expect(four.plan.nodes.get('scans')!.reason).to.equal('1 of 4 scans new (syn-0003), 3 cached');
    expect(four.batches('scans')).to.equal(1);
    expect(four.batches('crop')).to.equal(1);
    const whole = session(join(root, 'runs-whole'), { perScan: false });
    const ref = await run(whole, graphOf(4));
    expect(await table(s, four.key('crop'), 'slices')).to.deep.equal(await table(whole, ref.key('crop'), 'slices'));
  });

  it('caches a fused chain from an unstored source per scan at its stored node (lung-window.yaml\'s shape)', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    cpSync(TINY, data, { recursive: true });
    const unstored = (yaml: string) => yaml.replace(/^(  (scans|crop|lung):.*) }$/gm, '$1, cache: false }');
    const file = writeGraph(root, 'g.yaml', unstored(graphYaml(data)));
    const s = session(join(root, 'runs'));
    const first = await run(s, file);
    expect(first.plan.nodes.get('scans')!.parts, 'the unstored source is partitioned').to.have.length(4);
    expect(first.batches('window')).to.equal(4);
    cpSync(join(data, 'train/covid/ct_scan_0'), join(data, 'train/covid/ct_scan_7'), { recursive: true });
    const added = await run(s, file);
    expect(added.plan.nodes.get('window')!.reason).to.equal('1 of 5 scans new (train/covid/ct_scan_7), 4 cached');
    for (const id of ['scans', 'crop', 'median', 'mask', 'lung', 'window']) expect(added.batches(id), id).to.equal(1);
    // The same windows as the whole-node cache of the same graph.
    const whole = session(join(root, 'runs-whole'), { perScan: false });
    const ref = await run(whole, file);
    expect(await table(s, added.key('window'), 'windows')).to.deep.equal(await table(whole, ref.key('window'), 'windows'));
  });

  it('a no-op sees a same-size change with its mtime set back: in a slice file (that scan reruns), in a stored scan\'s data or manifest (that scan is recomputed)', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    cpSync(TINY, data, { recursive: true });
    const file = writeGraph(root, 'g.yaml', graphYaml(data).replace(/^(  (scans|crop|lung):.*) }$/gm, '$1, cache: false }'));
    const s = session(join(root, 'runs'));
    const first = await run(s, file);
    expect(first.batches('window')).to.equal(4);
    expect((await run(s, file)).batches('window'), 'a no-op: the windows are a leaf, checked and remembered').to.equal(0);
    const mtime = 1_700_000_000;
    /** Rewrite a file with the same size, its mtime set back to what it was made to be before the last run. */
    const sameSize = (path: string, change: (b: Buffer) => void) => {
      const b = readFileSync(path);
      change(b);
      writeFileSync(path, b);
      utimesSync(path, mtime, mtime);
    };
    const slice = join(data, 'validation/covid/ct_scan_0/1.jpg');
    utimesSync(slice, mtime, mtime);
    await run(s, file); // fingerprinted with that mtime
    await sleep(20); // past the kernel's clock tick: the ctime of the edit differs
    sameSize(slice, (b) => { b[b.length >> 1] ^= 0x01; });
    const edited = await run(s, file);
    expect(edited.plan.nodes.get('window')!.reason).to.equal('1 changed (validation/covid/ct_scan_0), 3 cached');

    const scanEntry = (k: number) => {
      const found = s.store.lookup(edited.key('window'));
      if (!found.hit) throw new Error('no window entry');
      return s.store.entryDir(found.manifest.partitions![k].key);
    };
    expect((await run(s, file)).batches('window'), 'all cached again').to.equal(0);
    for (const name of ['windows.arrow', 'manifest.json']) {
      const path = join(scanEntry(2), name);
      utimesSync(path, mtime, mtime);
      await run(s, file); // checked with that mtime
      await sleep(20);
      sameSize(path, (b) => { b[b.length >> 1] = b[b.length >> 1] === 0x30 ? 0x31 : 0x30; });
      const found = await run(s, file);
      expect(found.out.record.nodes.window.reason, name).to.match(/^cache entry corrupt: the entry of scan validation\/covid\/ct_scan_0: /);
      expect(found.batches('window'), `${name}: that scan alone`).to.equal(1);
    }
  });

  it('seeds random nodes alike per scan or whole, whatever the upstream code: seed keys hold no implementation hash', async () => {
    const root = tempDir();
    const file = writeGraph(root, 'g.yaml', `name: seeds\nseed: 5\nnodes:\n  scans: { kind: synthetic-ct, params: { scans: 3, slices: [4, 6], size: 64 } }\n  crop: { kind: cropper, in: { slices: scans } }\n  mean: { kind: scan-mean, in: { slices: crop.slices } }\n`);
    const seedKeys = async (s: Session) => {
      const { graph } = s.load(file);
      const plan = await s.plan(graph!);
      expect(plan.nodes.get('crop')!.parts?.length ?? 0, 'planned per scan or whole as asked').to.equal(s === whole ? 0 : 3);
      return Object.fromEntries([...plan.nodes].map(([id, p]) => [id, p.seedKey]));
    };
    const perScan = session(join(root, 'a'));
    const whole = session(join(root, 'b'), { perScan: false });
    const otherCode = session(join(root, 'c'), { implHash: (n) => `edited ${n.kind}` });
    const a = await seedKeys(perScan);
    expect(a).to.deep.equal(await seedKeys(whole));
    expect(a).to.deep.equal(await seedKeys(otherCode));
  });
});
