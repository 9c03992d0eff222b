// Connections to Redis for BullMQ, through ioredis (BullMQ's own driver). Blocking commands of
// workers need maxRetriesPerRequest null, as BullMQ's docs require.
import { Redis } from 'ioredis';

/** A connection to `url` (redis[s]://[user:password@]host[:port][/db]); close it with quit(). */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
