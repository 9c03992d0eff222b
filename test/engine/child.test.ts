// Heavy (model) barrier nodes run in a child process: same outputs as in process, progress and
// notes reach the parent, a crash or an exception is a clear node failure.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { byStatus, runFile, session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = (crash = 'none') => `name: child
nodes:
  scans: { kind: toy-scans, params: { scans: 3 } }
  mean: { kind: scan-mean, in: { slices: scans } }
  total: { kind: child-total, in: { stats: mean }, params: { crash: ${crash} } }
`;

describe('model nodes in child processes', () => {
  it('give the same bytes as in process, and report progress and notes', async () => {
    const dir = tempDir();
    const file = writeGraph(dir, 'g.yaml', GRAPH());
    const progress: number[] = [];
    const child = session(join(dir, 'a'), { events: { progress: (_n, done) => progress.push(done) } });
    const a = await runFile(child, file);
    expect(a.record.status).to.equal('ok');
    expect(a.record.nodes.total.notes!.pid).to.be.a('number').and.not.equal(process.pid);
    expect(progress).to.deep.equal([1, 2, 3]);
    const inline = session(join(dir, 'b'), { inProcess: true });
    const b = await runFile(inline, file);
    expect(b.record.nodes.total.notes!.pid).to.equal(process.pid);
    const key = a.record.nodes.total.key;
    const fa = readFileSync(join(child.store.entryDir(key), 'stats.arrow'));
    const fb = readFileSync(join(inline.store.entryDir(key), 'stats.arrow'));
    expect(fa.equals(fb)).to.equal(true);
  });

  it('a child that exits or throws fails its node with the reason; finished nodes stay cached', async () => {
    const dir = tempDir();
    for (const crash of ['exit', 'throw']) {
      const s = session(join(dir, crash));
      const out = await runFile(s, writeGraph(dir, `${crash}.yaml`, GRAPH(crash)));
      expect(out.record.status).to.equal('failed');
      expect(byStatus(out, 'failed')).to.deep.equal(['total']);
      expect(out.record.nodes.total.error).to.match(crash === 'exit' ? /child process exited \(code 3\)/ : /child asked to throw/);
      expect(s.store.lookup(out.record.nodes.mean.key).hit).to.equal(true);
      expect(s.store.lookup(out.record.nodes.total.key).hit).to.equal(false);
    }
  });

  it('a crashed node finds its checkpoints on the rerun; they are removed once the entry is stored', async () => {
    const dir = tempDir();
    const s = session(join(dir, 'runs'));
    const file = writeGraph(dir, 'once.yaml', GRAPH('once'));
    const first = await runFile(s, file);
    expect(first.record.nodes.total.status).to.equal('failed');
    const ckpt = join(dir, 'runs', 'checkpoints', first.record.nodes.total.key);
    expect(existsSync(join(ckpt, 'epoch-1'))).to.equal(true);
    const second = await runFile(s, file);
    expect(second.record.status).to.equal('ok');
    expect(second.record.nodes.total.notes!.resumed).to.equal(true);
    expect(existsSync(ckpt)).to.equal(false);
  });
});
