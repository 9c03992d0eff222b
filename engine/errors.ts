// Problems found in a graph: each names file:line:column, the node, the rule and a hint.
// Validation collects them all and reports them together before anything runs.

export interface GraphIssue {
  /** Rule that failed, e.g. "unknown-kind", "cycle", "param". */
  code: string;
  file: string;
  line: number;
  col: number;
  node?: string;
  message: string;
  hint?: string;
}

export function formatIssue(i: GraphIssue): string {
  const where = `${i.file}:${i.line}:${i.col}`;
  const node = i.node ? ` node "${i.node}"` : '';
  const hint = i.hint ? `\n    hint: ${i.hint}` : '';
  return `${where}${node} [${i.code}] ${i.message}${hint}`;
}

export class GraphError extends Error {
  constructor(readonly issues: GraphIssue[]) {
    super(`${issues.length} problem${issues.length === 1 ? '' : 's'} in the graph:\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n'));
  }
}

/** A usage error on the command line (exit code 2). */
export class UsageError extends Error {}

/** A node failed while running (exit code 1). */
export class NodeFailure extends Error {
  constructor(readonly node: string, readonly cause: unknown) {
    super(`node "${node}" failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Why a stream node did not run: a member upstream of it in its group failed (it is skipped, not
 * failed). Carried as the cause of the node's NodeFailure; checked with instanceof.
 */
export class UpstreamFailed extends Error {
  constructor(readonly upstream: string) {
    super(`upstream node "${upstream}" failed`);
  }
}

/** A cache entry failed its checksum or could not be read: a miss, never an input. */
export class CorruptEntry extends Error {
  constructor(readonly key: string, readonly node: string, readonly reason: string) {
    super(`cache entry of node "${node}" (${key.slice(0, 12)}) is corrupt: ${reason}`);
  }
}
