// The contract every node kind implements. One file per kind under nodes/, one exported
// definition made with defineNode(import.meta.url, {...}), listed explicitly in nodes/index.ts.
import type { RecordBatch } from 'apache-arrow';
import type { LazyExport } from './lazy.js';
import type { PortType } from './ports.js';

/** JSON Schema of one parameter (ajv, draft-07 subset); `default` is applied before hashing. */
export type ParamSchema = Record<string, unknown>;

/** Outputs of one step: port name → the batch for that port (omit a port to emit nothing). */
export type Outputs = Record<string, RecordBatch>;

/** Random-access reader over one cached input table: one batch per scan, checksum-verified. */
export interface TableReader {
  readonly numBatches: number;
  readonly numRows: number;
  /** Read batch i (verified against its checksum before it is returned). */
  batch(i: number): Promise<RecordBatch>;
  /** All batches in order, one at a time. */
  [Symbol.asyncIterator](): AsyncIterator<RecordBatch>;
}

export interface Progress {
  /** `done` of `total` units (scans, epochs) finished; `info` is a short status ("loss 0.41"). */
  (done: number, total: number, info?: string): void;
}

export interface NodeContext<P = Record<string, unknown>> {
  /** Node id in the graph. */
  readonly id: string;
  /** Params after defaults, validated against the kind's schema. */
  readonly params: P;
  /** The graph seed (only meaningful for kinds that declare `random: true`). */
  readonly seed: number;
  /** Deterministic uniform [0,1) generator seeded from the node's seed key (see rngFor). */
  readonly rng: () => number;
  /**
   * A generator seeded from the node's seed key (its key material without implementation hashes,
   * engine/plan.ts) and `label` (e.g. a scan id): independent of the order scans are processed in.
   */
  readonly rngFor: (label: string) => () => number;
  /** Directory private to this execution of the node (removed after a successful run). */
  readonly scratch: string;
  /**
   * Directory keyed by the node's cache key that survives a crash (per-epoch checkpoints): a
   * rerun of the same node finds what a killed run left there; removed once the entry is stored.
   */
  readonly checkpoints: string;
  /**
   * Directory for files a node writes for people (CSV exports, images): stored in the node's cache
   * entry with a checksum, listed in the run record. Created on first use by the node.
   */
  readonly artifacts: string;
  /** Model backend chosen for this node ('auto' unless the graph or CLI says otherwise). */
  readonly backend: string;
  /**
   * Cores this node may keep busy (a kind that declares `threads`: what the run's core budget gave
   * it, engine/slots.ts; any other kind: 1). Results must not depend on it: it is not in the key.
   */
  readonly threads: number;
  readonly log: (message: string) => void;
  readonly progress: Progress;
  /** Record a fact for the run record (e.g. scans skipped, the backend that ran). */
  readonly note: (key: string, value: unknown) => void;
  readonly signal: AbortSignal;
  /**
   * Whether this run writes the node's outputs to an entry (it is cached, or read outside its
   * group): every column of every batch is then read whole, so a source may build its columns as
   * it reads (dicom-series gathers a series' pixels chunk by chunk) rather than on first read.
   */
  readonly stored: boolean;
  /**
   * Set for a source whose output is cached per scan (its kind has `scans`): the ids of the scans
   * this run must produce, in order; it yields the batches of these scans only. Unset: every scan.
   */
  readonly scans?: readonly string[];
  /**
   * With `scans` of one scan: the files planning grouped into it (what its key was made from), so a
   * source that cannot find a scan's files from its id alone (dicom-series) reads exactly these.
   */
  readonly scanFiles?: readonly string[];
}

/** One scan of a partitioned source: its id (unique in the source) and the files it is read from. */
export interface ScanFiles { id: string; files: string[] }

/** The stat fields that say whether a file changed (a fs.Stats has them). */
export interface FileStatFields { size: number; mtimeMs: number; ctimeMs: number; ino: number }

/**
 * What planning lends a `scans` hook: a directory for plan-time memos (under the runs directory),
 * and the engine's rule for "this file is as it was" (engine/fingerprint.ts statSignature: size,
 * mtime, ctime, inode), so that what a hook remembers of a file is trusted exactly when the
 * engine's own fingerprint of it is.
 */
export interface ScanMemo {
  dir: string;
  /** A string equal for two stats of a file exactly when the engine counts the file unchanged. */
  signature(st: FileStatFields): string;
}

