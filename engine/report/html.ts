// HTML assembly of a report: one self-contained page (inline CSS, SVG and PNG data URIs; nothing
// is fetched), a contents list, and one <section id> per part that has data.

export interface Section {
  id: string;
  title: string;
  html: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' } as Record<string, string>)[c]};`);
}

/** A table from a header row and body rows of HTML cells (escape text before passing it). */
export function table(header: string[], rows: string[][], className = ''): string {
  const head = `<tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

export function figure(content: string, caption: string): string {
  return `<figure>${content}<figcaption>${caption}</figcaption></figure>`;
}

export function page(title: string, lead: string, sections: Section[]): string {
  const toc = sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>${lead}<nav><ul>${toc}</ul></nav></header>
<main>
${sections.map((s) => `<section id="${s.id}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`).join('\n')}
</main>
</body>
</html>
`;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 16px 48px; color: #222; }
h1 { font-size: 22px; margin: 24px 0 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 8px 0; }
dt { color: #666; }
dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 10px; text-align: left; vertical-align: top; }
.best { font-weight: 700; }
.muted { color: #777; }
figure { margin: 12px 0; overflow-x: auto; }
figcaption { color: #555; font-size: 13px; margin-top: 4px; }
svg, img { max-width: 100%; height: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.status-ran { color: #1d5fa8; } .status-cached { color: #2b7a3d; } .status-failed, .status-skipped { color: #b3261e; }
code { font-size: 13px; }
`;
