// The progress a live run's mark carries (engine/live-runs.ts), as the run browser reads it: node
// states seeded from the plan, changed by the execution's events, the rows a running node has
// written so far (the engine's count, followed once a second), written atomically at most once a
// second (a burst of events is one write, the last state wins), and gone when the run ends.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { LiveRun, liveRuns, type LiveMark } from '../../engine/live-runs.js';
import { tempDir } from '../helpers/engine.js';

const plan = {
  nodes: new Map<string, { runs: boolean; node: { kind: string; inputs: Record<string, { node: string }> } }>([
    ['scans', { runs: false, node: { kind: 'synthetic-ct', inputs: {} } }],
    ['crop', { runs: true, node: { kind: 'cropper', inputs: { slices: { node: 'scans' } } } }],
    ['train', { runs: true, node: { kind: 'cnn-trainer', inputs: { a: { node: 'crop' }, b: { node: 'crop' } } } }],
  ]),
};

describe('ctflow ui: the progress of a live run', () => {
  it('seeds states from the plan, follows the events, writes a burst once a second, and is removed at the end', async () => {
    const runsDir = tempDir('ctflow-ui-progress-');
    const id = 'g-20990101T000000-abcd';
    const live = new LiveRun(runsDir, id);
    const seen: string[] = [];
    const events = live.watch('g', plan, {
      started: (n: string, _rows?: Record<string, number>) => seen.push(`started ${n}`), finished: (n: string, ok: boolean, rows?: Record<string, number>) => seen.push(`finished ${n} ${ok} ${JSON.stringify(rows)}`),
      progress: (n: string, d: number, t: number, info?: string) => seen.push(`progress ${n} ${d}/${t} ${info}`), log: () => {},
    });
    const mark = () => JSON.parse(readFileSync(join(runsDir, 'active', `${id}.json`), 'utf8')) as LiveMark;
    expect(mark().progress!.nodes).to.deep.equal({
      scans: { kind: 'synthetic-ct', in: [], state: 'cached' },
      crop: { kind: 'cropper', in: ['scans'], state: 'pending' },
      train: { kind: 'cnn-trainer', in: ['crop'], state: 'pending' },
    });
    events.started('crop');
    for (let i = 1; i <= 50; i++) events.progress('crop', i, 50, `scan ${i}`);
    events.finished('crop', true, { slices: 640 });
    const written: Record<string, number> = {}; // the engine's own count, grown as the node writes
    events.started('train', written);
    expect(seen).to.have.length(53); // the events still reach the run's own handlers
    expect(mark().progress!.nodes.crop.state).to.equal('pending'); // written within the second before: not yet
    await sleep(1300);
    const after = mark().progress!.nodes;
    expect(after.crop).to.deep.include({ state: 'ran', done: 50, total: 50, info: 'scan 50', rows: { slices: 640 } });
    expect(after.train.state).to.equal('running');
    written.history = 3;
    await sleep(2300); // looked at once a second, written at most once a second
    expect(mark().progress!.nodes.train).to.deep.include({ state: 'running', rows: { history: 3 } });
    expect(liveRuns(runsDir).map((m) => m.run)).to.deep.equal([id]);
    events.finished('train', false);
    live.end();
    await sleep(1100); // a write pending at the end is dropped, not left behind
    expect(liveRuns(runsDir)).to.deep.equal([]);
  });
});
