// The command line as a user runs it: bin/ctflow.cjs in a fresh Node process (CI=true, so nothing
// that CI must run can skip; `env` adds or overrides variables).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('bin/ctflow.cjs');

export function ctflow(args: string[], cwd: string, env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
