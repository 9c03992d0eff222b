// Figures drawn along a chain of nodes (the Fig. 1 panels): from an output, upstream through the
// input each kind's `report.panel` names, for as long as the producing kind declares one. The
// chain is the graph's own edges, so it holds whatever the kinds are called.
import type { LazyExport } from '../lazy.js';
import type { PortRef, RunData } from './run-data.js';

export interface ChainStep {
  node: string;
  params: Record<string, unknown>;
  /** The kind's drawing function (see its `report.panel`). */
  draw: LazyExport;
}

export interface Chain {
  /** The output the chain starts from: made by a node whose kind draws no panel. */
  source: PortRef;
  /** The nodes that draw, from the source downstream. */
  steps: ChainStep[];
}

/** The chain that ends in the output `end` (undefined when an input on the way is not connected). */
export function panelChain(data: RunData, end: PortRef): Chain | undefined {
  const steps: ChainStep[] = [];
  let ref = end;
  for (;;) {
    const panel = data.def(ref.node)?.report?.panel;
    if (!panel) return { source: ref, steps };
    steps.unshift({ node: ref.node, params: data.params(ref.node), draw: panel.draw });
    const up = data.input(ref.node, panel.through);
    if (!up) return undefined;
    ref = up;
  }
}
