// The files a Slurm job and its coordinator share, in the shared runs directory:
// <runs>/slurm/<run tag>/<key>.job.json (what to run), .progress.jsonl (appended by the job,
// tailed by the coordinator), .result.json (written once, atomically, by the job) and
// <node>-<jobid>.log (Slurm's output file). The run tag names one coordinator, so two runs
// never read each other's files; a job's files go when it succeeds, a failed job's log stays.
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { JobResult, NodeJob } from '../jobs.js';

/** What `ctflow job` reads: the node job and where to report. Paths are relative to the runs directory. */
export interface SlurmJobFile {
  format: 1;
  job: NodeJob;
  result: string;
  progress: string;
  allowCommands: boolean;
}

export interface JobPaths { dir: string; job: string; result: string; progress: string; log(node: string): string }

export function jobPaths(runsDir: string, tag: string, key: string): JobPaths {
  const dir = join(resolve(runsDir), 'slurm', tag);
  const base = join(dir, key);
  return { dir, job: `${base}.job.json`, result: `${base}.result.json`, progress: `${base}.progress.jsonl`, log: (node) => join(dir, `${fileSafe(node)}-%j.log`) };
}

/** A node id as one file-name component (a sweep's ids hold "/"; Slurm reads "%" in names). */
export function fileSafe(id: string): string {
  return id.replace(/[^\w.=,-]/g, '_');
}

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeJobFile(runsDir: string, paths: JobPaths, job: NodeJob, allowCommands: boolean): void {
  mkdirSync(paths.dir, { recursive: true });
  const file: SlurmJobFile = { format: 1, job, result: relative(runsDir, paths.result), progress: relative(runsDir, paths.progress), allowCommands };
  writeAtomic(paths.job, JSON.stringify(file));
}

/** Read a job file, refusing one outside <runs>/slurm or one that names files outside it. */
export function readJobFile(runsDir: string, file: string): { spec: SlurmJobFile; result: string; progress: string } {
  const root = resolve(runsDir, 'slurm') + sep;
  const inside = (p: string, what: string) => {
    const abs = resolve(runsDir, p);
    if (!abs.startsWith(root)) throw new Error(`${what} ${abs} is not under ${root}: a job file names only files of its runs directory`);
    return abs;
  };
  inside(file, 'the job file');
  let spec: SlurmJobFile;
  try {
    spec = JSON.parse(readFileSync(file, 'utf8')) as SlurmJobFile;
  } catch (e) {
    throw new Error(`cannot read the job file ${file}: ${(e as Error).message}`);
  }
  if (spec?.format !== 1 || !spec.job?.nodes?.length) throw new Error(`${file} is not a ctflow Slurm job file (format 1)`);
  return { spec, result: inside(spec.result, 'the result file'), progress: inside(spec.progress, 'the progress file') };
}

export function readResult(file: string): JobResult | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JobResult;
  } catch {
    return undefined;
  }
}

export function appendProgress(file: string, line: unknown): void {
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** Reads the lines appended to a file since the last call. */
export class Tail {
  private offset = 0;
  private partial = '';

  constructor(readonly file: string) {}

  lines(): string[] {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return [];
    }
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const text = this.partial + buf.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    return lines.filter(Boolean);
  }
}

/** The last `n` lines of a job's log, or why there are none. */
export function logTail(file: string, n = 20): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n') || '(the log is empty)';
  } catch {
    return `(no log at ${file})`;
  }
}

export function removeJobFiles(paths: JobPaths, log?: string): void {
  for (const f of [paths.job, paths.result, paths.progress, ...(log ? [log] : [])]) rmSync(f, { force: true });
}
