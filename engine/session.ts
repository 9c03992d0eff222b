// One engine session over a runs directory: load and validate a graph, plan it against the
// cache and the latest run, execute it (recomputing entries found corrupt), record the run.
import { join, resolve } from 'node:path';
import { GraphError, UsageError, type GraphIssue } from './errors.js';
import type { ExecuteOptions, ExecuteResult } from './execute.js';
import { FileFingerprints } from './fingerprint.js';
import { corruptLeaves } from './entry-check.js';
import { collectMetrics } from './metrics.js';
import { loadWithExtends } from './extends.js';
import { LiveRun } from './live-runs.js';
import { assertRunsContained } from './safe-fs.js';
import type { NodeEvents } from './node-context.js';
import { applySets } from './overrides.js';
import { planGraph, type Plan, type PlannedNode, type PriorNode } from './plan.js';
import type { Registry } from './registry.js';
import { latestRun, newRunId, provenance, readRecord, writeRecord, writeSweepRecord, type NodeRecord, type Provenance, type RunRecord } from './runs.js';
import { combine, expandSweep, type Variant } from './sweep.js';
import { ARTIFACTS, Store } from './store.js';
import { commandIssues, validateGraph, type Graph, type GraphNode } from './validate.js';

export interface SessionOptions {
  runsDir: string;
  registry: Registry;
  concurrency?: number;
  backend?: string;
  events?: Partial<ExecuteOptions['events']>;
  /** Run heavy (model) nodes in this process rather than in child processes. */
  inProcess?: boolean;
  /** At most this many model nodes in child processes at once. */
  maxChildren?: number;
  /** Cores the model nodes share (--threads; default: the number of CPU cores). */
  threads?: number;
  /** Run node jobs on other machines (engine/scale, `--executor bullmq`). */
  remote?: ExecuteOptions['remote'];
  /** Cache sources that group their files into scans, and the stream nodes they feed, per scan (default true; the Session API keeps `false` for the whole-node anchor of benches and tests). */
  perScan?: boolean;
  /** Run command nodes (programs named in the graph); without it such a graph is refused. */
  allowCommands?: boolean;
  /** Tests pin implementation hashes with this. */
  implHash?: (node: GraphNode) => string;
}

export interface RunOutcome {
  record: RunRecord;
  recordDir: string;
  plan: Plan;
  result: ExecuteResult;
}

const MAX_ATTEMPTS = 3;

export class Session {
  readonly store: Store;
  private readonly fingerprints: FileFingerprints;

  constructor(readonly opts: SessionOptions) {
    this.store = new Store(opts.runsDir);
    this.fingerprints = new FileFingerprints(join(opts.runsDir, 'fingerprints.json'));
  }

  load(file: string, sets: readonly string[] = []): { graph?: Graph; issues: GraphIssue[] } {
    const loaded = loadWithExtends(file);
    const setIssues = loaded.issues.length ? [] : applySets(loaded, sets, this.opts.registry);
    const { graph, issues } = validateGraph(loaded, this.opts.registry);
    return { graph: setIssues.length ? undefined : graph, issues: [...setIssues, ...issues] };
  }

  /** Load a graph file with a sweep: block and/or replicates, expanded into its variants. */
  loadSweep(file: string, sets: readonly string[] = []): { variants: Variant[]; issues: GraphIssue[] } {
    const loaded = loadWithExtends(file);
    if (loaded.issues.length) return { variants: [], issues: loaded.issues };
    const setIssues = applySets(loaded, sets, this.opts.registry);
    const base = validateGraph(loaded, this.opts.registry);
    if (!base.graph || setIssues.length) return { variants: [], issues: [...setIssues, ...base.issues] };
    const { variants, issues } = expandSweep(loaded, this.opts.registry);
    return { variants: setIssues.length || issues.length ? [] : variants, issues: [...setIssues, ...issues] };
  }

  /** Plan all variants as one graph (equal keys shared) with each variant's latest run as prior. */
  async planSweep(variants: Variant[], file: string): Promise<{ combined: Graph; plan: Plan; prior: Map<string, PriorNode> }> {
    const combined = combine(variants, file);
    const prior = new Map<string, PriorNode>();
    for (const v of variants) for (const [id, p] of this.prior(v.graph)) prior.set(`${v.name}/${id}`, p);
    return { combined, plan: await this.plan(combined, prior), prior };
  }

