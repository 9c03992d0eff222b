// Vega-Lite specs compiled to SVG in Node (no browser, no canvas): the report inlines the SVG.
// Vega is loaded on the first chart, so a report without charts does not pay for it.
import type { TopLevelSpec } from 'vega-lite';

/** The SVG of a Vega-Lite spec, without namespace attributes (it is inlined in HTML). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}
