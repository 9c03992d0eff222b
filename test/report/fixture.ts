// Runs shared by the report tests: a tiny lung-area chain on synthetic CT beside test-only model
// outputs (two training histories, two predictors scored by the real evaluator), and the same
// chain alone (no model sections).
import { join } from 'node:path';
import { Session } from '../../engine/session.js';
import { runFile, tempDir, writeGraph } from '../helpers/engine.js';
import { reportRegistry } from './kinds.js';

export const LUNG = `  scans:  { kind: synthetic-ct, params: { scans: 4, slices: [12, 16], size: 64 } }
  crop:   { kind: cropper, in: { slices: scans } }
  median: { kind: median-filter, in: { slices: crop.slices }, params: { size: 3 }, cache: false }
  mask:   { kind: threshold, in: { slices: median }, params: { t: -400 }, cache: false }
  lung:   { kind: binary-dilation, in: { masks: mask } }
  window: { kind: area-window, in: { areas: lung.areas }, params: { fraction: 0.5 } }
`;

export const HISTORIES = `  hist-a: { kind: toy-history, params: { epochs: 6 } }
  hist-b: { kind: toy-history, params: { epochs: 4 } }
`;

export const PREDICTIONS = `  good:   { kind: toy-predictions, params: { model: good, skill: 0.8 } }
  weak:   { kind: toy-predictions, params: { model: weak, skill: 0.2 } }
  evaluate: { kind: evaluator, in: { predictions: [good, weak] }, params: { splits: [validation], meanK: [2] } }
`;

export interface Fixture { runsDir: string; dir: string; session: Session; full: Awaited<ReturnType<typeof runFile>>; lungOnly: Awaited<ReturnType<typeof runFile>> }

let fixture: Promise<Fixture> | undefined;

/** Both runs, made once per test process. */
export function reportFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = tempDir('ctflow-report-');
    const runsDir = join(dir, 'runs');
    const session = new Session({ runsDir, registry: reportRegistry });
    const full = await runFile(session, writeGraph(dir, 'full.yaml', `name: full\nseed: 3\nnodes:\n${LUNG}${HISTORIES}${PREDICTIONS}`));
    const lungOnly = await runFile(session, writeGraph(dir, 'lung.yaml', `name: lung\nseed: 3\nnodes:\n${LUNG}`));
    return { runsDir, dir, session, full, lungOnly };
  })();
  return fixture;
}
