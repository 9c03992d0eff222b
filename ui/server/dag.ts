// DAG figures for pages other than a run's report: the report's drawing of a record's nodes
// (engine/report/sections/dag.ts), each box given attributes a page chooses (data-live, data-diff:
// coloured by the stylesheet) and its status line marked data-field="dag:ID", so a polling page
// can rewrite it. Cache hits show the time of the run that computed them as far as the run index
// has read the records.
import type { ResolvedGraph } from '../../engine/report/run-data.js';
import { dagSection } from '../../engine/report/sections/dag.js';
import type { RunRecord } from '../../engine/runs.js';
import type { UiContext } from './context.js';
import { escapeHtml } from './layout.js';
import { indexedRunData } from './run-data.js';

export interface DagMarks {
  /** Attributes of a node's box. */
  attrs?(node: string): Record<string, string>;
  /** Its status line, instead of the record's status. */
  label?(node: string): string;
}

export async function dagFigure(ctx: UiContext, record: RunRecord, graph: ResolvedGraph, marks: DagMarks = {}): Promise<string> {
  const html = (await dagSection(indexedRunData(ctx, record, graph))).html;
  const byEscaped = new Map(Object.keys(record.nodes).map((id) => [escapeHtml(id), id]));
  const svg = (html.match(/<svg class="dag"[\s\S]*?<\/svg>/)?.[0] ?? '')
    .replace(/(<g class="dag-node" data-node="([^"]*)"[\s\S]*?)<text ([^>]*)>([^<]*)<\/text><\/g>/g, (_, head: string, id: string, attrs: string, text: string) => {
      const node = byEscaped.get(id) ?? id;
      const extra = Object.entries(marks.attrs?.(node) ?? {}).map(([k, v]) => ` ${k}="${escapeHtml(v)}"`).join('');
      const label = marks.label ? escapeHtml(marks.label(node)) : text;
      return `${head.replace(/^<g class="dag-node" data-node="[^"]*"/, (g) => g + extra)}<text ${attrs} data-field="dag:${id}">${label}</text></g>`;
    });
  return `<figure>${svg}</figure>`;
}
