// The process's LungPool, one worker thread per core, started on first use. Its workers hold the
// process open only while they have work (LungPool refs a worker per task), so no one closes it.
import { availableParallelism } from 'node:os';
import { LungPool } from './pool.js';

let pool: LungPool | undefined;

export function sharedPool(): LungPool {
  return (pool ??= new LungPool(availableParallelism(), { unrefIdle: true }));
}

/** The pool if it was started. */
export const startedPool = (): LungPool | undefined => pool;

/** Give the pool's slabs among `buffers` back: nothing reads them any more (starts no pool). */
export function giveBack(buffers: Iterable<ArrayBufferLike>): void {
  pool?.giveBack(buffers);
}
