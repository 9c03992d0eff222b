// The page shell of the run browser: navigation, the stylesheet and the client scripts
// (dist/ui/assets, bundled at build time: nothing is fetched from outside the server); the chart
// script only where the page has a chart.
import { escapeHtml } from '../../engine/report/html.js';
import { assetUrl } from './assets.js';

export { escapeHtml };

/** A query string from name → value(s), empty values left out. */
export function query(params: Record<string, string | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && x !== '') q.append(k, x);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A Vega-Lite spec for the client to draw in place (as SVG). */
export function chart(spec: unknown, caption = ''): string {
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<figure class="chart"><div class="vl"><script type="application/json">${json}</script></div>${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
}

/** The page around `body`; `charts`: load the chart script (by default, when the body has a chart). */
export function layout(title: string, body: string, active = '', charts = body.includes('<div class="vl">')): string {
  const nav = [['/', 'Runs'], ['/graphs', 'Graphs']]
    .map(([href, label]) => `<a href="${href}"${label === active ? ' class="active"' : ''}>${label}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ctflow</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetUrl('app.css')}">
<script src="${assetUrl('app.js')}" defer></script>${charts ? `\n<script src="${assetUrl('charts.js')}" defer></script>` : ''}
</head>
<body>
<header><span class="brand">ctflow</span><nav>${nav}</nav></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}
