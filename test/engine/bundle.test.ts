// The command line's bundle (engine/bundle.ts) and the launcher that picks it (engine/launch.ts):
// the bundle runs while it matches the modules it was built from, and plans the same keys.
import { expect } from 'chai';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILES, bundleIsFresh, compileBundle, evaluateBundle } from '../../engine/launch.cjs';
import { readRecord } from '../../engine/runs.js';
import { registry } from '../../nodes/index.js';
import { Session } from '../../engine/session.js';
import { tempDir } from '../helpers/engine.js';

const BUNDLE = fileURLToPath(new URL('../../bundle/', import.meta.url));

describe('bundle', function () {
  this.timeout(60_000);

  it('the build leaves a bundle that matches dist/, with a code cache this Node accepts', () => {
    expect(bundleIsFresh(BUNDLE)).to.equal(true);
    const script = compileBundle(BUNDLE, readFileSync(join(BUNDLE, BUNDLE_FILES.cache)));
    expect(script.cachedDataRejected).to.equal(false);
  });

  it('is stale once a file it was built from changes or goes', () => {
    const dir = tempDir();
    const file = join(dir, 'a.js');
    writeFileSync(file, 'export const a = 1;\n');
    const st = statSync(file);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify([{ path: 'a.js', size: st.size, mtimeMs: st.mtimeMs }]));
    expect(bundleIsFresh(dir)).to.equal(true);
    utimesSync(file, st.atime, new Date(st.mtimeMs + 1000)); // a bare `tsc` rewrote it
    expect(bundleIsFresh(dir)).to.equal(false);
    rmSync(file);
    expect(bundleIsFresh(dir)).to.equal(false);
    expect(bundleIsFresh(join(dir, 'none'))).to.equal(false);
  });

  it('plans the same keys as the modules (kinds are hashed from their own files)', async () => {
    const dir = tempDir();
    const file = join(dir, 'g.yaml');
    writeFileSync(file, `name: same
nodes:
  scans: { kind: synthetic-ct, params: { scans: 2, slices: [4, 6], size: 64 } }
  crop: { kind: cropper, in: { slices: scans } }
`);
    const runs = join(dir, 'runs');
    const bundled = evaluateBundle(compileBundle(BUNDLE, readFileSync(join(BUNDLE, BUNDLE_FILES.cache))), BUNDLE);
    expect(await bundled.main(['run', file, '--runs', runs, '--quiet', '--no-report'])).to.equal(0);
    const id = readFileSync(join(runs, 'latest', 'same'), 'utf8').trim();
    const viaBundle = readRecord(runs, id)!;
    const s = new Session({ runsDir: runs, registry });
    const plan = await s.plan(s.load(file).graph!);
    for (const node of ['scans', 'crop']) expect(viaBundle.nodes[node].key, node).to.equal(plan.nodes.get(node)!.key);
  });
});
