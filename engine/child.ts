// Run a barrier node in a child process (model nodes, so that a sweep can train variants side by
// side): the child reads the inputs' cache files, writes its outputs into the entry's temporary
// directory and reports progress, logs and notes; the parent commits the entry.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PortManifest } from './arrow-io.js';
import { CorruptEntry, NodeFailure } from './errors.js';
import type { NodeEvents } from './node-context.js';
import type { PartFile } from './partition-reader.js';
import type { NodeStats } from './stream-group.js';

/** One input port's stored output; a partitioned node's is the output file of each of its scans (`parts`). */
export type ChildInput = { node: string; key: string } & ({ path: string; manifest: PortManifest; parts?: undefined } | { parts: PartFile[] });

export interface ChildJob {
  module: string;
  kind: string;
  id: string;
  key: string;
  /** Seeds the node's random generators (engine/plan.ts). */
  seedKey: string;
  params: Record<string, unknown>;
  seed: number;
  backend: string;
  /** Cores it may use (ctx.threads). */
  threads: number;
  scratch: string;
  checkpoints: string;
  artifacts: string;
  inputs: Record<string, ChildInput>;
  outDir: string;
}

export type ChildMessage =
  | { type: 'log'; message: string }
  | { type: 'progress'; done: number; total: number; info?: string }
  | { type: 'note'; key: string; value: unknown }
  | { type: 'done'; outputs: Record<string, PortManifest>; stats: NodeStats }
  | { type: 'corrupt'; node: string; key: string; reason: string }
  | { type: 'error'; message: string; stack?: string };

const CHILD_MAIN = fileURLToPath(new URL('./child-main.js', import.meta.url));

export function runInChild(job: ChildJob, events: NodeEvents, notes: Record<string, unknown>, signal: AbortSignal): Promise<{ outputs: Record<string, PortManifest>; stats: NodeStats }> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_MAIN, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      child.kill('SIGTERM');
      settle(() => reject(new NodeFailure(job.id, new Error('aborted'))));
    };
    signal.addEventListener('abort', onAbort);
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'log') events.log(job.id, m.message);
      else if (m.type === 'progress') events.progress(job.id, m.done, m.total, m.info);
      else if (m.type === 'note') notes[m.key] = m.value;
      else if (m.type === 'done') settle(() => resolve({ outputs: m.outputs, stats: m.stats }));
      else if (m.type === 'corrupt') settle(() => reject(new CorruptEntry(m.key, m.node, m.reason)));
      else if (m.type === 'error') settle(() => reject(new NodeFailure(job.id, Object.assign(new Error(m.message), { stack: m.stack }))));
    });
    child.on('exit', (code, sig) => {
      const tail = stderr.trim().split('\n').slice(-10).join('\n');
      settle(() => reject(new NodeFailure(job.id, new Error(`its child process exited (${sig ?? `code ${code}`}) before finishing${tail ? `:\n${tail}` : ''}`))));
    });
    child.on('error', (e) => settle(() => reject(new NodeFailure(job.id, e))));
    child.send(job);
  });
}
