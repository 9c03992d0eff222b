// Engine fixtures: a temporary runs directory, graph files written from strings, a session
// whose registry holds the shipped kinds plus the test-only kinds.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry } from '../../nodes/index.js';
import { Session, type SessionOptions } from '../../engine/session.js';
import { testKinds } from '../kinds/index.js';

export const testRegistry = registry.with(testKinds);

export function tempDir(prefix = 'ctflow-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeGraph(dir: string, name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

export function session(runsDir: string, extra: Partial<SessionOptions> = {}): Session {
  return new Session({ runsDir, registry: testRegistry, ...extra });
}

/** Load, validate (failing loudly) and run a graph file; returns the outcome. */
export async function runFile(s: Session, file: string, sets: string[] = []) {
  const { graph, issues } = s.load(file, sets);
  if (!graph) throw new Error(issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.message}`).join('\n'));
  return s.run(graph);
}

/** Node ids by status in a run outcome. */
export function byStatus(out: { record: { nodes: Record<string, { status: string }> } }, status: string): string[] {
  return Object.entries(out.record.nodes).filter(([, n]) => n.status === status).map(([id]) => id).sort();
}
