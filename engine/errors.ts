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
  const where = `${printable(i.file)}:${i.line}:${i.col}`;
  const node = i.node ? ` node "${printable(i.node)}"` : '';
  const hint = i.hint ? `\n    hint: ${printable(i.hint)}` : '';
  return `${where}${node} [${i.code}] ${printable(i.message)}${hint}`;
}

/** Control, bidirectional and other invisible format characters (they could hide or reorder text on a terminal). */
const HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** `s` with every hidden character written as a visible escape (\x1b, \u202e). */
export function printable(s: string): string {
  return s.replace(HIDDEN, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
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

/** A cache entry failed its checksum or could not be read: a miss, never an input. */
export class CorruptEntry extends Error {
  constructor(readonly key: string, readonly node: string, readonly reason: string) {
    super(`cache entry of node "${node}" (${key.slice(0, 12)}) is corrupt: ${reason}`);
  }
}