interface Common<P> {
  kind: string;
  /** Bump when outputs would change for the same inputs and params. Part of the cache key. */
  version: number;
  description: string;
  /** JSON Schema properties of the params object (additional properties are rejected). */
  params: Record<keyof P & string, ParamSchema>;
  /** Required params (all others must have a default, or be listed in `unsetByDefault`). */
  required?: (keyof P & string)[];
  /**
   * Params added after graphs were written whose unset value is the old behaviour: no default, so
   * unset they are absent from the params and a graph that does not set one keeps its key and its
   * seed (a default, even null, would enter both and move every seeded result).
   */
  unsetByDefault?: (keyof P & string)[];
  /** Params the conformance suite runs the kind with (must be valid). */
  example: Partial<P>;
  outputs: Record<string, PortType>;
  /** True when the outputs depend on the seed; only then is the seed part of the key. */
  random?: boolean;
  /** Loads heavy modules (TensorFlow.js); such kinds import them lazily inside run. */
  heavy?: boolean;
  /**
   * A heavy barrier that computes on several threads (ctx.threads) with results that do not depend
   * on how many: it takes up to the run's --threads cores of the core budget while it runs (a
   * function: up to as many as it returns for the node's params, at least one).
   */
  threads?: boolean | ((params: P) => number);
  /** Files whose content determines the output (fingerprinted into the key). */
  inputFiles?: (params: P) => Promise<string[]>;
  /**
   * Ports declared per node in its params (a command node's `inputs:`/`outputs:`): called once
   * the params are valid; the node then has these ports instead of the kind's own.
   */
  ports?: (params: P) => { inputs: Record<string, PortType>; outputs: Record<string, PortType> };
  /**
   * The program a node of this kind runs, as a command line for messages: such a node runs only
   * in a session that allows commands (--allow-commands).
   */
  program?: (params: P) => string;
  /**
   * Rules across params that JSON Schema cannot state (a [min, max] pair in order): called by
   * validation once the params are valid; a problem names the param, what is wrong and the fix.
   */
  check?: (params: P) => { param: keyof P & string; message: string; hint: string } | undefined;
  /** What this kind adds to run reports (engine/report); its code is loaded only for a report. */
  report?: ReportPart;
}

/**
 * A kind's part in run reports. Sections are found by the kinds present in the run, and figures
 * drawn along a chain of nodes follow the graph's edges, so a renamed kind keeps its figures.
 */
export interface ReportPart {
  /**
   * Sections drawn when the run has a node of this kind, after the engine's own: each a function
   * `(data: RunData) => Promise<Section | undefined>` (engine/report), undefined when the run has
   * no data for it. A section declared by several kinds is drawn once.
   */
  sections?: readonly LazyExport[];
  /**
   * This kind's panels in a figure drawn along a chain of nodes (engine/report/chain.ts):
   * `through` is the input the chain continues through, upstream; `draw` is the function the
   * figure's section calls for a node of this kind (its signature is the figure's own).
   */
  panel?: { readonly through: string; readonly draw: LazyExport };
}

/** Produces batches from outside data; pulled lazily, one scan at a time. */
export interface SourceDef<P> extends Common<P> {
  mode: 'source';
  inputs?: undefined;
  /**
   * Groups the source's input files into scans at plan time (no data read): each scan's output is
   * then cached on its own (engine/partitions.ts), and run() honours ctx.scans. Replaces inputFiles.
   * `memo.dir` may hold what the hook learnt about files (dicom-series: each file's header summary,
   * by its fingerprint), so that planning stays cheap; the hook writes it crash-safe and tolerates
   * it damaged. May yield the scans one by one (image-folder: a folder listed, a scan), so that
   * planning holds the file paths of a few scans at once, not of the whole dataset.
   */
  scans?: (params: P, memo?: ScanMemo) => Promise<ScanFiles[]> | AsyncIterable<ScanFiles>;
  /**
   * Params that only choose which scans exist (a count of scans, the splits read): left out of
   * each scan's key, so changing them computes only the scans added (or none).
   */
  scanSetParams?: (keyof P & string)[];
  run: (ctx: NodeContext<P>) => AsyncIterable<Outputs>;
}

/** Batch in → batch out. All stream inputs are zipped batch by batch (same scan order). */
export interface StreamDef<P> extends Common<P> {
  mode: 'stream';
  inputs: Record<string, PortType>;
  run: (ctx: NodeContext<P>, batch: Outputs) => Outputs | Promise<Outputs>;
}

/** Needs its inputs whole: gets random-access readers over their cached Arrow files. */
export interface BarrierDef<P> extends Common<P> {
  mode: 'barrier';
  inputs: Record<string, PortType>;
  /** Ports that take a list of nodes (`in: { predictions: [cnn, lstm] }`): their reader gives the batches of all, in order. */
  variadic?: string[];
  run: (ctx: NodeContext<P>, inputs: Record<string, TableReader>) => AsyncIterable<Outputs>;
}

export type NodeDefInput<P> = SourceDef<P> | StreamDef<P> | BarrierDef<P>;

export type NodeDef<P = any> = NodeDefInput<P> & {
  /** URL of the module that defines the kind: its implementation hash starts there. */
  readonly module: string;
};

/** The definition one graph node runs with: its kind's, with the ports its params declare if the kind has per-node ports. */
export function nodeDef(def: NodeDef, params: Record<string, unknown>): NodeDef {
  return def.ports ? Object.freeze({ ...def, ...def.ports(params) }) as NodeDef : def;
}

/** Declare a node kind. `moduleUrl` is the defining file's import.meta.url. */
export function defineNode<P>(moduleUrl: string, def: NodeDefInput<P>): NodeDef<P> {
  return Object.freeze({ ...def, module: moduleUrl }) as NodeDef<P>;
}
