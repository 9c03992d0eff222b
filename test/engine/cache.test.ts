// What reruns and why: unchanged reruns, one changed param, a changed implementation, corrupt
// entries, the golden key, byte-identical outputs.
import { implementationHash } from '../../engine/impl-hash.js';
import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineNode, type NodeDef } from '../../engine/types.js';
import { nodeKey } from '../../engine/plan.js';
import { Slices } from '../../nodes/tables.js';
import { byStatus, runFile, session, tempDir, testRegistry, writeGraph } from '../helpers/engine.js';
import { Session } from '../../engine/session.js';

const GRAPH = `name: chain
seed: 3
nodes:
  scans: { kind: toy-scans, params: { scans: 4, slices: 3, size: 8 } }
  doubled: { kind: scale, in: { slices: scans }, cache: false }
  tripled: { kind: scale, in: { slices: doubled }, params: { factor: 3 } }
  mean: { kind: scan-mean, in: { slices: tripled } }
  total: { kind: stats-total, in: { stats: mean } }
  side: { kind: scan-mean, in: { slices: scans } }
`;

function entryFile(s: Session, key: string, port: string): string {
  return join(s.store.entryDir(key), `${port}.arrow`);
}

describe('cache and reruns', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = writeGraph(dir, 'chain.yaml', GRAPH);
  });

  it('runs everything once, then an unchanged rerun runs nothing', async () => {
    const s = session(join(dir, 'runs'));
    const first = await runFile(s, file);
    expect(first.record.status).to.equal('ok');
    expect(byStatus(first, 'ran')).to.deep.equal(['doubled', 'mean', 'scans', 'side', 'total', 'tripled']);
    const second = await runFile(s, file);
    expect(byStatus(second, 'ran')).to.deep.equal([]);
    expect(byStatus(second, 'cached')).to.deep.equal(['mean', 'scans', 'side', 'total', 'tripled']);
  });

  it('a changed param reruns exactly that node and its downstream, and says why', async () => {
    const s = session(join(dir, 'runs'));
    await runFile(s, file);
    writeFileSync(file, GRAPH.replace('params: { factor: 3 }', 'params: { factor: 5 }'));
    const out = await runFile(s, file);
    // doubled is not stored, so it runs again to feed tripled; scans and side stay cached.
    expect(byStatus(out, 'ran')).to.deep.equal(['doubled', 'mean', 'total', 'tripled']);
    expect(byStatus(out, 'cached')).to.deep.equal(['scans', 'side']);
    expect(out.record.nodes.tripled.reason).to.equal('param factor changed 3 → 5 at chain.yaml:6:70'.replace('chain.yaml', out.record.file));
    expect(out.record.nodes.mean.reason).to.equal('input "slices" changed (from "tripled.slices")');
  });

  it('status tells what would run without running it', async () => {
    const s = session(join(dir, 'runs'));
    await runFile(s, file);
    const { graph } = s.load(file, ['side.params.offset=1']);
    const plan = await s.plan(graph!);
    const runs = [...plan.nodes.values()].filter((p) => p.runs).map((p) => p.node.id);
    expect(runs).to.deep.equal(['side']);
    expect(plan.nodes.get('side')!.reason).to.match(/^param offset changed 0 → 1 at --set side.params.offset=1/);
    const again = await runFile(s, file);
    expect(byStatus(again, 'ran')).to.deep.equal([]);
  });

  it('a corrupt (bit-flipped) entry is reported, removed and recomputed, never used', async () => {
    const s = session(join(dir, 'runs'));
    const first = await runFile(s, file);
    const scansKey = first.record.nodes.scans.key;
    const clean = readFileSync(entryFile(s, scansKey, 'slices'));
    const bad = Buffer.from(clean);
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    writeFileSync(entryFile(s, scansKey, 'slices'), bad);
    // tripled's param changes, so doubled must read scans' entry: the flip is found then.
    const out = await runFile(s, file, ['tripled.params.factor=4']);
    expect(out.record.status).to.equal('ok');
    expect(out.record.nodes.scans.status).to.equal('ran');
    expect(out.record.nodes.scans.reason).to.match(/corrupt|checksum/);
    expect(readFileSync(entryFile(s, scansKey, 'slices')).equals(clean)).to.equal(true);
  });

  it('a truncated entry is a miss found by the plan, before anything reads it', async () => {
    const s = session(join(dir, 'runs'));
    const first = await runFile(s, file);
    const f = entryFile(s, first.record.nodes.mean.key, 'stats');
    truncateSync(f, 100);
    const out = await runFile(s, file);
    // tripled is stored and intact, so mean reads it: doubled and tripled do not run.
    expect(byStatus(out, 'ran')).to.deep.equal(['mean']);
    expect(out.record.nodes.mean.reason).to.match(/^cache entry corrupt: output "stats" file is 100 bytes/);
  });

  it('an edited manifest fails its checksum even in the session that verified it before', async () => {
    const s = session(join(dir, 'runs'));
    const first = await runFile(s, file);
    const key = first.record.nodes.side.key;
    expect(s.store.lookup(key).hit).to.equal(true);
    const mf = join(s.store.entryDir(key), 'manifest.json');
    const text = readFileSync(mf, 'utf8');
    writeFileSync(mf, text.replace('"rows": 4', '"rows": 5')); // same size, other content
    expect(readFileSync(mf, 'utf8')).to.not.equal(text);
    const again = s.store.lookup(key);
    expect(again.hit).to.equal(false);
    expect(again.hit ? '' : again.reason).to.equal('manifest fails its checksum');
  });

  it('equal inputs give byte-identical stored files (no timestamps)', async () => {
    const a = await runFile(session(join(dir, 'a')), file);
    const b = await runFile(session(join(dir, 'b')), file);
    for (const id of ['scans', 'tripled', 'mean', 'total']) {
      const ka = a.record.nodes[id].key;
      expect(b.record.nodes[id].key).to.equal(ka);
      const da = readdirSync(join(dir, 'a', 'cache', ka.slice(0, 2), ka)).sort();
      for (const f of da) {
        expect(readFileSync(join(dir, 'a', 'cache', ka.slice(0, 2), ka, f)).equals(readFileSync(join(dir, 'b', 'cache', ka.slice(0, 2), ka, f))), `${id}/${f}`).to.equal(true);
      }
    }
  });

  it('keeps scan order with concurrency and out-of-order completion', async () => {
    const f = writeGraph(dir, 'jitter.yaml', `name: jitter
nodes:
  scans: { kind: toy-scans, params: { scans: 6, slices: 2, size: 4 } }
  slow: { kind: scale, in: { slices: scans }, params: { jitterMs: 15 } }
  mean: { kind: scan-mean, in: { slices: slow } }
`);
    const s = session(join(dir, 'runs'), { concurrency: 4 });
    const out = await runFile(s, f);
    const p = out.plan.nodes.get('mean')!;
    const found = s.store.lookup(p.key);
    if (!found.hit) throw new Error(found.reason);
    const reader = await s.store.reader(s.store.entryDir(p.key), found.manifest, 'stats');
    const ids: string[] = [];
    for await (const b of reader) ids.push(String(b.getChild('scan_id')!.get(0)));
    await reader.close();
    expect(ids).to.deep.equal(['scan-0', 'scan-1', 'scan-2', 'scan-3', 'scan-4', 'scan-5']);
  });

  it('a variadic port reads the batches of every listed node, in order', async () => {
    const f = writeGraph(dir, 'many.yaml', `name: many
nodes:
  scans: { kind: toy-scans, params: { scans: 2 } }
  a: { kind: scan-mean, in: { slices: scans } }
  b: { kind: scan-mean, in: { slices: scans }, params: { offset: 1000 } }
  both: { kind: stats-total, in: { stats: [a, b] } }
`);
    const s = session(join(dir, 'runs'));
    const out = await runFile(s, f);
    expect(out.record.nodes.both.rows).to.deep.equal({ stats: 4 });
    expect(Object.keys(out.record.nodes.both.material.inputs)).to.deep.equal(['stats#0', 'stats#1']);
    const bad = s.load(writeGraph(dir, 'bad.yaml', 'name: bad\nnodes:\n  scans: { kind: toy-scans }\n  m: { kind: scan-mean, in: { slices: [scans, scans] } }\n'));
    expect(bad.issues.map((i) => i.message)).to.deep.equal(['scan-mean: input "slices" takes one node, not a list']);
  });

  it('seed enters the key only of random kinds', async () => {
    const s = session(join(dir, 'runs'));
    await runFile(s, file);
    writeFileSync(file, GRAPH.replace('seed: 3', 'seed: 4'));
    const { graph } = s.load(file);
    const plan = await s.plan(graph!);
    expect(plan.nodes.get('scans')!.reason).to.equal('seed changed 3 → 4');
    expect(plan.nodes.get('scans')!.material.seed).to.equal(4);
    expect(plan.nodes.get('mean')!.material.seed).to.equal(undefined);
  });
});

