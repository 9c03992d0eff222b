// Sweeps: each recorded sweep with its variants' runs, linked to Compare and Scans of those runs.
import type { UiContext } from '../server/context.js';
import { escapeHtml, layout, query } from '../server/layout.js';

export function sweepsPage(ctx: UiContext): string {
  const sweeps = ctx.index.sweeps();
  const rows = sweeps.map((s) => {
    if (s.problem) return `<tr><td>${escapeHtml(s.id)}</td><td colspan="4" class="status-corrupt">corrupt: ${escapeHtml(s.problem)}</td></tr>`;
    const runs = s.runs.slice(0, 50);
    return `<tr><td>${escapeHtml(s.id)}</td><td>${escapeHtml(s.file)}</td><td>${escapeHtml(s.started)}</td><td class="num">${s.runs.length}</td>`
      + `<td><a href="/compare${query({ run: runs })}">compare</a> · <a href="/scans${query({ run: runs })}">scans</a></td></tr>`;
  }).join('\n');
  const body = sweeps.length
    ? `<table><thead><tr><th>sweep</th><th>file</th><th>started</th><th>runs</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p class="muted">No sweeps recorded yet (<code>ctflow sweep GRAPH</code>).</p>';
  return layout('Sweeps', body, 'Sweeps');
}
