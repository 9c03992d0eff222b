// Provenance in the run record: the git commit of the working directory and whether tracked files
// differ from it (one `git status`), the lockfile's hash, Node's version and the model backend.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecord, type RunRecord } from '../../engine/runs.js';
import { ctflow } from '../helpers/cli.js';
import { tempDir } from '../helpers/engine.js';

const GRAPH = `name: prov
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [4, 6], size: 64 } }
`;

function runIn(dir: string): RunRecord {
  const r = ctflow(['run', 'g.yaml', '--runs', 'runs', '--quiet', '--no-report'], dir);
  expect(r.code, r.err).to.equal(0);
  const id = readFileSync(join(dir, 'runs', 'latest', 'prov'), 'utf8').trim();
  return readRecord(join(dir, 'runs'), id)!;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();

describe('provenance', function () {
  this.timeout(60_000);

  it('records the commit, clean then dirty, and no commit outside a repository', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'g.yaml'), GRAPH);
    writeFileSync(join(dir, '.gitignore'), 'runs/\n');
    const outside = runIn(dir).provenance;
    expect(outside.git).to.deep.equal({ commit: null, dirty: null });

    git(dir, 'init', '-q');
    expect(runIn(dir).provenance.git, 'a repository without commits').to.deep.equal({ commit: null, dirty: null });
    git(dir, 'add', 'g.yaml', '.gitignore');
    git(dir, 'commit', '-qm', 'graph');
    const head = git(dir, 'rev-parse', 'HEAD');
    expect(runIn(dir).provenance.git).to.deep.equal({ commit: head, dirty: false });

    writeFileSync(join(dir, 'notes.txt'), 'untracked files do not make the tree dirty\n');
    expect(runIn(dir).provenance.git.dirty).to.equal(false);
    writeFileSync(join(dir, 'g.yaml'), GRAPH + '# edited\n');
    const dirty = runIn(dir).provenance;
    expect(dirty.git).to.deep.equal({ commit: head, dirty: true });
    expect(dirty.node).to.equal(process.version);
    expect(dirty.lockfileSha256).to.match(/^[0-9a-f]{64}$/);
  });
});
