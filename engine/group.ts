// What one group is, as the scheduler (engine/execute.ts) and a worker (engine/scale/job-group.ts)
// hand it to the group runner (engine/group-runner.ts): its member nodes in run order and the
// entries they read from outside the group. Types only; nothing here reads a plan or a graph.
import type { Part } from './partitions.js';
import type { Manifest } from './store.js';
import type { GraphNode } from './validate.js';

/** The part of a graph node a group runs: its definition, params and wiring. */
export type MemberNode = Pick<GraphNode, 'id' | 'kind' | 'def' | 'params' | 'inputs' | 'cache' | 'backend' | 'seed'>;

export interface GroupMember {
  node: MemberNode;
  /** Cache key: where a stored node's entry goes, and the name of its checkpoint directory. */
  key: string;
  /** What its random generators are seeded from (engine/plan.ts). */
  seedKey: string;
  /** A node of another group reads it: an unstored node's outputs are kept for this run (a temporary entry). */
  readOutside?: boolean;
  /** A node cached per scan: its scans in order, each with its key and whether it is stored (engine/partitions.ts). */
  parts?: Part[];
}

/** An entry that exists (stored, or temporary for this run): its directory and verified manifest. */
export interface Available { dir: string; manifest: Manifest }

export interface GroupInput {
  /** Sources and stream nodes that run in lockstep (in topological order), or one barrier. */
  members: GroupMember[];
  /** The entry of every node outside the group that a member reads, by node id. */
  inputs: ReadonlyMap<string, Available>;
}
