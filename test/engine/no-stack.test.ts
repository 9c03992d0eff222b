// No stack traces (issue 24, class 7): the CLI over a table of damaged runs directories and bad
// options exits 2 (bad input) or 1 (a failed run) with a message naming the path or option, and
// never prints a stack frame.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctflow } from '../helpers/cli.js';
import { tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = `name: dmg
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [2, 3], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
`;

interface Case { name: string; damage?: (runs: string, id: string) => void; args: string[]; code: number; says: RegExp }

const shardOf = (runs: string) => readdirSync(join(runs, 'cache')).find((n) => /^[0-9a-f]{2}$/.test(n))!;

const CASES: Case[] = [
  { name: 'stray file in a cache shard (gc)', damage: (r) => writeFileSync(join(r, 'cache', shardOf(r), 'stray'), 'x'), args: ['gc'], code: 0, says: /removed 0 cache entries/ },
  { name: 'stray file in a cache shard (run)', damage: (r) => writeFileSync(join(r, 'cache', shardOf(r), 'stray'), 'x'), args: ['run', 'g.yaml', '--quiet'], code: 0, says: /0 ran, 2 cached/ },
  { name: 'empty record.json (runs)', damage: (r, id) => writeFileSync(join(r, 'records', id, 'record.json'), ''), args: ['runs'], code: 0, says: /no runs in/ },
  { name: 'empty record.json (status)', damage: (r, id) => writeFileSync(join(r, 'records', id, 'record.json'), ''), args: ['status', 'g.yaml'], code: 0, says: /nothing would run/ },
  { name: 'empty record.json (report latest)', damage: (r, id) => writeFileSync(join(r, 'records', id, 'record.json'), ''), args: ['report', 'latest'], code: 2, says: /no runs in/ },
  { name: 'record.json is a directory', damage: (r, id) => { rmSync(join(r, 'records', id, 'record.json')); mkdirSync(join(r, 'records', id, 'record.json')); }, args: ['gc', '--keep-last', '1'], code: 0, says: /removed/ },
  { name: 'a directory where the latest link is (status)', damage: (r) => { rmSync(join(r, 'latest', 'dmg')); mkdirSync(join(r, 'latest', 'dmg')); }, args: ['status', 'g.yaml'], code: 0, says: /nothing would run/ },
  { name: 'a directory where the latest link is (run)', damage: (r) => { rmSync(join(r, 'latest', 'dmg')); mkdirSync(join(r, 'latest', 'dmg')); }, args: ['run', 'g.yaml', '--quiet'], code: 1, says: /latest\/dmg.*a directory stands where ctflow keeps a file/ },
  { name: 'a file where a cache shard is', damage: (r) => { const s = shardOf(r); rmSync(join(r, 'cache', s), { recursive: true }); writeFileSync(join(r, 'cache', s), ''); }, args: ['run', 'g.yaml', '--quiet'], code: 1, says: /cache\/[0-9a-f]{2}/ },
  { name: 'a damaged sweep record', damage: (r) => { mkdirSync(join(r, 'sweeps')); writeFileSync(join(r, 'sweeps', 'sweep-x.json'), '{'); }, args: ['report', 'sweep-x'], code: 2, says: /not a run id, a sweep id/ },
  { name: 'runs directory is a file', damage: (r) => { rmSync(r, { recursive: true }); writeFileSync(r, ''); }, args: ['run', 'g.yaml'], code: 2, says: /is a file, not a directory/ },
  { name: 'runs directory is a file (gc)', damage: (r) => { rmSync(r, { recursive: true }); writeFileSync(r, ''); }, args: ['gc'], code: 2, says: /is a file, not a directory/ },
  { name: '--quality abc', args: ['export', 'g.yaml', 'crop', '--to', 'out', '--quality', 'abc'], code: 2, says: /--quality takes a whole number from 1 to 100, got "abc"/ },
  { name: '--to an existing file', args: ['export', 'g.yaml', 'crop', '--to', 'g.yaml'], code: 2, says: /--to g\.yaml is a file/ },
  { name: '--against ../..', args: ['status', 'g.yaml', '--against', '../..'], code: 2, says: /no run "\.\.\/\.\." in runs/ },
  { name: '--keep-last -1', args: ['gc', '--keep-last=-1'], code: 2, says: /--keep-last must be an integer ≥ 0, got "-1"/ },
  { name: '--max-size lots', args: ['gc', '--max-size', 'lots'], code: 2, says: /cannot read size "lots"/ },
  { name: '--concurrency x', args: ['run', 'g.yaml', '--concurrency', 'x'], code: 2, says: /--concurrency must be a positive integer/ },
  { name: 'report ../..', args: ['report', '../..'], code: 2, says: /\.\.\/\.\.: cannot read the graph file: not a regular file \(a directory\)/ },
];

describe('no stack traces', function () {
  this.timeout(300_000);

  it('damaged runs directories and bad options: a message and exit 1 or 2, never a stack frame', () => {
    const base = tempDir();
    writeGraph(base, 'g.yaml', GRAPH);
    const first = ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--no-report'], base);
    expect(first.code, first.err).to.equal(0);
    const failed: string[] = [];
    for (const c of CASES) {
      const dir = tempDir();
      execFileSync('cp', ['-a', join(base, 'g.yaml'), join(base, 'runs'), dir]);
      const runs = join(dir, 'runs');
      c.damage?.(runs, readdirSync(join(runs, 'records'))[0]);
      const r = ctflow([...c.args, '--runs', 'runs'], dir);
      const text = r.out + r.err;
      if (r.code !== c.code || !c.says.test(text) || /^\s+at /m.test(text)) failed.push(`${c.name}: exit ${r.code}\n${text}`);
    }
    expect(failed, failed.join('\n\n')).to.deep.equal([]);
  });
});
