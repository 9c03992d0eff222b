// Runs shared by the run browser's tests, made once per test process: two runs of a tiny lung
// chain (8 synthetic scans) with two seeded predictors scored by the real evaluator, a slice
// sampler and a training history — the second with another window fraction, a weaker model and fewer epochs — and a sweep
// of two replicates; then the
// browser serving that runs directory on a free loopback port. Beside them: a record cut off
// mid-write (corrupt JSON) and a record directory without record.json (a run in progress).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from '../../engine/session.js';
import { serve, type Serving } from '../../ui/server/listen.js';
import { runFile, tempDir, writeGraph } from '../helpers/engine.js';
import { uiRegistry } from './kinds.js';

const graph = (name: string, fraction: number, weak: number, epochs: number, extra = '') => `name: ${name}
seed: 5
nodes:
  scans:  { kind: synthetic-ct, params: { scans: 8, slices: [12, 16], size: 64 } }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, params: { t: -400 }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: ${fraction} } }
  good:   { kind: toy-scan-predictions, in: { windows: window }, params: { model: good, skill: 0.7 } }
  weak:   { kind: toy-scan-predictions, in: { windows: window }, params: { model: weak, skill: ${weak} } }
  sample: { kind: toy-sampler, in: { windows: window }, params: { draws: 3, length: 3 } }
  hist:   { kind: toy-history, params: { epochs: ${epochs} } }
  evaluate: { kind: evaluator, in: { predictions: [good, weak] }, params: { splits: [train, validation, test], meanK: [2] } }
${extra}`;

export interface UiFixture { runsDir: string; dir: string; session: Session; runs: string[]; sweepRuns: string[]; sweepId: string; graphFile: string; corrupt: string; incomplete: string }

export const CORRUPT = 'ui-base-20200101T000000-dead', INCOMPLETE = 'ui-base-20200101T000001-beef';

let fixture: Promise<UiFixture> | undefined;

export function uiFixture(): Promise<UiFixture> {
  fixture ??= (async () => {
    const dir = tempDir('ctflow-ui-');
    const runsDir = join(dir, 'runs');
    const session = new Session({ runsDir, registry: uiRegistry });
    const graphFile = writeGraph(dir, 'base.yaml', graph('ui-base', 0.5, 0.3, 6));
    const a = await runFile(session, graphFile);
    const b = await runFile(session, writeGraph(dir, 'narrow.yaml', graph('ui-narrow', 0.3, 0.1, 4)));
    const sweepFile = writeGraph(dir, 'reps.yaml', graph('ui-reps', 0.5, 0.3, 6, 'replicates: 2\n'));
    const { variants } = session.loadSweep(sweepFile);
    const sweep = await session.runSweep(variants, sweepFile);
    const text = JSON.stringify(a.record);
    mkdirSync(join(runsDir, 'records', CORRUPT));
    writeFileSync(join(runsDir, 'records', CORRUPT, 'record.json'), text.slice(0, text.length >> 1));
    mkdirSync(join(runsDir, 'records', INCOMPLETE));
    writeFileSync(join(runsDir, 'records', INCOMPLETE, 'graph.json'), '{}');
    return { runsDir, dir, session, runs: [a.record.id, b.record.id], sweepRuns: sweep.runs.map((r) => r.id), sweepId: sweep.id, graphFile, corrupt: CORRUPT, incomplete: INCOMPLETE };
  })();
  return fixture;
}

/** A server over `runsDir` on a free loopback port (close it after the test). */
export function serveRuns(runsDir: string, extra: { host?: string; token?: string } = {}): Promise<Serving> {
  return serve({ runsDir, registry: uiRegistry, host: extra.host ?? '127.0.0.1', port: 0, token: extra.token });
}
