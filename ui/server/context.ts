// What every page reads from: the runs directory, its run index, the store and the registry of
// node kinds (port types tell the pages which outputs hold predictions, areas, windows, slices).
import type { Registry } from '../../engine/registry.js';
import { Store } from '../../engine/store.js';
import { RunIndex } from './run-index.js';

export class UiContext {
  readonly index: RunIndex;
  readonly store: Store;

  constructor(readonly runsDir: string, readonly registry: Registry) {
    this.index = new RunIndex(runsDir);
    this.store = new Store(runsDir);
  }
}

/** A request the server refuses: status and a sentence saying why. */
export class Refused extends Error {
  constructor(readonly status: 400 | 403 | 404, message: string) {
    super(message);
  }
}
