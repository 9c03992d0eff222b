// The process's LungPool, one worker thread per core, started on first use. Its workers hold the
// process open only while they have work (LungPool refs a worker per task), so no one closes it.
import { availableParallelism } from 'node:os';
import { LungPool } from './pool.js';

let pool: LungPool | undefined;

export function sharedPool(): LungPool {
  return (pool ??= new LungPool(availableParallelism(), { unrefIdle: true }));
}

/** The pool if it was started (giving slabs back starts none). */
export const startedPool = (): LungPool | undefined => pool;
