// Charts of the run browser (/assets/charts.js, bundled with Vega and Vega-Lite; loaded by pages
// that carry a chart): draws each Vega-Lite spec the server put in the page as SVG, then marks
// the body data-charts="drawn" (or "failed", with the reason on the console).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

async function drawCharts(): Promise<void> {
  for (const holder of document.querySelectorAll<HTMLElement>('.vl')) {
    const spec = JSON.parse(holder.querySelector('script')!.textContent!) as TopLevelSpec;
    const view = new View(parse(compile(spec).spec), { renderer: 'svg', container: holder, hover: true });
    await view.runAsync();
    holder.dataset.drawn = 'true';
  }
  document.body.dataset.charts = 'drawn';
}

drawCharts().catch((e: Error) => {
  document.body.dataset.charts = 'failed';
  console.error(`chart: ${e.message}`);
});
