// Run one program to its end: stdout and stderr lines go to the node's log, the last lines of
// stderr are kept for the error of a failed run, and aborting the node kills the program.
import { spawn } from 'node:child_process';

export const STDERR_TAIL = 20;

export interface ProgramRun {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Resolves when the program exits with 0; otherwise rejects naming the exit code or signal, with stderr's tail. */
export async function runProgram(run: ProgramRun): Promise<void> {
  run.signal.throwIfAborted();
  const { createInterface } = await import('node:readline'); // loaded when a program runs, not with every kind
  const [file, ...args] = run.argv;
  const child = spawn(file, args, { cwd: run.cwd, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const kill = () => child.kill('SIGTERM');
  run.signal.addEventListener('abort', kill, { once: true });
  createInterface({ input: child.stdout }).on('line', (line) => run.log(line));
  const stderr = createInterface({ input: child.stderr });
  stderr.on('line', (line) => {
    run.log(line);
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
  });
  const stderrDone = new Promise((resolve) => stderr.once('close', resolve));
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(e.code === 'ENOENT' ? `cannot start "${file}": no such program (is it installed and on PATH?)` : `cannot start "${file}": ${e.message}`);
    });
    await stderrDone;
    run.signal.throwIfAborted();
    if (code === 0) return;
    const how = code !== null ? `exited with code ${code}` : `was killed by ${signal}`;
    const last = tail.length ? `; last lines of its stderr:\n${tail.map((l) => `  | ${l}`).join('\n')}` : ' (its stderr was empty)';
    throw new Error(`program ${describeArgv(run.argv)} ${how}${last}`);
  } finally {
    run.signal.removeEventListener('abort', kill);
  }
}

/** The command line, shortened for messages (an inline script can be long). */
export function describeArgv(argv: readonly string[]): string {
  const line = argv.join(' ');
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 117)}...` : line);
}
