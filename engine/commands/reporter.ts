// Run progress for people and machines: a live line with ETA on a terminal, plain lines in CI
// or pipes (at most one per node every few seconds), JSON lines with --json, nothing with --quiet.
import type { NodeEvents } from '../node-context.js';

export type Events = NodeEvents & { started(node: string): void; finished(node: string, ok: boolean): void };

export function reporter(mode: 'tty' | 'plain' | 'json' | 'quiet'): Events {
  const began = new Map<string, number>();
  const lastLine = new Map<string, number>();
  const emit = (obj: Record<string, unknown>, text: string) => {
    if (mode === 'quiet') return;
    if (mode === 'json') console.log(JSON.stringify({ t: new Date().toISOString(), ...obj }));
    else {
      if (mode === 'tty') process.stderr.write('\r\x1b[K');
      console.error(text);
    }
  };
  return {
    started(node) {
      began.set(node, Date.now());
      emit({ event: 'started', node }, `▶ ${node}`);
    },
    finished(node, ok) {
      const s = ((Date.now() - (began.get(node) ?? Date.now())) / 1000).toFixed(1);
      emit({ event: 'finished', node, ok }, `${ok ? '✓' : '✗'} ${node} (${s} s)`);
    },
    log(node, message) {
      emit({ event: 'log', node, message }, `  ${node}: ${message}`);
    },
    progress(node, done, total, info) {
      const elapsed = (Date.now() - (began.get(node) ?? Date.now())) / 1000;
      const eta = done > 0 && total > done ? ` ETA ${Math.round((elapsed / done) * (total - done))} s` : '';
      const text = `  ${node} ${bar(done, total)} ${done}/${total}${eta}${info ? '  ' + info : ''}`;
      if (mode === 'tty') {
        process.stderr.write('\r\x1b[K' + text.slice(0, (process.stderr.columns ?? 100) - 1));
        return;
      }
      const now = Date.now();
      if (mode === 'plain' && done < total && now - (lastLine.get(node) ?? 0) < 5000) return;
      lastLine.set(node, now);
      emit({ event: 'progress', node, done, total, info }, text);
    },
  };
}

function bar(done: number, total: number): string {
  const w = 20;
  const f = total > 0 ? Math.min(w, Math.round((done / total) * w)) : 0;
  return `[${'#'.repeat(f)}${'.'.repeat(w - f)}]`;
}

export function reporterMode(opts: Record<string, unknown>): 'tty' | 'plain' | 'json' | 'quiet' {
  if (opts.quiet) return 'quiet';
  if (opts.json) return 'json';
  return process.stderr.isTTY && !process.env.CI ? 'tty' : 'plain';
}
