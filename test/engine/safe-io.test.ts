// Reading and writing only where ctflow must (issue 24, class 2): graph files and extends are read
// as regular files with the size limit enforced while reading; a file that is not a graph is
// reported by its location, never echoed; writes under the runs directory never follow a link out
// of it; an empty CTFLOW_RUNS is refused; no override reaches Object.prototype.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctflow } from '../helpers/cli.js';
import { session, tempDir, writeGraph } from '../helpers/engine.js';

const GRAPH = (name: string) => `name: ${name}
nodes:
  scans: { kind: synthetic-ct, params: { scans: 1, slices: [2, 2], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
`;

describe('safe reads and writes', function () {
  this.timeout(60_000);

  it('refuses a graph file or an extends that is a device or a FIFO at once, and a file over 1 MiB', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    writeFileSync(join(dir, 'big.yaml'), `name: big\n# ${'x'.repeat(2 << 20)}\n`);
    const cases: [string[], RegExp][] = [
      [['validate', '/dev/zero'], /\/dev\/zero:1:1 \[unreadable\] .*not a regular file \(a device\)/],
      [['validate', 'fifo.yaml'], /fifo\.yaml:1:1 \[unreadable\] .*not a regular file \(a FIFO\)/],
      [['validate', 'big.yaml'], /big\.yaml:1:1 \[too-large\] .*over the limit of 1048576 bytes/],
    ];
    for (const base of ['/dev/zero', 'fifo.yaml', '/dev/urandom']) {
      writeGraph(dir, `x-${cases.length}.yaml`, `extends: ${base}\nname: x\n`);
      cases.push([['validate', `x-${cases.length}.yaml`], /x-\d\.yaml:1:\d+ \[extends\] base graph .*not a regular file/]);
    }
    for (const [args, want] of cases) {
      const t0 = Date.now();
      const r = ctflow(args, dir);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err).to.match(want);
      expect(Date.now() - t0, 'refused at once').to.be.below(15_000);
    }
  });

  it('does not echo a file that is not a graph (extends: a secrets file)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'shadow'), 'root:$6$s3cr3tHash$abcdef:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\npassword: hunter2\n');
    writeFileSync(join(dir, 'list.yaml'), '- hunter2\n- s3cr3tHash\n');
    for (const target of ['shadow', 'list.yaml']) {
      writeGraph(dir, 'g.yaml', `name: g\nextends: ${target}\nnodes:\n  scans: { kind: synthetic-ct }\n`);
      for (const file of ['g.yaml', target]) {
        const r = ctflow(['validate', file], dir);
        expect(r.code).to.equal(2);
        expect(r.err + r.out).to.not.match(/hunter2|s3cr3tHash|daemon/);
        expect(r.err).to.match(/not a ctflow graph file/);
      }
    }
  });

  it('a planted symbolic link never redirects a write out of the runs directory', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', GRAPH('linked'));
    expect(ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--no-report'], dir).code).to.equal(0);
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'precious\n');
    const [id] = readdirSync(join(dir, 'runs', 'records'));
    const report = join(dir, 'runs', 'records', id, 'report.html');
    symlinkSync(outside, report);
    const r = ctflow(['report', id, '--runs', 'runs'], dir);
    expect(r.code, r.err).to.equal(0);
    expect(readFileSync(outside, 'utf8')).to.equal('precious\n');
    expect(lstatSync(report).isSymbolicLink(), 'the link was replaced by the report').to.equal(false);
    // A folder of the runs directory that is a link out of it: the write is refused, not followed.
    const away = join(dir, 'away');
    mkdirSync(away);
    symlinkSync(away, join(dir, 'runs', 'latest-x'));
    execFileSync('sh', ['-c', 'rm -r runs/latest && mv runs/latest-x runs/latest'], { cwd: dir });
    const again = ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--set', 'scans.params.scans=2'], dir);
    expect(again.code).to.equal(1);
    expect(again.err).to.match(/outside the runs directory/);
    expect(readdirSync(away)).to.deep.equal([]);
  });

  it('a run or gc refuses a runs directory whose own folders are links out of it', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', GRAPH('folders'));
    expect(ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--no-report'], dir).code).to.equal(0);
    for (const folder of ['cache', 'records']) {
      execFileSync('sh', ['-c', `mv runs/${folder} away-${folder} && ln -s ../away-${folder} runs/${folder}`], { cwd: dir });
      const before = execFileSync('find', [`away-${folder}`], { cwd: dir, encoding: 'utf8' });
      for (const args of [['run', 'g.yaml', '--quiet', '--set', 'scans.params.scans=2'], ['gc', '--keep-last', '0']]) {
        const r = ctflow([...args, '--runs', 'runs'], dir);
        expect(r.code, `${folder}: ${args.join(' ')}`).to.equal(1);
        expect(r.err).to.match(new RegExp(`runs/${folder}: it leads to .*away-${folder}, outside the runs directory`));
      }
      expect(execFileSync('find', [`away-${folder}`], { cwd: dir, encoding: 'utf8' }), 'nothing written or removed there').to.equal(before);
      execFileSync('sh', ['-c', `rm runs/${folder} && mv away-${folder} runs/${folder}`], { cwd: dir });
    }
  });

  it('refuses an empty CTFLOW_RUNS or --runs and a runs directory that is a file', () => {
    const dir = tempDir();
    writeGraph(dir, 'g.yaml', GRAPH('empty'));
    writeFileSync(join(dir, 'afile'), '');
    for (const [args, env, want] of [
      [['run', 'g.yaml'], { CTFLOW_RUNS: '' }, /CTFLOW_RUNS is set but empty/],
      [['gc'], { CTFLOW_RUNS: '' }, /CTFLOW_RUNS is set but empty/],
      [['run', 'g.yaml', '--runs', ''], {}, /--runs is empty/],
      [['runs', '--runs', 'afile'], {}, /afile is a file, not a directory/],
    ] as [string[], Record<string, string>, RegExp][]) {
      const r = ctflow(args, dir, env);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err).to.match(want);
    }
    expect(readdirSync(dir).sort()).to.deep.equal(['afile', 'g.yaml']);
  });

  it('keeps __proto__, constructor and prototype out of --set paths, sweep sets and extends', () => {
    const dir = tempDir();
    const s = session(join(dir, 'runs'));
    const file = writeGraph(dir, 'g.yaml', GRAPH('proto'));
    for (const set of ['__proto__.polluted=1', 'scans.__proto__.polluted=1', 'scans.params.__proto__=1', 'constructor.params.x=1', 'scans.constructor.prototype.polluted=1']) {
      const { graph, issues } = s.load(file, [set]);
      expect(graph, set).to.equal(undefined);
      expect(issues[0].message, set).to.match(/names no graph value/);
      expect(({} as Record<string, unknown>).polluted, set).to.equal(undefined);
    }
    writeGraph(dir, 'sweep.yaml', `${GRAPH('proto')}sweep:\n  variants:\n    - { name: a, set: { "__proto__.polluted": 1 } }\n`);
    const sw = s.loadSweep(join(dir, 'sweep.yaml'));
    expect(sw.variants).to.deep.equal([]);
    expect(sw.issues.map((i) => i.message).join('\n')).to.match(/names no graph value/);
    writeGraph(dir, 'base.yaml', GRAPH('base'));
    writeGraph(dir, 'child.yaml', 'extends: base.yaml\nname: child\nnodes:\n  scans: { params: { __proto__: { polluted: 1 } } }\n');
    const child = s.load(join(dir, 'child.yaml'));
    expect(child.issues.map((i) => i.message).join('\n'), 'a plain key, not a prototype').to.match(/unknown key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    const r = ctflow(['run', 'g.yaml', '--runs', 'runs', '--set', '__proto__.polluted=1'], dir);
    expect(r.code).to.equal(2);
    expect(existsSync(join(dir, 'runs'))).to.equal(false);
  });
});