describe('implementation hash', () => {
  /** A package outside the project: its root and kind.js's URL, with these files (path → content) under it. */
  const outsidePackage = (files: Record<string, string | Buffer>) => {
    const dir = tempDir(), pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"type":"module"}');
    for (const [path, content] of Object.entries(files)) writeFileSync(join(pkg, path), content);
    return { dir, pkg, kindUrl: pathToFileURL(join(pkg, 'kind.js')).href };
  };

  it('a code change in a kind or a module it imports reruns it, without a version bump', async () => {
    const { dir, pkg, kindUrl } = outsidePackage({
      'kind.js': "import { offset } from './lib/offset.js';\nexport const use = offset;\n",
      'lib/offset.js': 'export const offset = 1;\n',
    });
    const makeDef = (v: string): NodeDef => defineNode(`${kindUrl}?v=${v}`, {
      kind: 'ext-pass', version: 1, description: 'pass-through defined outside the project', mode: 'stream',
      params: {}, example: {}, inputs: { slices: Slices }, outputs: { slices: Slices },
      run: (_ctx, { slices }) => ({ slices }),
    });
    const g = writeGraph(dir, 'g.yaml', 'name: ext\nnodes:\n  scans: { kind: toy-scans }\n  pass: { kind: ext-pass, in: { slices: scans } }\n');
    const runWith = (v: string) => runFile(new Session({ runsDir: join(dir, 'runs'), registry: testRegistry.with([makeDef(v)]) }), g);
    expect(byStatus(await runWith('1'), 'ran')).to.deep.equal(['pass', 'scans']);
    expect(byStatus(await runWith('2'), 'ran'), 'same code, new module instance').to.deep.equal([]);
    writeFileSync(join(pkg, 'lib', 'offset.js'), 'export const offset = 2;\n');
    const out = await runWith('3');
    expect(byStatus(out, 'ran')).to.deep.equal(['pass']);
    expect(out.record.nodes.pass.reason).to.match(/^implementation changed/);
  });

  it('so does a change in a file it loads by new URL beside import.meta.url: a worker script (and what that imports), a WebAssembly module', async () => {
    const { pkg, kindUrl } = outsidePackage({
      'kind.js': "export const worker = new URL('./lib/worker.js', import.meta.url);\nexport const wasm = new URL( './lib/m.wasm' , import.meta.url);\nexport const optional = new URL('./lib/absent.wasm', import.meta.url);\n",
      'lib/worker.js': "import { k } from './k.js';\nexport const twice = k * 2;\n",
      'lib/k.js': 'export const k = 1;\n',
      'lib/m.wasm': Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]),
    });
    let v = 0;
    const hash = () => implementationHash(`${kindUrl}?v=${v++}`);
    const before = hash();
    expect(hash(), 'unchanged files').to.equal(before);
    writeFileSync(join(pkg, 'lib', 'k.js'), 'export const k = 22;\n'); // another size: the scan memo also keys on mtime
    const afterImport = hash();
    expect(afterImport, 'a module the worker imports').to.not.equal(before);
    writeFileSync(join(pkg, 'lib', 'm.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff, 0xfe]));
    expect(hash(), 'a byte more in the WebAssembly module').to.not.equal(afterImport);
  });
});

