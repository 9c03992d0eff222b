import { applyGc, parseSize, planGc } from '../gc.js';
import { Store } from '../store.js';
import { UsageError } from '../errors.js';
import { integerOption, runsDir, runsOption, type Command } from './common.js';

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

export const gcCommand: Command = {
  name: 'gc',
  usage: '[--max-size SIZE] [--keep-last N] [--dry-run]',
  summary: 'remove cache entries that no kept run references (and, with a budget, the oldest runs)',
  options: {
    ...runsOption,
    'max-size': { type: 'string', arg: 'SIZE', help: 'forget the oldest runs until the cache fits, e.g. 20G' },
    'keep-last': { type: 'string', arg: 'N', help: 'keep only the last N runs of each graph' },
    'dry-run': { type: 'boolean', help: 'say what would be removed; remove nothing' },
  },
  async run(opts) {
    const dir = runsDir(opts);
    const store = new Store(dir);
    let maxBytes: number | undefined;
    try {
      maxBytes = opts['max-size'] ? parseSize(String(opts['max-size'])) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const keepLast = integerOption(opts, 'keep-last', 0);
    const plan = planGc(store, dir, { maxBytes, keepLast });
    const verb = opts['dry-run'] ? 'would remove' : 'removed';
    if (!opts['dry-run']) await applyGc(store, dir, plan);
    const live = plan.live ? ` (${plan.live} run${plan.live === 1 ? '' : 's'} in progress: what ${plan.live === 1 ? 'it holds' : 'they hold'} is kept)` : '';
    console.log(`${verb} ${plan.remove.length} cache entries (${mb(plan.freedBytes)}), ${plan.forgetRuns.length} run records, ${plan.tmp.length} leftover temporary directories; ${mb(plan.keptBytes)} kept${live}`);
    return 0;
  },
};