  /** Run every variant in one execution; one run record per variant, plus the sweep's record. */
  async runSweep(variants: Variant[], file: string): Promise<{ id: string; runs: RunRecord[]; executed: Executed }> {
    const started = new Date();
    const sweepId = newRunId(`sweep-${variants[0].graph.name.split('.')[0]}`, started);
    this.refuseCommands(combine(variants, file));
    assertRunsContained(this.opts.runsDir);
    const live = new LiveRun(this.opts.runsDir, sweepId);
    try {
      const { combined, prior } = await this.planSweep(variants, file);
      const executed = await this.execute(combined, prior, sweepId, live);
      const runs: RunRecord[] = [];
      for (const v of variants) {
        const record = await this.record(v.graph, executed, newRunId(v.name, started), started, (id) => `${v.name}/${id}`);
        record.sweep = { id: sweepId, variant: v.variant, seed: v.seed };
        writeRecord(this.opts.runsDir, record, resolved(v.graph));
        runs.push(record);
      }
      writeSweepRecord(this.opts.runsDir, { id: sweepId, file, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), runs: runs.map((r) => r.id) });
      return { id: sweepId, runs, executed };
    } finally {
      live.end(); // the records now hold what the sweep used
    }
  }

  /** Paths of the files a stored node wrote for people (CSV exports, images), from its manifest (its files were looked up when planned). */
  private artifactsOf(p: PlannedNode): string[] | undefined {
    if (!p.node.cache) return undefined;
    const found = this.store.manifest(p.key);
    const rels = found.hit ? Object.keys(found.manifest.artifacts ?? {}) : [];
    return rels.length ? rels.map((r) => join(this.store.entryDir(p.key), ARTIFACTS, r)) : undefined;
  }

  /** What the latest run of `graph` (or run `against`) recorded of each node. */
  prior(graph: Graph, against?: string): Map<string, PriorNode> {
    const before = against ? readRecord(this.opts.runsDir, against) : latestRun(this.opts.runsDir, graph.name);
    if (against && !before) throw new UsageError(`no run "${against}" in ${this.opts.runsDir}; list the recorded runs with  ctflow runs --runs ${this.opts.runsDir}`);
    return new Map(Object.entries(before?.nodes ?? {}).map(([id, n]) => [id, { key: n.key, material: n.material }]));
  }

  /** Plan against the cache; reasons compare with `against` (a run id) or the latest run. */
  async plan(graph: Graph, against?: string | Map<string, PriorNode>): Promise<Plan> {
    const prior = against instanceof Map ? against : this.prior(graph, against);
    const plan = await planGraph(graph, { store: this.store, fingerprints: this.fingerprints, prior, implHash: this.opts.implHash, perScan: this.opts.perScan ?? true });
    this.fingerprints.save();
    return plan;
  }

  async run(graph: Graph): Promise<RunOutcome> {
    this.startProvenance(); // git runs while the graph is planned and executed
    const started = new Date();
    const id = newRunId(graph.name, started);
    this.refuseCommands(graph);
    assertRunsContained(this.opts.runsDir);
    const live = new LiveRun(this.opts.runsDir, id);
    try {
      const done = await this.execute(graph, this.prior(graph), id, live);
      const record = await this.record(graph, done, id, started, (nid) => nid);
      const dir = writeRecord(this.opts.runsDir, record, resolved(graph));
      return { record, recordDir: dir, plan: done.plan, result: done.result };
    } finally {
      live.end(); // the record now holds what the run used
    }
  }

  /** Refuse a graph that runs programs unless the session allows commands (before anything is written). */
  private refuseCommands(graph: Graph): void {
    const refused = this.opts.allowCommands ? [] : commandIssues(graph);
    if (refused.length) throw new GraphError(refused);
  }

  /** Plan and execute; entries found corrupt are removed and recomputed (a few attempts). Each
   * plan's keys are held by `live`, so that gc keeps them while this runs. */
  async execute(graph: Graph, prior: Map<string, PriorNode>, runId: string, live?: LiveRun): Promise<Executed> {
    const planned = async () => {
      const p = await this.plan(graph, prior);
      live?.hold([...p.nodes.values()].flatMap((n) => [n.key, ...(n.parts ?? []).map((part) => part.key)]));
      return p;
    };
    let plan = await planned();
    const leaves = corruptLeaves(this.store, plan, this.opts.runsDir); // no later node would notice them
    for (const c of leaves) {
      this.opts.events?.log?.(c.node, `${c.message}; removing it and recomputing`);
      await this.store.evict(c.key);
    }
    if (leaves.length) plan = await planned();
    const reasons = new Map([...plan.nodes].map(([nid, p]) => [nid, p.reason]));
    for (const c of leaves) reasons.set(c.node, `cache entry corrupt: ${c.reason}`);
    let result: ExecuteResult | undefined;
    const ran = new Map<string, NodeOutcome>();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (![...plan.nodes.values()].some((p) => p.runs)) {
        result = nothingRuns(plan);
        break;
      }
      const { execute } = await import('./execute.js'); // RxJS and Arrow only when something runs
      result = await execute(plan, {
        store: this.store,
        scratchDir: join(this.opts.runsDir, 'scratch', runId),
        checkpointDir: join(this.opts.runsDir, 'checkpoints'),
        concurrency: this.opts.concurrency ?? 2,
        backend: this.opts.backend ?? 'auto',
        inProcess: this.opts.inProcess,
        maxChildren: this.opts.maxChildren,
        threads: this.opts.threads,
        remote: this.opts.remote,
        events: live ? live.watch(graph.name, plan, { ...quietEvents, ...this.opts.events }) : { ...quietEvents, ...this.opts.events },
      });
      for (const [nid, o] of result.outcomes) if (o.status === 'ran') ran.set(nid, o);
      if ((result.corrupt.length === 0 && !result.replan) || attempt === MAX_ATTEMPTS) break;
      if (result.replan) attempt--; // waiting for another process is not a failed attempt
      for (const c of result.corrupt) {
        this.opts.events?.log?.(c.node, `${c.message}; removing it and recomputing`);
        await this.store.evict(c.key);
      }
      plan = await planned();
      for (const [nid, p] of plan.nodes) if (p.runs && !ran.has(nid)) reasons.set(nid, p.reason);
      for (const c of result.corrupt) reasons.set(c.node, `cache entry corrupt: ${c.reason}`);
    }
    for (const [nid, o] of ran) result!.outcomes.set(nid, o);
    return { plan, result: result!, reasons };
  }

  private origin?: Promise<Provenance>;
  /** Start finding the next run's provenance (git state) early, so that it overlaps the run. */
  private startProvenance(): void {
    this.origin ??= provenance(this.opts.backend ?? 'auto');
  }

  /** The provenance started for this run (or now), taken: the next run finds its own. */
  private async takeProvenance(): Promise<Provenance> {
    this.startProvenance();
    const p = this.origin!;
    this.origin = undefined;
    return p;
  }

  /** The run record of `graph`, whose node `id` is `planId(id)` in the executed plan. */
  async record(graph: Graph, done: Executed, id: string, started: Date, planId: (id: string) => string): Promise<RunRecord> {
    const nodes: Record<string, NodeRecord> = {};
    const view = new Map<string, PlannedNode>();
    let failed = false;
    for (const nid of graph.order) {
      const p = done.plan.nodes.get(planId(nid))!;
      view.set(nid, p);
      const o = done.result.outcomes.get(planId(nid))!;
      failed ||= o.status === 'failed' || o.status === 'skipped';
      nodes[nid] = {
        kind: p.node.kind, key: p.key, material: p.material, status: o.status,
        reason: o.status === 'cached' || o.status === 'not-needed' ? p.reason : done.reasons.get(planId(nid))!,
        ms: o.stats ? Math.round(o.stats.ms) : undefined,
        rows: o.stats?.rows, batches: o.stats?.batches,
        notes: Object.keys(o.notes).length ? o.notes : undefined,
        error: o.error?.message,
        artifacts: this.artifactsOf(p),
      };
    }
    return {
      id, graph: graph.name, file: graph.file, path: resolve(graph.file),
      startedAt: started.toISOString(), finishedAt: new Date().toISOString(),
      status: failed ? 'failed' : 'ok', provenance: await this.takeProvenance(), nodes,
      metrics: await collectMetrics(this.store, { graph, nodes: view }),
    };
  }
}