describe('random draws', () => {
  it('a code change reruns a random node but draws the same numbers: same bytes, other key; another seed draws others', async () => {
    const dir = tempDir();
    // toy-train draws from ctx.rngFor in a child process.
    const g = writeGraph(dir, 'g.yaml', 'name: draws\nseed: 3\nnodes:\n  scans: { kind: toy-scans, params: { scans: 3 } }\n  mean: { kind: scan-mean, in: { slices: scans } }\n  train: { kind: toy-train, in: { stats: mean }, params: { epochs: 2, epochMs: 0 } }\n');
    const bytes = async (impl: string, sets: string[] = []) => {
      const s = new Session({ runsDir: join(dir, `runs-${impl}-${sets.length}`), registry: testRegistry, implHash: (n) => `${impl}-${n.kind}` });
      const out = await runFile(s, g, sets);
      expect(byStatus(out, 'ran')).to.deep.equal(['mean', 'scans', 'train']);
      const p = out.plan.nodes.get('train')!;
      return { key: p.key, seedKey: p.seedKey, data: readFileSync(join(s.store.entryDir(p.key), 'stats.arrow')) };
    };
    const [a, b, c] = [await bytes('v1'), await bytes('v2'), await bytes('v1', ['seed=4'])];
    expect(b.key).to.not.equal(a.key);
    expect(b.seedKey).to.equal(a.seedKey);
    expect(b.data.equals(a.data), 'same draws after a code change').to.equal(true);
    expect(c.seedKey).to.not.equal(a.seedKey);
    expect(c.data.equals(a.data), 'another seed').to.equal(false);
  });
});

describe('golden key', () => {
  it('pins the key of a node with a pinned implementation hash', async () => {
    const dir = tempDir();
    const g = writeGraph(dir, 'g.yaml', 'name: golden\nseed: 7\nnodes:\n  scans: { kind: toy-scans, params: { size: 4, scans: 2 } }\n  pass: { kind: scale, in: { slices: scans }, params: { factor: 2 } }\n');
    const s = new Session({ runsDir: join(dir, 'runs'), registry: testRegistry, implHash: (n) => `pinned-${n.kind}-impl` });
    const { graph } = s.load(g);
    const plan = await s.plan(graph!);
    const scans = plan.nodes.get('scans')!;
    expect(scans.material).to.deep.equal({ engine: 2, kind: 'toy-scans', version: 1, impl: 'pinned-toy-scans-impl', params: { scans: 2, slices: 4, size: 4 }, inputs: {}, seed: 7 });
    expect(scans.key).to.equal('effe032e036eb83b20db6dc8d35acfd317a11056982280a33c19a520ffd53a2c');
    expect(plan.nodes.get('pass')!.key).to.equal('21c4c933c2c96c7524f7e109e1f0eb344627e2b8a75d601e7f6b13d4a12a3831');
    // Key material is canonical: the order of param keys does not matter.
    expect(nodeKey({ ...scans.material, params: { size: 4, slices: 4, scans: 2 } })).to.equal(scans.key);
  });
});
