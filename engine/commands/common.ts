// What the commands share: common options, opening a session, loading a graph or failing with
// every problem listed.
import { statSync } from 'node:fs';
import { GraphError, UsageError } from '../errors.js';
import { Session } from '../session.js';
import { hasSweep } from '../sweep.js';
import type { Graph } from '../validate.js';

export interface Option { type: 'string' | 'boolean'; multiple?: boolean; short?: string; arg?: string; help: string }

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: Record<string, Option>;
  run(opts: Record<string, unknown>, args: string[]): Promise<number>;
}

export const runsOption: Record<string, Option> = {
  runs: { type: 'string', arg: 'DIR', help: 'runs directory holding the cache and run records (default: $CTFLOW_RUNS or ./runs)' },
};

export const graphOptions: Record<string, Option> = {
  ...runsOption,
  set: { type: 'string', multiple: true, arg: 'PATH=VALUE', help: 'override a value, e.g. --set median.params.size=5 (repeatable)' },
  'allow-commands': { type: 'boolean', help: 'let command nodes run the programs the graph names (run, sweep)' },
};

/** The runs directory: --runs, else $CTFLOW_RUNS, else ./runs; an empty value or a file is refused. */
export function runsDir(opts: Record<string, unknown>): string {
  const given = opts.runs as string | undefined;
  const env = process.env.CTFLOW_RUNS;
  if (given === '') throw new UsageError('--runs is empty: give the runs directory, e.g. --runs runs');
  if (given === undefined && env === '') throw new UsageError('CTFLOW_RUNS is set but empty: set it to the runs directory, or unset it to use ./runs');
  const dir = given ?? env ?? 'runs';
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError(`the runs directory ${dir} is a file, not a directory; choose another with --runs DIR`);
  return dir;
}

export async function openSession(opts: Record<string, unknown>, extra: Partial<ConstructorParameters<typeof Session>[0]> = {}): Promise<Session> {
  const { registry } = await import('../../nodes/index.js');
  return new Session({ runsDir: runsDir(opts), registry, allowCommands: Boolean(opts['allow-commands']), ...extra });
}

/**
 * An integer option: `fallback` when it is absent, else a whole number ≥ `min`, or a UsageError
 * naming the option, the rule and what was given.
 */
export function integerOption(opts: Record<string, unknown>, name: string, min: number): number | undefined;
export function integerOption(opts: Record<string, unknown>, name: string, min: number, fallback: number): number;
export function integerOption(opts: Record<string, unknown>, name: string, min: number, fallback?: number): number | undefined {
  const raw = opts[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= min) return n;
  throw new UsageError(`--${name} must be ${min === 1 ? 'a positive integer' : `an integer ≥ ${min}`}, got "${String(raw)}"`);
}

export function oneFile(args: string[], what = 'GRAPH.yaml'): string {
  if (args.length !== 1) throw new UsageError(`expected one ${what}, got ${args.length ? args.join(' ') : 'none'}`);
  return args[0];
}

export function loadOrThrow(session: Session, file: string, sets: unknown, allowSweep = false): Graph {
  const { graph, issues } = session.load(file, (sets as string[] | undefined) ?? []);
  if (!graph) throw new GraphError(issues);
  if (!allowSweep && hasSweep(graph.source)) {
    const sweep = session.loadSweep(file, (sets as string[] | undefined) ?? []);
    if (!sweep.variants.length) throw new GraphError(sweep.issues);
    throw new UsageError(`${file} has a sweep: block or replicates; run it with  ctflow sweep ${file}`);
  }
  return graph;
}

/** The command that repeats this invocation (how to resume after a failure). */
export function resumeCommand(file: string, opts: Record<string, unknown>): string {
  const parts = ['ctflow', 'run', file];
  for (const s of (opts.set as string[] | undefined) ?? []) parts.push('--set', quote(s));
  if (opts.runs) parts.push('--runs', quote(String(opts.runs)));
  if (opts['allow-commands']) parts.push('--allow-commands');
  if (opts.executor) parts.push('--executor', quote(String(opts.executor)));
  if (opts.redis) parts.push('--redis', quote(String(opts.redis)));
  for (const k of ['partition', 'account']) if (opts[k]) parts.push(`--${k}`, quote(String(opts[k])));
  for (const o of (opts['slurm-opt'] as string[] | undefined) ?? []) parts.push('--slurm-opt', quote(o));
  return parts.join(' ');
}

function quote(s: string): string {
  return /^[\w./=:,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
