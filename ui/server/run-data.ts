// A run's data as the pages read it (engine/report/run-data.ts: its record, graph and cache
// entries), with the time a cache hit took when it was computed taken from the run index, not by
// reading every record per page as the report's own does.
import { RunData } from '../../engine/report/run-data.js';
import type { RunRecord } from '../../engine/runs.js';
import type { UiContext } from './context.js';

/** A run's data for the pages, with cache-hit times from the run index (RunData's own reads every record). */
class IndexedRunData extends RunData {
  constructor(private readonly ctx: UiContext, record: RunRecord, graph: RunData['graph']) {
    super(ctx.runsDir, record, graph, ctx.store, ctx.registry);
  }

  override computedMs(key: string): number | undefined {
    return this.ctx.index.computedMs(key);
  }
}

/** A record's data over `graph` (the graph as it ran, or as planned now). */
export function indexedRunData(ctx: UiContext, record: RunRecord, graph: RunData['graph']): RunData {
  return new IndexedRunData(ctx, record, graph);
}

/** The run's data (record, graph.json, its cache entries); throws when its graph.json is missing. */
export function loadRunData(ctx: UiContext, record: RunRecord): RunData {
  return indexedRunData(ctx, record, RunData.load(ctx.runsDir, record, ctx.store, ctx.registry).graph);
}

/** The run's data, or undefined when its graph.json cannot be read (the page says so in place). */
export function runData(ctx: UiContext, record: RunRecord): RunData | undefined {
  try {
    return loadRunData(ctx, record);
  } catch {
    return undefined;
  }
}
