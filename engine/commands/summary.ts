import { seconds } from './common.js';
import type { RunOutcome } from '../session.js';

/** One line per node (status, time, rows, why it ran) and a total. */
export function formatRunSummary(out: RunOutcome, ms: number): string {
  const lines: string[] = [];
  const nodes = Object.entries(out.record.nodes);
  const w = Math.max(6, ...nodes.map(([id]) => id.length));
  for (const [id, n] of nodes) {
    const rows = n.rows ? Object.entries(n.rows).map(([p, r]) => `${r} ${p}`).join(', ') : '';
    const time = n.ms !== undefined ? seconds(n.ms) : '';
    const why = n.status === 'ran' || n.status === 'failed' ? `  (${n.reason})` : '';
    lines.push(`${n.status.padEnd(10)} ${id.padEnd(w)} ${time.padStart(8)}  ${rows}${why}`);
  }
  const count = (s: string) => nodes.filter(([, n]) => n.status === s).length;
  lines.push(`${out.record.status === 'ok' ? 'done' : 'FAILED'}: ${count('ran')} ran, ${count('cached')} cached${count('failed') ? `, ${count('failed')} failed` : ''}${count('skipped') ? `, ${count('skipped')} skipped` : ''} in ${seconds(ms)}; record ${out.recordDir}`);
  return lines.join('\n');
}