export interface Executed {
  plan: Plan;
  result: ExecuteResult;
  /** Why each node ran (kept from the first plan when a retry recomputed it). */
  reasons: Map<string, string>;
}

type NodeOutcome = ExecuteResult['outcomes'] extends Map<string, infer O> ? O : never;

function nothingRuns(plan: Plan): ExecuteResult {
  const outcomes: ExecuteResult['outcomes'] = new Map();
  for (const [id, p] of plan.nodes) outcomes.set(id, { status: p.lookup?.hit || p.sameAs ? 'cached' : 'not-needed', notes: (p.lookup?.hit && p.lookup.manifest.notes) || {} });
  return { outcomes, failures: [], corrupt: [] };
}

const quietEvents: ExecuteOptions['events'] & NodeEvents = {
  log: () => {}, progress: () => {}, started: () => {}, finished: () => {},
};

/** The graph as it ran: params after defaults and --set, inputs resolved to node.port. */
export function resolved(graph: Graph): unknown {
  const nodes: Record<string, unknown> = {};
  for (const id of graph.order) {
    const n = graph.nodes.get(id)!;
    nodes[id] = {
      kind: n.kind, params: n.params,
      in: Object.fromEntries(Object.entries(n.inputs).map(([p, r]) => [p, `${r.node}.${r.port}`])),
      cache: n.cache, backend: n.backend,
    };
  }
  return { name: graph.name, seed: graph.seed, file: graph.file, nodes };
}
